"""Per-city benchmark on the real corpora: typed-cell share and metadata accuracy.

    python -m benchmarks.regions [--out DIR] [--run] [CORPUS ...]

Reads ../shared/real2 and ../shared/real in place (never copies them): each corpus's
README.md lists every file's department, year, kind and scope as printed (real2 also its
region).  With `--run` (or when DIR has no output yet) the pipeline is run on the corpora
into DIR; otherwise an existing `budgetlens run` output in DIR is read.  Prints one line per
city: documents, department / region / year / kind / scope accuracy, the share of numeric
cells in typed tables, and the template chosen; then every metadata mismatch.

`expected_rows` and `compare` are also what tests/test_metadata_real.py asserts with.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Optional

from budgetlens.gazetteers.names import qualified_region

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPORA = [SHARED / "real2", SHARED / "real"]

_KIND = {"预算": "budget", "决算": "final_account"}
_SCOPE = {"部门": "department", "单位": "unit"}
_BRACKETS = re.compile(r"[\s（）()]")


def _table(readme: Path) -> list[dict]:
    """The markdown table of a corpus README as dicts (header row → keys)."""
    rows: list[dict] = []
    head: Optional[list[str]] = None
    for line in readme.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if head is None:
            head = cells
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        rows.append(dict(zip(head, cells)))
    return rows


def expected_rows(corpus: Path) -> dict[str, dict]:
    """file name → {department, region, year, doc_kind, scope, benji, city} from a README.

    real2 writes kind as 部门预算 and scope as `department (本级)`; real writes kind as
    `预算(部门)` and has no region column (its city is the file prefix)."""
    readme = corpus / "README.md"
    out: dict[str, dict] = {}
    if not readme.is_file():
        return out
    for r in _table(readme):
        f = r.get("file", "")
        if not f:
            continue
        kind_txt = r.get("kind", "")
        kind = next((v for k, v in _KIND.items() if k in kind_txt), None)
        scope_txt = r.get("scope") or next((k for k in _SCOPE if k in kind_txt), "")
        scope = next((v for k, v in _SCOPE.items() if k in scope_txt or v in scope_txt), None)
        region = r.get("region") or None
        prefix = re.match(r"[A-Z]+", f)
        out[f] = {
            "department": r.get("department", ""), "region": region,
            "year": int(r["year"]) if r.get("year", "").isdigit() else None,
            "doc_kind": kind, "scope": scope, "benji": "本级" in scope_txt,
            "city": region or f"{corpus.name}:{prefix.group(0) if prefix else '?'}",
        }
    return out


def same_name(a: Optional[str], b: Optional[str]) -> bool:
    """Names equal up to spacing and bracket style (江苏省人大常委会(办公厅) = …常委会办公厅)."""
    return bool(a) and bool(b) and _BRACKETS.sub("", a) == _BRACKETS.sub("", b)


FIELDS = ("department", "region", "year", "doc_kind", "scope")


def compare(doc: dict, exp: dict) -> dict[str, Optional[bool]]:
    """Per field: True/False, or None where the README gives no value (real has no region)."""
    res: dict[str, Optional[bool]] = {}
    res["department"] = same_name(doc.get("department"), exp["department"])
    region = qualified_region(doc.get("region"), doc.get("province"))
    res["region"] = None if not exp.get("region") else region == exp["region"]
    res["year"] = doc.get("year") == exp["year"]
    res["doc_kind"] = doc.get("doc_kind") == exp["doc_kind"]
    res["scope"] = doc.get("scope") == exp["scope"]
    if exp.get("benji") != ("本级" in (doc.get("department") or "")):
        res["scope"] = False
    return res


def _documents(out: Path):
    import duckdb

    con = duckdb.connect(str(out / "budgetlens.duckdb"), read_only=True)
    try:
        docs = con.execute("select * from documents").df()
        cells = con.execute(
            "select doc_id, sum(case when table_type <> 'unknown' then 1 else 0 end) typed, count(*) n "
            "from table_cells group by doc_id").df()
    finally:
        con.close()
    return docs, cells


def evaluate(out: Path, corpora: list[Path]) -> tuple[dict, list[str]]:
    expected: dict[str, dict] = {}
    for c in corpora:
        expected.update(expected_rows(c))
    docs, cells = _documents(out)
    typed = {r.doc_id: (int(r.typed), int(r.n)) for r in cells.itertuples()}
    per_city: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    misses: list[str] = []
    for d in docs.to_dict("records"):
        srcs = d.get("sources")
        names = [Path(s).name for s in (list(srcs) if srcs is not None and len(srcs) else [d["source"]])]
        exps = [expected[n] for n in names if n in expected]
        if not exps:
            continue
        city = exps[0]["city"]
        c = per_city[city]
        c["docs"] += 1
        for f in FIELDS:
            results = [compare(d, e)[f] for e in exps]
            if all(r is None for r in results):
                continue
            ok = all(r is not False for r in results)
            c[f + "_n"] += 1
            c[f + "_ok"] += ok
            if not ok:
                got = qualified_region(d.get("region"), d.get("province")) if f == "region" else d.get(f)
                misses.append(f"{names[0]}: {f} = {got!r}, README {exps[0].get(f)!r}")
        t, n = typed.get(d["doc_id"], (0, 0))
        c["typed"] += t
        c["cells"] += n
        c["templated"] += bool(d.get("template"))
    return per_city, misses


def report(per_city: dict, misses: list[str]) -> str:
    lines = ["city | docs | department | region | year | kind | scope | typed cells | template",
             "---|---|---|---|---|---|---|---|---"]
    tot: dict = defaultdict(int)
    for city in sorted(per_city):
        c = per_city[city]
        for k, v in c.items():
            tot[k] += v
        lines.append(_line(city, c))
    lines.append(_line("ALL", tot))
    if misses:
        lines += ["", "metadata mismatches:"] + [f"- {m}" for m in misses]
    return "\n".join(lines)


def _line(name: str, c: dict) -> str:
    def acc(f):
        n = c.get(f + "_n", 0)
        return f"{c.get(f + '_ok', 0)}/{n}" if n else "-"

    share = f"{100 * c['typed'] / c['cells']:.0f} %" if c.get("cells") else "-"
    return (f"{name} | {c['docs']} | {acc('department')} | {acc('region')} | {acc('year')} | "
            f"{acc('doc_kind')} | {acc('scope')} | {share} | {c.get('templated', 0)}/{c['docs']}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora", nargs="*", type=Path, default=CORPORA)
    ap.add_argument("--out", type=Path, default=Path("/tmp/budgetlens-regions"))
    ap.add_argument("--run", action="store_true", help="run the pipeline into --out first")
    ap.add_argument("--write", type=Path, help="also write the table to this markdown file")
    a = ap.parse_args(argv)
    corpora = [c for c in a.corpora if (c / "README.md").is_file()]
    if not corpora:
        print("no corpus with a README.md found (../shared absent?)", file=sys.stderr)
        return 0
    if a.run or not (a.out / "budgetlens.duckdb").is_file():
        exe = Path(sys.executable).parent / "budgetlens"
        subprocess.run([str(exe), "run", *map(str, corpora), "--out", str(a.out), "--quiet"], check=True)
    text = report(*evaluate(a.out, corpora))
    print(text)
    if a.write:
        a.write.write_text("# Metadata accuracy and typed cells per city (`make bench-regions`)\n\n"
                           + text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
