"""`sangong.narrative_vs_table`: the “三公” total and each part against the 三公 table, in
either orientation (parts as rows, or parts as columns as in the Jiangsu 三公/会议费/培训费
table).  A table with two years, or 预算数 beside 决算数, is left alone: which column is the
document's figure is not established."""
from __future__ import annotations

import re

from budgetlens import gazetteers
from budgetlens.document.model import Document, Table
from budgetlens.document.numbers import cell_value as parse_number
from budgetlens.document.numbers import wan_factor
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import cell, cell_key, fmt, quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.locate import Cand, canonical, fig_at, make
from budgetlens.reconcile.messages import say, word

FAMILY = "narrative_vs_table"
V = gazetteers.load("rules/narrative_vs_table")
SANGONG = set(V["sangong_terms"])
_TWO_YEARS = re.compile(V["sangong_two_years"])
_BUDGET_WORD, _FINAL_WORD = V["sangong_budget_and_final"]
_TOTAL_COLUMN = re.compile(V["sangong_total_column"])
_TOTAL_LABELS = tuple(V["sangong_total_labels"])
_FIGURE_KIND = re.compile(V["sangong_figure_kind"])
_APPROX = V["approx_qualifier"]
_WAN = word("money_unit")


def _two_figures_side_by_side(labels: list[str]) -> bool:
    years = {y for c in labels for y in re.findall(r"(?:19|20)\d{2}", c)}
    if any(_TWO_YEARS.search(c) for c in labels) or len(years) > 1:
        return True  # two years side by side: which column is this year's is not certain
    # 预算数 and 决算数 side by side (final accounts): not this rule's to pick
    return any(_BUDGET_WORD in c for c in labels) and any(_FINAL_WORD in c for c in labels)


def _parts_as_rows(t: Table, labels: list[str]) -> dict:
    out: dict = {}
    total_col = next((j for j, c in enumerate(labels) if _TOTAL_COLUMN.search(c)), None)
    if total_col is None:
        return out
    for r in t.rows:
        canon = canonical(r.label or "")
        if canon in SANGONG and canon not in out:
            if total_col < len(r.cells) and parse_number(r.cells[total_col]) is not None:
                out[canon] = (r, total_col)
    return out


def _part_of_column(label: str):
    segs = label.split("/")
    seg = segs[-1]
    if seg in _TOTAL_LABELS:
        if len(segs) < 2:
            return None
        seg = segs[-2]
    # `“三公”经费预算数/合计` (Shanghai): the column group names the part and the kind of figure
    return canonical(seg) or canonical(_FIGURE_KIND.sub("", seg))


def sangong_cells(t: Table) -> dict[str, tuple]:
    """canonical part → (row, col) of its amount in a 三公 table."""
    labels = [re.sub(r"\s+", "", c) for c in t.columns]
    if _two_figures_side_by_side(labels):
        return {}
    out = _parts_as_rows(t, labels)
    if out:
        return out
    # parts as columns (one data row)
    data = [r for r in t.rows if any(parse_number(c) is not None for c in r.cells)]
    if not data:
        return out
    r = data[0]
    for j, c in enumerate(labels):
        canon = _part_of_column(c)
        if canon in SANGONG and canon not in out and j < len(r.cells) and parse_number(r.cells[j]) is not None:
            out[canon] = (r, j)
    return out


def sangong_cand(doc: Document, f) -> list[Cand]:
    """The 三公 table cell of a narrative 三公 figure (empty when none is established)."""
    tables = doc.tables_of("sangong")
    if not tables:
        return []
    where = sangong_cells(tables[0])
    canon = canonical(f.subject or "")
    if canon not in where:
        return []
    t = tables[0]
    r, j = where[canon]
    return [make(doc, t, [r], j, fig_at(t, r, j), False, parse_number(r.cells[j]))]


def check_sangong(doc: Document, facts) -> list[Flag]:
    flags = []
    tables = doc.tables_of("sangong")
    if not tables:
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
        table_fig = tol.figure(tv, r.cells[j], unit=t.unit or _WAN).scaled(wan_factor(t.unit, _WAN))
        stated = tol.figure(f.value_wan, f.raw or str(f.value), unit=_WAN, approx=(f.qualifier == _APPROX))
        if (wan_factor(t.unit, _WAN) or 1) < 0.01 or (tol.decimals_of(r.cells[j]) or 0) > 2:
            # a 元 cell, or a 万元 cell to the 元 (1.355554): the narrative's two decimals may be
            # cut (1.35) or nudged so the parts add to the rounded total (1.45 of 1.443252)
            stated = tol.read_from_yuan(stated)
        if tol.agree(stated, table_fig):
            continue
        title = re.sub(r"\s+", "", t.title)
        flags.append(Flag(
            FAMILY, "sangong.narrative_vs_table", "error",
            say("sangong.narrative_vs_table", subject=f.subject, stated=fmt(f.value), unit=f.unit or _WAN,
                title=title, table=fmt(table_fig.value)),
            values=[f.value, tv], stated=f.value, expected=tv, difference=round(f.value_wan - table_fig.value, 6),
            evidence=[quote(f.sentence), cell(t, r, j)], start=f.start, end=f.end, sentence=f.sentence,
            cells=[cell_key(t, r, j)], key=f"sangong:{canon}:{f.start}",
        ))
    return flags
