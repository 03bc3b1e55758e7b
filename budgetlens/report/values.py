"""Missing values as pandas has them (`pandas.isna` of one value), without importing
pandas: the report reads the store's rows as plain values, the review app as frames."""
from __future__ import annotations


def missing(x) -> bool:
    """None, a float NaN (Python's or numpy's), pandas' NA and NaT, numpy's NaT."""
    if x is None:
        return True
    if isinstance(x, float):
        return x != x
    name = type(x).__name__
    if name in ("NAType", "NaTType"):
        return True
    if name in ("float16", "float32", "longdouble", "datetime64", "timedelta64"):
        return bool(x != x)
    return False
