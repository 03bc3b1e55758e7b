"""`python -m benchmarks.same_output BASE OUT`: do two runs store the same rows?

A speed-up must not change a single output.  This compares the four contract tables of two
output folders (their Parquet snapshots) row for row, ignoring only what differs by nature
between runs: timings and the run id.  Exit 0 when identical; otherwise it prints, per table,
the rows only one side has (at most 15 per table) and exits 1."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

TABLES = ("documents", "facts", "table_cells", "flags")
VOLATILE = ("read_seconds", "process_seconds", "run_id")


def load(out: Path, table: str) -> pd.DataFrame:
    df = pd.read_parquet(Path(out) / f"{table}.parquet")
    df = df.drop(columns=[c for c in df.columns if c in VOLATILE])
    return df.astype(str).sort_values(list(df.columns)).reset_index(drop=True)


def differences(base: Path, out: Path, tables=TABLES, show: int = 15) -> list[str]:
    """Human-readable differences; empty when the two runs stored the same rows."""
    lines: list[str] = []
    for t in tables:
        a, b = load(base, t), load(out, t)
        if list(a.columns) != list(b.columns):
            lines.append(f"{t}: columns differ: only base {sorted(set(a.columns) - set(b.columns))}, "
                         f"only out {sorted(set(b.columns) - set(a.columns))}")
            continue
        if a.equals(b):
            continue
        m = a.merge(b, how="outer", indicator=True)
        only = m[m["_merge"] != "both"]
        lines.append(f"{t}: {len(a)} rows in base, {len(b)} in out, {len(only)} rows on one side only")
        keys = [c for c in ("doc_id", "rule", "kind", "table_id", "row", "column", "start", "subject",
                            "value", "message", "verdict", "checked_against") if c in only.columns]
        for _, r in only.head(show).iterrows():
            lines.append(f"  {r['_merge']:<10} " + " | ".join(f"{k}={str(r[k])[:60]}" for k in keys))
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base", type=Path)
    ap.add_argument("out", type=Path)
    a = ap.parse_args(argv)
    diff = differences(a.base, a.out)
    print("\n".join(diff) if diff else "IDENTICAL")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
