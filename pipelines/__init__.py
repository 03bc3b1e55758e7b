"""Orchestration only: Prefect flows over the domain code in `engine/`, and the CLI."""
