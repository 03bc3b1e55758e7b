"""`indicator`: performance targets (绩效目标表, 整体支出绩效指标, the narrative's
绩效指标 lines) that contradict each other or the budget.

- one indicator with different targets in one scope (`满意度不低于85%` vs `达到或超过80%`);
- a decrease target written with `≤` (`下降率 ≤ 10%` says "at most 10% less");
- a cost ceiling (`≤X万元`) for a project that differs from the project's budget or
  procurement amount;
- a rate indicator (`…率`) whose value is money.

Scopes: the department-wide targets (narrative outside the project tables, and the
整体支出绩效 table) form one scope; each project's table is its own scope.
"""
from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document, Row, Table
from budgetlens.document.numbers import cell_value, is_unit, number_with_unit, to_wan
from budgetlens.extractors.numbers import find_quantities
from budgetlens.reconcile import memo
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import cell, cell_key, fmt, quote, table_name
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say, word

FAMILY = "indicator"
V = gazetteers.load("rules/indicators")

_CMP_WORDS = sorted(((w, c) for c, ws in V["comparators"].items() for w in ws), key=lambda x: -len(x[0]))
_CMP_RE = "|".join(re.escape(w) for w, _ in _CMP_WORDS)
_CMP_OF = dict(_CMP_WORDS)
# the figure itself is read by the one parser (document/numbers.py, extractors/numbers.py);
# these only find the comparator before it and the subject before that
_CMP_BEFORE = re.compile(rf"\s*(?P<cmp>{_CMP_RE})?")
# words before a narrative target's subject that are not part of it (`确保…`)
_SUBJ_LEAD = re.compile(rf"^({'|'.join(re.escape(w) for w in V['subject_lead_words'])})+")
_SUBJ_CMP_END = re.compile(rf"(?P<subj>[^，,；;。：:、\n（）()]{{2,40}}?)\s*(?P<cmp>{_CMP_RE})\s*$")


@dataclass
class Indicator:
    subject: str
    comparator: Optional[str]
    value: float
    unit: str
    raw: str
    scope: str  # "department" or a table_id
    table: Optional[Table] = None
    row: Optional[Row] = None
    col: Optional[int] = None
    sentence: Optional[str] = None
    start: Optional[int] = None
    level2: str = ""

    def evidence(self) -> str:
        if self.table is not None:
            return say("indicator.evidence", table=table_name(self.table), subject=_clean(self.subject),
                       raw=_clean(self.raw))
        return quote(self.sentence)


from budgetlens.reconcile.evidence import clean_ws as _clean  # noqa: E402


def _norm_unit(u: Optional[str]) -> str:
    u = (u or "").replace("％", "%")
    return u


def table_indicators(t: Table) -> list[Indicator]:
    """Indicator rows of a 绩效目标 table: the three-level name and its target value, in
    the `指标值` cell (`≥95%`) or split over 符号 | 值 | 单位 cells."""
    out = []
    name_col = 2
    project_col: Optional[int] = None
    project = ""
    header = V["indicator_name_header"]
    for r, cells in zip(t.rows, _table_cells(t)):
        if header in cells:
            name_col = cells.index(header)
            project_col = next((j for j, c in enumerate(cells) if c in V["project_name_labels"]), project_col)
            continue
        project = _project_of(cells, project_col, project)
        if len(cells) <= name_col:
            continue
        name = cells[name_col]
        if not name or cell_value(name) is not None:
            continue
        scope = f"{t.table_id}:{project}" if project else t.table_id
        level2 = cells[1] if len(cells) > 1 else ""
        for j in range(name_col + 1, len(cells)):
            c = cells[j]
            cmp, nu = _target_of(c)
            if nu and (cmp or nu[1]):
                if not nu[1] and j + 1 < len(cells) and is_unit(cells[j + 1]):
                    unit = cells[j + 1]
                else:
                    unit = nu[1]
                out.append(Indicator(name, _CMP_OF[cmp] if cmp else "=",
                                     nu[0], _norm_unit(unit), r.cells[j], scope, t, r, j,
                                     level2=level2))
                break
            if c in _CMP_OF and j + 1 < len(cells) and cell_value(cells[j + 1]) is not None:
                unit = cells[j + 2] if j + 2 < len(cells) and is_unit(cells[j + 2]) else ""
                out.append(Indicator(name, _CMP_OF[c], float(cell_value(cells[j + 1])), _norm_unit(unit),
                                     f"{c}{cells[j + 1]}{unit}", scope, t, r, j + 1, level2=level2))
                break
    return out


@functools.lru_cache(maxsize=50_000)
def _target_of(c: str) -> tuple:
    """(comparator as written or None, number_with_unit of the rest) of a cleaned cell."""
    m = _CMP_BEFORE.match(c)
    return m.group("cmp"), number_with_unit(c[m.end():])


def _table_cells(t: Table) -> list[list[str]]:
    """Every row's cells without whitespace, once per table (read, never changed)."""
    return memo.obj_once(t, "indicator_cells", lambda x: [[_clean(c) for c in r.cells] for r in x.rows])


def _table_keys(t: Table) -> list[list[str]]:
    """Every row's cells as label keys (`_label`), once per table."""
    return memo.obj_once(t, "indicator_keys", lambda x: [[_label(c) for c in cells] for cells in _table_cells(x)])


def _positions(t: Table) -> Optional[dict]:
    """id(row) → its position in `t.rows`, once per table; None unless the rows' indices
    increase down the table (a block of rows is then a slice)."""
    def build(x: Table) -> Optional[dict]:
        idx = [r.index for r in x.rows]
        if any(a >= b for a, b in zip(idx, idx[1:])):
            return None
        return {id(r): k for k, r in enumerate(x.rows)}
    return memo.obj_once(t, "indicator_positions", build)


_PROJECT_NAME_LABELS = frozenset(V["project_name_labels"])


def _project_of(cells: list[str], project_col: Optional[int], current: str) -> str:
    """The project a target row belongs to: the table's project-name column (a merged cell
    repeats or is left blank below its first row), or a form row `项目名称 | NAME`.  Targets
    of different projects are different indicators, however alike their names."""
    if project_col is not None and project_col < len(cells) and cells[project_col]:
        return cells[project_col]
    for j, c in enumerate(cells[:-1]):
        if c in _PROJECT_NAME_LABELS and cells[j + 1]:
            return cells[j + 1]
    return current


def narrative_indicators(doc: Document) -> list[Indicator]:
    """Percent targets stated in the narrative (`信访群众满意度不低于85%`)."""
    out = []
    for s in doc.sentences:
        if s.table_id or ("%" not in s.text and "％" not in s.text):
            continue
        floor = 0
        for q in find_quantities(s.text):
            if q.unit != "%" or q.start < floor:
                continue
            m = _SUBJ_CMP_END.search(s.text, floor, q.start)
            if m is None:
                continue
            floor = q.end
            subj = _SUBJ_LEAD.sub("", m.group("subj"))
            out.append(Indicator(subj, _CMP_OF[m.group("cmp")], q.value, "%", s.text[m.start():q.end],
                                 "department", sentence=s.text, start=s.start + q.start))
    return out


def _measure(subject: str) -> Optional[str]:
    for key, words in V["measures"].items():
        if any(w in subject for w in words):
            return key
    return None


def _party(subject: str) -> str:
    best = ""
    for p in V["parties"]:
        if p in subject and len(p) > len(best):
            best = p
    return V.get("party_aliases", {}).get(best, best)


def check(doc: Document, facts=None) -> list[Flag]:
    flags: list[Flag] = []
    tables = doc.tables_of("performance_targets", "overall_performance_targets")
    inds: list[Indicator] = []
    for t in tables:
        for ind in table_indicators(t):
            if t.table_type == "overall_performance_targets":
                ind.scope = "department"
            inds.append(ind)
    narrative = narrative_indicators(doc)
    flags += _conflicting_targets(inds + narrative)
    flags += _decrease_with_ceiling(doc, inds + narrative)
    flags += _rate_in_money(inds)
    flags += _cost_vs_budget(doc, inds)
    return flags


def _conflicting_targets(inds: list[Indicator]) -> list[Flag]:
    groups: dict[tuple, list[Indicator]] = {}
    for ind in inds:
        m = _measure(ind.subject)
        if not m or ind.unit != "%":
            continue
        groups.setdefault((ind.scope, m, _party(ind.subject)), []).append(ind)
    flags = []
    for (scope, measure, party), group in groups.items():
        if not party:
            continue
        values = sorted({g.value for g in group})
        if len(values) < 2:
            continue
        lo, hi = values[0], values[-1]
        flags.append(Flag(
            FAMILY, "indicator.conflicting_targets", "warning",
            say("indicator.conflicting_targets", party=party, measure=measure, targets=word("list_separator").join(
                say("indicator.conflicting_targets.item", subject=g.subject, comparator=g.comparator or "",
                    value=fmt(g.value)) for g in group)),
            values=values, stated=lo, expected=hi, difference=round(hi - lo, 6),
            evidence=[g.evidence() for g in group],
            start=next((g.start for g in group if g.start is not None), None),
            key=f"targets:{scope}:{measure}:{party}",
        ))
    return flags


def _decrease_with_ceiling(doc: Document, inds: list[Indicator]) -> list[Flag]:
    flags = []
    for ind in inds:
        if ind.comparator not in ("≤", "<") or ind.unit != "%":
            continue
        if not any(w in ind.subject for w in V["decrease_measures"]):
            continue
        # the narrative's own statement of the same target, if any
        said = None
        pat = re.compile(rf"({'|'.join(V['decrease_words'])})\s*{re.escape(fmt(ind.value))}\s*[%％]")
        for s in doc.sentences:
            if not s.table_id and pat.search(s.text):
                said = s
                break
        msg = say("indicator.decrease_target_comparator", subject=ind.subject, comparator=ind.comparator,
                  value=fmt(ind.value), said=say("indicator.decrease_target_comparator.said",
                                                 text=pat.search(said.text).group(0)) if said is not None else "")
        ev = [ind.evidence()] + ([quote(said.text)] if said is not None else [])
        flags.append(Flag(
            FAMILY, "indicator.decrease_target_comparator", "warning", msg,
            values=[ind.value], stated=ind.value, evidence=ev,
            key=f"decrease:{ind.scope}:{ind.subject}",
            cells=[cell_key(ind.table, ind.row, ind.col)] if ind.table is not None else [],
        ))
    return flags


def _is_money(unit: str) -> bool:
    return unit in V["money_units"]


def _rate_in_money(inds: list[Indicator]) -> list[Flag]:
    flags = []
    for ind in inds:
        if ind.table is None or not _is_money(ind.unit):
            continue
        if not any(ind.subject.endswith(s) for s in V["rate_suffixes"]):
            continue
        flags.append(Flag(
            FAMILY, "indicator.rate_in_money", "warning",
            say("indicator.rate_in_money", subject=ind.subject, raw=ind.raw.strip()),
            values=[ind.value], stated=ind.value, evidence=[ind.evidence()],
            key=f"rate_money:{ind.scope}:{ind.subject}", cells=[cell_key(ind.table, ind.row, ind.col)],
        ))
    return flags


# ── cost ceilings against the project's budget ───────────────────────────────────────

_TITLE_NOISE = re.compile(V["title_noise"])
_PART_LEAD = re.compile(rf"^{re.escape(V['fund_part_lead'])}\s*[：:]?\s*")


def _project_name(t: Table) -> str:
    """`project_name(t)`, once per table."""
    return memo.obj_once(t, "project_name", project_name)


def project_name(t: Table) -> str:
    name = _clean(t.title)
    for cells in _table_cells(t)[:3]:
        if V["title_name_label"] in cells:
            k = cells.index(V["title_name_label"])
            if k + 1 < len(cells) and cells[k + 1]:
                return cells[k + 1]
    return _TITLE_NOISE.sub("", _TITLE_NOISE.sub("", name))


_COLON_END = re.compile(r"[：:]\s*$")


@functools.lru_cache(maxsize=50_000)
def _label(c: str) -> str:
    """A label cell as a vocabulary key: `年度预算资金总额：` is `年度预算资金总额`, `其中：财政拨款`
    is `财政拨款`."""
    c = _COLON_END.sub("", _clean(c))
    return _PART_LEAD.sub("", c)


def _labelled_amounts(t: Table, stop: Optional[int], labels: list[str]) -> list[tuple[float, Row, int]]:
    """(value, row, col) of the first number within two cells right of a cell labelled
    `labels` (as `_label` keys), in the first `stop` rows of `t` (every row when None)."""
    out = []
    for r, cells, keys in zip(t.rows[:stop], _table_cells(t), _table_keys(t)):
        for k, key in enumerate(keys):
            if key in labels:
                for j in range(k + 1, min(k + 3, len(cells))):
                    v = cell_value(cells[j])
                    if v is not None:
                        out.append((v, r, j))
                        break
    return out


def project_budget(t: Table) -> Optional[tuple[float, Row, int]]:
    """The `预算数` (or 项目金额/资金总额) stated in a project's performance table."""
    got = _labelled_amounts(t, 6, V["project_budget_labels"])
    return got[0] if got else None


def _project_block(t: Table, row: Row) -> list[Row]:
    """The rows of the project an indicator row belongs to: from the last budget row above
    it (a table continued over pages holds one project per page, each stating its budget)
    down to the row, with the few rows above the budget that name the project."""
    lo, hi = _block_span(t, row)
    if hi is not None:
        return t.rows[lo:hi]
    rows = [r for r in t.rows if r.index <= row.index]
    budget_rows = memo.obj_once(t, "budget_rows", _budget_rows)
    starts = [k for k, r in enumerate(rows) if id(r) in budget_rows]
    return rows[max(0, starts[-1] - 3):] if starts else rows


def _block_span(t: Table, row: Row) -> tuple[int, Optional[int]]:
    """`_project_block` as the slice [lo, hi) of `t.rows`; hi None when the rows' indices do
    not increase (or `row` is not one of them): the block is then worked out row by row."""
    pos = _positions(t)
    k = pos.get(id(row)) if pos is not None else None
    if k is None or t.rows[k] is not row:
        return 0, None
    starts = memo.obj_once(t, "budget_positions", _budget_positions)
    i = bisect.bisect_right(starts, k) - 1
    return (max(0, starts[i] - 3) if i >= 0 else 0), k + 1


def _budget_positions(t: Table) -> list[int]:
    """Positions in `t.rows` of the rows that state a project budget, in order."""
    labels = V["project_budget_labels"]
    return [k for k, keys in enumerate(_table_keys(t)) if any(key in labels for key in keys)]


def _budget_rows(t: Table) -> set:
    """ids of the rows of `t` that state a project budget (a budget label in a cell)."""
    return {id(r) for r in t.rows if any(_label(c) in V["project_budget_labels"] for c in r.cells)}


def project_funds(t: Table, row: Row) -> list[tuple[float, Row, int]]:
    """The budget of the indicator's project and the funding parts its table states
    (其中：财政拨款 / 其他资金): [] when the project's block states no budget."""
    lo, hi = _block_span(t, row)
    if hi is None:
        block = _project_block(t, row)
        inside = {id(r) for r in block}
        within = lambda x: id(x[1]) in inside  # noqa: E731
    else:
        pos = _positions(t) or {}
        within = lambda x: lo <= pos[id(x[1])] < hi  # noqa: E731
    b = [x for x in _labelled_in(t, "project_budget_labels") if within(x)][-1:]
    if not b:
        return []
    return b[:1] + [x for x in _labelled_in(t, "project_fund_part_labels")
                    if within(x) and (x[1] is not b[0][1] or x[2] != b[0][2])]


def _labelled_in(t: Table, vocab: str) -> list[tuple[float, Row, int]]:
    """`_labelled_amounts` of every row of `t` for `V[vocab]`, once per table (a long table
    has many indicators, each with a block of rows)."""
    return memo.obj_once(t, ("labelled", vocab), lambda _t: _labelled_amounts(t, None, V[vocab]))


def _block_name(t: Table, row: Row) -> str:
    lo, hi = _block_span(t, row)
    if hi is not None:
        block = _table_cells(t)[lo:hi][:4]
    else:
        pos = {id(r): k for k, r in enumerate(t.rows)}
        block = [_table_cells(t)[pos[id(r)]] for r in _project_block(t, row)[:4]]
    for cells in block:
        for k, c in enumerate(cells):
            if _label(c) in V["project_name_labels"] and k + 1 < len(cells) and cells[k + 1]:
                return cells[k + 1]
    return _project_name(t)


@functools.lru_cache(maxsize=50_000)
def _lcs(a: str, b: str) -> int:
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best


def _budget_sources(doc: Document) -> list[tuple[str, float, Table, Row, int]]:
    """(item name, amount, table, row, col) for each project / procurement line."""
    out = []
    for t in doc.tables_of("performance_targets"):
        b = project_budget(t)
        if b:
            out.append((_project_name(t), b[0], t, b[1], b[2]))
    for t in doc.tables_of("government_procurement", "project_expenditure"):
        amount_cols = [j for j, c in enumerate(t.columns) if any(w in c for w in V["amount_column_words"])]
        for r in t.rows:
            name = _clean(r.label or "")
            if not name or any(w in name for w in V["subtotal_words"]):
                continue
            for j in amount_cols:
                v = cell_value(r.cells[j]) if j < len(r.cells) else None
                if v is not None:
                    out.append((name, v, t, r, j))
                    break
    return out


def _cost_vs_budget(doc: Document, inds: list[Indicator]) -> list[Flag]:
    flags = []
    sources = _budget_sources(doc)
    for ind in inds:
        if ind.table is None or ind.comparator not in ("≤", "<", "=") or ind.unit not in V["cost_units"]:
            continue
        if not any(w in ind.level2 for w in V["cost_level2_words"]) and not any(
                w in ind.subject for w in V["cost_subject_words"]):
            continue
        value_wan = to_wan(ind.value, ind.unit)
        own = ind.table.table_type == "performance_targets"
        matches = []
        own_funds = project_funds(ind.table, ind.row) if own else []
        if own_funds:
            # the project's own table states its budget: only the project's total cost (a
            # subject ending in a total-cost word; `总成本中X成本` is a part of it) is compared,
            # with that budget (not a funding part of it), never with another project of a
            # like name; a budget of 0 (funded from elsewhere) establishes nothing
            if not _clean(ind.subject).endswith(tuple(V["total_cost_words"])) or not own_funds[0][0]:
                continue
            name = _block_name(ind.table, ind.row)
            matches = [(name, a, ind.table, r, j) for a, r, j in own_funds[:1]]
            sources_here = []
        else:
            sources_here = sources
        total_cost = any(w in ind.subject for w in V["total_cost_words"])
        own_name = _project_name(ind.table) if own and sources_here else ""
        for name, amount, t, r, j in sources_here:
            if t is ind.table:
                if total_cost:
                    matches.append((name, amount, t, r, j))
                continue
            if own_name and _lcs(own_name, name) >= max(6, len(name) - 2):
                if total_cost or _lcs(ind.subject, name) >= 6:
                    matches.append((name, amount, t, r, j))
                continue
            if _lcs(ind.subject, name) >= 6:
                matches.append((name, amount, t, r, j))
        if not matches:
            continue
        ceiling = tol.figure(value_wan, ind.raw, unit=V["ceiling_unit"])
        if any(tol.agree(ceiling, tol.figure(a, unit=V["ceiling_unit"])) for _n, a, *_ in matches):
            continue
        amounts = [a for _n, a, *_ in matches]
        near = min(amounts, key=lambda a: abs(a - value_wan))
        over = value_wan > max(amounts)
        close = tol.close(value_wan, near, V["cost_ceiling_near_relative"])
        if not (over or close):
            continue
        n, a, t, r, j = next(m for m in matches if m[1] == near)
        flags.append(Flag(
            FAMILY, "indicator.cost_ceiling_vs_budget", "error" if over else "warning",
            say("indicator.cost_ceiling_vs_budget", subject=ind.subject, comparator=ind.comparator, ceiling=fmt(value_wan),
                name=n, amount=fmt(near), tail=word("ceiling_over" if over else "full_stop")),
            values=[value_wan, near], stated=value_wan, expected=near, difference=round(value_wan - near, 6),
            evidence=[ind.evidence(), cell(t, r, j)],
            key=f"cost:{ind.scope}:{ind.subject}",
            cells=[cell_key(ind.table, ind.row, ind.col), cell_key(t, r, j)],
        ))
    return flags
