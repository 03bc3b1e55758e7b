"""`python -m benchmarks.tables OUT [BASE]`: how well a run understood the tables.

Reads the parquet files a `budgetlens run … --out OUT` wrote and prints, per corpus folder
and per city (the file-name prefix of ../shared/real2, e.g. `BJ01_…` → BJ):
- the share of numeric cells that sit in typed tables (not `unknown`);
- the error/warning flags per rule.
With BASE (another run's OUT) each figure is shown as BASE → OUT.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd


def _corpus(source: str) -> str:
    return Path(source).parent.name


def _city(source: str) -> str:
    m = re.match(r"([A-Z]{2})\d", Path(source).name)
    return f"{_corpus(source)}:{m.group(1)}" if m else _corpus(source)


def measure(out: str) -> dict:
    cells = pd.read_parquet(Path(out) / "table_cells.parquet", columns=["source", "table_type"])
    flags = pd.read_parquet(Path(out) / "flags.parquet", columns=["source", "rule", "severity"])
    cells["typed"] = cells.table_type != "unknown"
    res: dict = {"typed": {}, "flags": {}}
    for key, fn in (("corpus", _corpus), ("city", _city)):
        g = cells.groupby(cells.source.map(fn)).typed.agg(["mean", "size"])
        for k, row in g.iterrows():
            res["typed"][(key, k)] = (round(float(row["mean"]), 3), int(row["size"]))
    f = flags[flags.severity.isin(["error", "warning"])]
    for (c, rule), n in f.groupby([f.source.map(_corpus), f.rule]).size().items():
        res["flags"][(c, rule)] = int(n)
    return res


def main(argv: list[str]) -> None:
    out = measure(argv[0])
    base = measure(argv[1]) if len(argv) > 1 else None
    print("typed-cell share (numeric cells in typed tables)")
    for k in sorted(out["typed"]):
        share, n = out["typed"][k]
        before = f"{base['typed'][k][0]:.3f} → " if base and k in base["typed"] else ""
        print(f"  {k[1]:<12} {before}{share:.3f}  ({n} cells)")
    print("error/warning flags per rule")
    keys = sorted(set(out["flags"]) | set(base["flags"] if base else {}))
    for k in keys:
        now = out["flags"].get(k, 0)
        before = f"{base['flags'].get(k, 0)} → " if base else ""
        print(f"  {k[0]:<8} {k[1]:<40} {before}{now}")


if __name__ == "__main__":
    main(sys.argv[1:])
