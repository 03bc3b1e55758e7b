"""The review ledger of error/warning flags on the real documents (../shared/real, ../shared/real2).

`real_flags_reviewed.yaml` records, for every error/warning flag budgetlens has raised on those
documents, a person's reading of it against the PDF page: `verdict` (true / false / debatable),
`page`, and for a false flag its `cause` (header, column, row, table type, narrative extraction,
scope, rounding, template, other).  It also lists `missed`: genuine inconsistencies readers
found that no flag reports (the recall we owe).

A flag is keyed by (corpus, file id, rule, first three values rounded to 0.01): messages may be
reworded without losing the review.  tests/test_real_flag_set.py uses `diff`; run this module
to list what needs reading:

    python tests/ledger.py OUT_DIR            # flags of a run not in the ledger, as YAML stubs
    python tests/ledger.py OUT_DIR --stats    # per corpus / rule: true, false, debatable, new
    python tests/ledger.py --merge DONE.yaml  # append a reviewer's filled-in stubs to the ledger
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Iterable, Optional

import yaml

HERE = Path(__file__).resolve().parent
LEDGER = HERE / "real_flags_reviewed.yaml"
VERDICTS = ("true", "false", "debatable")
CAUSES = ("header", "column", "row", "table type", "narrative extraction", "scope", "rounding",
          "template", "other")


def corpus_of(source: str) -> str:
    parts = Path(source).parts
    return "real2" if "real2" in parts else "real"


def file_id(source: str) -> str:
    return Path(source).name[:4]


def key(corpus: str, file: str, rule: str, values: Optional[Iterable]) -> tuple:
    vals = list(values) if values is not None else []
    return (corpus, file, rule, tuple(round(float(v), 2) for v in vals[:3]))


def load(path: Path = LEDGER) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data.setdefault("flags", [])
    data.setdefault("missed", [])
    for f in data["flags"]:
        f.setdefault("corpus", "real")
        f["verdict"] = str(f["verdict"]).lower()
    return data


def entry_key(f: dict) -> tuple:
    return key(f.get("corpus", "real"), f["file"], f["rule"], f.get("values"))


def serious_flags(out_dir: Path) -> list[dict]:
    """Error/warning flags of a run, from its flags.parquet."""
    import pandas as pd

    df = pd.read_parquet(Path(out_dir) / "flags.parquet")
    df = df[df.severity.isin(["error", "warning"])]
    rows = []
    for r in df.itertuples():
        values = [float(v) for v in (r.values if r.values is not None else [])]
        page = getattr(r, "page", None)
        rows.append({
            "corpus": corpus_of(r.source), "file": file_id(r.source), "rule": r.rule,
            "severity": r.severity, "values": values, "message": r.message,
            "page": None if page is None or page != page else int(page),
            "source": Path(r.source).name,
            "evidence": [str(e) for e in (r.evidence if r.evidence is not None else [])],
        })
    return rows


def diff(flags: list[dict], ledger: dict) -> dict:
    """new: raised but not in the ledger; false: raised and called false; lost: true or
    debatable findings in the ledger no longer raised."""
    by_key = {entry_key(f): f for f in ledger["flags"]}
    got = {key(f["corpus"], f["file"], f["rule"], f["values"]): f for f in flags}
    new = [f for k, f in got.items() if k not in by_key]
    false = [by_key[k] for k in got if k in by_key and by_key[k]["verdict"] == "false"]
    lost = [f for k, f in by_key.items() if k not in got and f["verdict"] in ("true", "debatable")]
    return {"new": new, "false": false, "lost": lost}


def stats(flags: list[dict], ledger: dict) -> dict:
    by_key = {entry_key(f): f for f in ledger["flags"]}
    out: dict = {}
    for f in flags:
        e = by_key.get(key(f["corpus"], f["file"], f["rule"], f["values"]))
        verdict = e["verdict"] if e else "new"
        row = out.setdefault((f["corpus"], f["rule"]), {"true": 0, "false": 0, "debatable": 0, "new": 0})
        row[verdict] += 1
    return out


def _flow(entry: dict) -> str:
    """One ledger line (flow-style YAML), fields in a fixed order."""
    order = ("corpus", "file", "rule", "severity", "values", "page", "verdict", "cause", "note", "message")
    e = {k: entry[k] for k in order if entry.get(k) is not None}
    e["values"] = [round(float(v), 4) for v in entry.get("values") or []]
    return "  - " + yaml.safe_dump(e, allow_unicode=True, default_flow_style=True, sort_keys=False,
                                   width=100000).strip() + "\n"


def merge(done_path: Path, path: Path = LEDGER) -> tuple[int, int]:
    """Append a reviewer's entries (verdict filled in) and missed findings to the ledger;
    entries already there (same key) are left as they are."""
    done = yaml.safe_load(Path(done_path).read_text(encoding="utf-8")) or {}
    ledger = load(path)
    known = {entry_key(f) for f in ledger["flags"]}
    text = path.read_text(encoding="utf-8")
    head, sep, missed_part = text.partition("\nmissed:\n")
    added = 0
    lines = ""
    for e in done.get("new") or []:
        if e.get("verdict") is None or entry_key(e) in known:
            continue
        e["verdict"] = str(e["verdict"]).lower()
        lines += _flow(e)
        known.add(entry_key(e))
        added += 1
    missed = ""
    for m in done.get("missed") or []:
        missed += "  - " + yaml.safe_dump(m, allow_unicode=True, default_flow_style=True, sort_keys=False,
                                          width=100000).strip() + "\n"
    head = head.rstrip("\n") + "\n" + lines
    tail = (missed_part if sep else "") + missed
    path.write_text(head + ("\nmissed:\n" + tail if tail.strip() else ""), encoding="utf-8")
    _recount(path)
    return added, len(done.get("missed") or [])


def _recount(path: Path = LEDGER) -> None:
    import re

    data = load(path)
    counts = {v: sum(f["verdict"] == v for f in data["flags"]) for v in VERDICTS}
    text = path.read_text(encoding="utf-8")
    new = "counts: {" + ", ".join(f'"{k}": {n}' for k, n in counts.items()) + "}"
    path.write_text(re.sub(r"^counts: \{.*\}$", new, text, count=1, flags=re.M), encoding="utf-8")


def main(argv: list[str]) -> int:
    if argv[0] == "--merge":
        for f in argv[1:]:
            print(f, "added %d flags, %d missed findings" % merge(Path(f)))
        return 0
    out = Path(argv[0])
    ledger = load()
    flags = serious_flags(out)
    if "--stats" in argv:
        for (corpus, rule), row in sorted(stats(flags, ledger).items()):
            print(f"{corpus:6} {rule:40} " + " ".join(f"{k}={v}" for k, v in row.items()))
        return 0
    d = diff(flags, ledger)
    stubs = [{k: f[k] for k in ("corpus", "file", "source", "rule", "severity", "values", "page", "message",
                                 "evidence")} | {"verdict": None, "cause": None, "note": None} for f in d["new"]]
    yaml.safe_dump({"new": stubs, "false_still_raised": d["false"], "lost": d["lost"]}, sys.stdout,
                   allow_unicode=True, sort_keys=False, width=200)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
