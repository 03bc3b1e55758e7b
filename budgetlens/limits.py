"""Limits that keep one bad input from exhausting memory or time.

Every limit has a default, an environment variable and a `budgetlens run` flag (the flag
wins).  A document over a limit becomes a `documents` row with `status = "error"` and a
reason naming the limit and the flag that raises it; the run goes on.

The active limits live in environment variables so that worker processes (a process
pool, a Prefect task runner) see the same values as the command that started them.
This module imports nothing from the rest of budgetlens: readers and the store use it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields

MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    # any input file, checked on its size before a byte is read
    max_file_mb: float = 200.0
    # text-like inputs (Tika dumps, HTML): their whole content is decoded in memory
    max_text_file_mb: float = 32.0
    # .docx/.xlsx: the sum of the declared uncompressed sizes of the package's parts
    max_unzipped_mb: float = 100.0
    # PDF pages
    max_pages: int = 500
    # tables in one document (a .docx is counted before it is parsed)
    max_tables: int = 500
    # characters of document text after reading
    max_text_chars: int = 2_000_000
    # nesting depth of HTML elements (tree builders recurse over it)
    max_html_depth: int = 500
    # seconds spent on one document (read + extract + check); enforced by an alarm in
    # single-process runs (`--orchestrator local`), not inside orchestrator worker threads
    max_seconds_per_document: float = 300.0
    # how long a run waits for another run to release the DuckDB store
    store_wait_seconds: float = 30.0

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * MB)

    @property
    def max_text_file_bytes(self) -> int:
        return int(self.max_text_file_mb * MB)

    @property
    def max_unzipped_bytes(self) -> int:
        return int(self.max_unzipped_mb * MB)

    def fingerprint(self) -> str:
        """The limits that decide a document's result (not the store wait)."""
        return ";".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self)
                        if f.name != "store_wait_seconds")


DEFAULTS = Limits()


def env_name(field_name: str) -> str:
    return "BUDGETLENS_" + field_name.upper()


def flag_name(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def current() -> Limits:
    """The active limits: defaults overridden by BUDGETLENS_* environment variables."""
    values = {}
    for f in fields(Limits):
        raw = os.environ.get(env_name(f.name))
        if raw is None or raw.strip() == "":
            continue
        typ = int if f.type in (int, "int") else float
        try:
            values[f.name] = typ(float(raw)) if typ is int else typ(raw)
        except ValueError:
            raise ValueError(f"{env_name(f.name)}={raw!r} is not a number") from None
    return Limits(**values)


def configure(limits: Limits) -> None:
    """Make `limits` the active limits of this process and of processes it starts."""
    for f in fields(Limits):
        os.environ[env_name(f.name)] = str(getattr(limits, f.name))


def with_overrides(**overrides) -> Limits:
    """The current limits with the given fields replaced (None values ignored)."""
    base = current()
    kept = {k: v for k, v in overrides.items() if v is not None}
    return Limits(**{**{f.name: getattr(base, f.name) for f in fields(Limits)}, **kept})


def describe() -> list[tuple[str, str, object, str]]:
    """(field, flag, default, environment variable) for help texts and the README."""
    return [(f.name, flag_name(f.name), f.default, env_name(f.name)) for f in fields(Limits)]


def too_big(what: str, size: float, limit: float, field_name: str, unit: str = "MB") -> str:
    """A reason for an error row that names the limit and how to raise it."""
    if unit == "MB":
        return (f"{what} is {size / MB:.1f} MB, over the {limit:g} MB limit "
                f"(raise with {flag_name(field_name)})")
    return f"{what} is {size:g}{unit}, over the limit of {limit:g} (raise with {flag_name(field_name)})"
