"""Results storage: a DuckDB database (the embedded default) and Parquet snapshots."""
from .duck import Store, StoreLocked  # noqa: F401
