"""Results storage: a DuckDB database (the embedded default) and Parquet snapshots."""
from .duck import ExportError, StorageError, Store, StoreDamaged, StoreLocked  # noqa: F401
