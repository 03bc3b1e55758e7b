"""`narrative_vs_table`: a narrative figure against the table that holds the same figure.

Implemented: the “三公” total and each part (facts of kind `amount` from
extractors.narrative) against the 三公 table, in either orientation (parts as rows, or
parts as columns as in the Jiangsu 三公/会议费/培训费 table).  Subjects are matched through
the canonical names and aliases of gazetteers/terms.yaml.
"""
from __future__ import annotations

import re
from typing import Optional

import gazetteers
from extractors.tables import parse_number
from readers.document import Document, Table
from reconcile import tolerance as tol
from reconcile.evidence import cell, cell_key, fmt, quote
from reconcile.flags import Flag

FAMILY = "narrative_vs_table"
_STRIP = re.compile(r"[\s“”\"'‘’『』]|^[一二三四五六七八九十]+[、.．]|^其中[:：]?|^(财政拨款|一般公共预算(财政拨款)?)")
SANGONG = {"三公经费", "因公出国（境）费", "公务用车购置及运行维护费", "公务用车购置费", "公务用车运行维护费", "公务接待费"}


def _norm(s: str) -> str:
    prev = None
    s = s or ""
    while prev != s:
        prev, s = s, _STRIP.sub("", s)
    return s.replace("(", "（").replace(")", "）")


def _alias_map() -> dict[str, str]:
    out = {}
    for canon, spec in (gazetteers.load("terms").get("terms") or {}).items():
        for a in [canon] + list(spec.get("aliases") or []):
            out[_norm(a)] = canon
    return out


ALIASES = _alias_map()


def canonical(label: str) -> Optional[str]:
    n = _norm(label)
    if n in ALIASES:
        return ALIASES[n]
    n2 = re.sub(r"(小计|合计)$", "", n)
    return ALIASES.get(n2)


def sangong_cells(t: Table) -> dict[str, tuple]:
    """canonical part → (row, col) of its amount in a 三公 table."""
    labels = [re.sub(r"\s+", "", c) for c in t.columns]
    if any(re.search(r"(预算数|决算数|上年|增减)", c) for c in labels):
        return {}
    out = {}
    total_col = next((j for j, c in enumerate(labels) if re.search(r"(^|/)(合计|小计)$", c)), None)
    # parts as rows
    for r in t.rows:
        canon = canonical(r.label or "")
        if canon in SANGONG and total_col is not None and canon not in out:
            if total_col < len(r.cells) and parse_number(r.cells[total_col]) is not None:
                out[canon] = (r, total_col)
    if out:
        return out
    # parts as columns (one data row)
    data = [r for r in t.rows if any(parse_number(c) is not None for c in r.cells)]
    if not data:
        return out
    r = data[0]
    for j, c in enumerate(labels):
        segs = c.split("/")
        seg = segs[-1]
        if seg in ("小计", "合计"):
            if len(segs) < 2:
                continue
            seg = segs[-2]
        canon = canonical(seg)
        if canon in SANGONG and canon not in out and j < len(r.cells) and parse_number(r.cells[j]) is not None:
            out[canon] = (r, j)
    return out


def check(doc: Document, facts=None) -> list[Flag]:
    flags = []
    tables = doc.tables_of("sangong")
    if not tables or not facts:
        return flags
    t = tables[0]
    where = sangong_cells(t)
    if not where:
        return flags
    seen = set()
    for f in facts:
        if f.kind != "amount" or f.origin != "narrative" or f.value_wan is None:
            continue
        if f.year and doc.year and f.year != doc.year:
            continue
        canon = canonical(f.subject or "")
        if canon not in where or (canon, f.start) in seen:
            continue
        seen.add((canon, f.start))
        r, j = where[canon]
        tv = parse_number(r.cells[j])
        table_fig = tol.figure(tv, r.cells[j], unit=t.unit or "万元")
        if t.unit == "元":
            table_fig = table_fig.scaled(1e-4)
        stated = tol.figure(f.value_wan, f.raw or str(f.value), unit="万元", approx=(f.qualifier == "约"))
        if tol.agree(stated, table_fig):
            continue
        title = re.sub(r"\s+", "", t.title)
        flags.append(Flag(
            FAMILY, "sangong.narrative_vs_table", "error",
            f"文中{f.subject}为{fmt(f.value)}{f.unit or '万元'}，而{title}中为{fmt(table_fig.value)}万元。",
            values=[f.value, tv], stated=f.value, expected=tv, difference=round(f.value_wan - table_fig.value, 6),
            evidence=[quote(f.sentence), cell(t, r, j)], start=f.start, end=f.end, sentence=f.sentence,
            cells=[cell_key(t, r, j)], key=f"sangong:{canon}:{f.start}",
        ))
    return flags
