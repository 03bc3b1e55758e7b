"""`narrative_vs_table` — a project's budget in its performance-target table (`预算数 | 100.00`)
against the amount the same table's 资金用途 text states (`拟申请资金100万元，明细如下：…`).

The text is the project's own explanation of its budget, so a difference is an error; the
list under it is checked against the stated amount by `narrative.arithmetic`."""
from __future__ import annotations

import re

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.document.numbers import cell_value, to_wan
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import cell, clean_ws, fmt, quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say, word

FAMILY = "narrative_vs_table"
V = gazetteers.load("rules/narrative_vs_table")
LABEL = re.compile(V["project_budget_label"])
CLAUSE = re.compile(V["project_amount_clause"])


def _budget_cell(t):
    for r in t.rows:
        for j, c in enumerate(r.cells[:-1]):
            if LABEL.match(clean_ws(c)):
                v = cell_value(r.cells[j + 1])
                if v is not None:
                    return r, j + 1, v
    return None


def check(doc: Document, facts) -> list:
    out = []
    by_table: dict[str, list] = {}
    for f in facts:
        if f.kind == "amount" and f.table_id and f.value_wan is not None and f.start is not None:
            by_table.setdefault(f.table_id, []).append(f)
    for t in doc.tables_of("performance_targets"):
        if t.table_id not in by_table:  # no figure of this table's text: nothing to compare
            continue
        found = _budget_cell(t)
        if not found:
            continue
        r, j, v = found
        unit = t.unit or "万元"
        v_wan = to_wan(v, unit)
        # the first amount of the text right after the budget row, introduced as the budget
        cands = sorted((f for f in by_table[t.table_id] if f.row is not None and 0 <= f.row - r.index <= 1),
                       key=lambda f: f.start)
        stated = None
        for f in cands:
            clause = doc.text[max(0, f.start - 12):f.start]
            if CLAUSE.search(clause) and getattr(f, "role", None) in (None, "total"):
                stated = f
                break
        if stated is None:
            continue
        if tol.agree(tol.figure(stated.value_wan, None, unit="万元"),
                     tol.figure(v_wan, None, unit="万元" if unit != "元" else "元")):
            continue
        out.append(Flag(
            FAMILY, "project.budget_vs_table", "error",
            say("project.budget_vs_table", project=t.title, stated=fmt(stated.value),
                stated_unit=stated.unit or word("money_unit"), table=fmt(v), table_unit=unit),
            values=[stated.value, v], stated=stated.value, expected=v_wan,
            difference=round(stated.value_wan - v_wan, 6),
            evidence=[quote(stated.sentence), cell(t, r, j)],
            # anchored on the budget cell: the stated amount may also head a list whose own
            # flag (items vs amount) is another finding, not the same root cause
            start=r.spans[j][0] if j < len(r.spans) else None, end=r.spans[j][1] if j < len(r.spans) else None,
            sentence=None, key=f"project:{t.table_id}",  # quoted in evidence; not the list's root
        ))
    return out
