"""`narrative_vs_table`: a narrative figure against the table that holds the same figure.

- the “三公” total and each part against the 三公 table, in either orientation (parts as
  rows, or parts as columns as in the Jiangsu 三公/会议费/培训费 table);
- every other subject of gazetteers/rules/narrative_vs_table.yaml (`subjects`): 收入/支出
  totals, 财政拨款收入, 基本/项目支出, 人员/公用经费, 机关运行经费, 政府采购, 固定资产 —
  against the cells its locators find (a figure is flagged when it agrees with none);
- 机关运行经费 items (办公费 30201 …) against the economic rows of the 机关运行经费 /
  基本支出 tables, by the economic code of the name written before the figure;
- each 功能分类 item (`X（类）Y（款）Z（项）A万元`, or a fact with a code) against the
  row with that code; a narrative name the table does not use for the code (e.g. a name
  the classification dropped: gazetteers.outdated_names()) is flagged instead.

Subjects come from the facts' `term` (gazetteers/terms.yaml keys) and codes; values are
compared in 万元 with tolerance.figure (元 tables at 元 precision, scaled).
"""
from __future__ import annotations

import re
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.tables import is_code, parse_number
from budgetlens.document.model import Document, Table
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import cell, cell_key, fmt, quote, table_name
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.table_arithmetic import row_codes

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
    years = {y for c in labels for y in re.findall(r"(?:19|20)\d{2}", c)}
    if any(re.search(r"(上年|增减)", c) for c in labels) or len(years) > 1:
        return {}  # two years side by side: which column is this year's is not certain
    if any("预算数" in c for c in labels) and any("决算数" in c for c in labels):
        return {}  # 预算数 and 决算数 side by side (final accounts): not this rule's to pick
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
        # `“三公”经费预算数/合计` (Shanghai): the column group names the part and the kind of figure
        canon = canonical(seg) or canonical(re.sub(r"(预算数|决算数|预算|决算)$", "", seg))
        if canon in SANGONG and canon not in out and j < len(r.cells) and parse_number(r.cells[j]) is not None:
            out[canon] = (r, j)
    return out


def check(doc: Document, facts=None) -> list[Flag]:
    if not facts:
        return []
    return check_sangong(doc, facts) + check_subjects(doc, facts)


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


# ── every other subject: totals, 基本/项目, 人员/公用, 机关运行经费 and its items, 政府采购,
# 固定资产, 功能分类 items (amount and name) ─────────────────────────────────────────────

V = gazetteers.load("rules/narrative_vs_table")
_TOTAL_ROW = [re.compile(p) for p in gazetteers.load("rules/tables")["total_row"]]
_NOT_TOTAL = [re.compile(p) for p in V["not_the_total"]]
_FALLBACK = [(re.compile(k), v) for k, v in (V.get("fallback_subjects") or {}).items()]
_OTHER_COL = V["other_columns"]
_SEG = re.compile(r"([^（）()“”\"，,。；;：:、\s]+?(?:[（(][^（）()类款项]{1,6}[）)][^（）()“”\"，,。；;：:、\s]*?)*)\s*[（(](类|款|项)[）)]")
_SEPS = "，,；;。：:、\n"


class Cand:
    __slots__ = ("t", "rows", "j", "fig", "weak", "value")

    def __init__(self, t, rows, j, fig, weak, value):
        self.t, self.rows, self.j, self.fig, self.weak, self.value = t, rows, j, fig, weak, value

    @property
    def scope(self) -> str:
        return "general" if self.t.table_type in V["general_scope_tables"] else "all"

    def cite(self) -> list[str]:
        return [cell(self.t, r, self.j) for r in self.rows]

    def keys(self) -> list[str]:
        return [cell_key(self.t, r, self.j) for r in self.rows]


def _c(s: Optional[str]) -> str:
    return re.sub(r"\s+", "", s or "")


def _fig(t: Table, r, j) -> Optional[tol.Figure]:
    if j >= len(r.cells):
        return None
    v = parse_number(r.cells[j])
    if v is None:
        return None
    f = tol.figure(v, r.cells[j], unit=t.unit or "万元")
    return f.scaled(1e-4) if t.unit == "元" else f


def _amount_cols(t: Table) -> list[int]:
    labels = [_c(c) for c in t.columns]
    out = []
    for j in range(max((len(r.cells) for r in t.rows), default=0)):
        lab = labels[j] if j < len(labels) else ""
        if any(w in lab for w in _OTHER_COL):
            continue
        if any(parse_number(r.cells[j]) is not None for r in t.rows if j < len(r.cells)):
            out.append(j)
    return out


def _total_rows(t: Table):
    rows = [r for r in t.rows if not r.code and any(p.search(_c(r.label)) for p in _TOTAL_ROW)]
    if rows:
        return rows[:1]
    data = [r for r in t.rows if any(parse_number(c) is not None for c in r.cells)]
    if data and not data[0].code and not _c(data[0].label):
        return data[:1]  # a one-row table (Jiangsu 支出总表: 合计 | 基本支出 | 项目支出 …)
    if len(data) == 1 and t.table_type in ("sangong",):
        return data
    return []


def _first_amount_after(t: Table, r, k: int) -> Optional[int]:
    cols = set(_amount_cols(t))
    for j in range(k + 1, len(r.cells)):
        c = _c(r.cells[j])
        if j in cols and parse_number(c) is not None:
            return j
        if c and parse_number(c) is None and not re.fullmatch(r"\d+", c):
            return None
    return None


def _code_rows(t: Table) -> dict[str, list]:
    """classification code → rows (split 类|款|项 columns joined; codes in any cell)."""
    out: dict[str, list] = {}
    for idx, code in row_codes(t).items():
        out.setdefault(code, []).append(t.rows[idx])
    for r in t.rows:
        for j, c in enumerate(r.cells[:-1]):
            c = c.strip()
            if is_code(c) and parse_number(r.cells[j + 1]) is None and r not in out.get(c, []):
                out.setdefault(c, []).append(r)
    return out


def _code_cell(t: Table, r, code: str) -> Optional[int]:
    """The amount of a coded row: the first amount column (the 合计) right of its name."""
    cols = _amount_cols(t)
    k = next((j for j, c in enumerate(r.cells) if c.strip() == code), None)
    if k is not None:
        j = _first_amount_after(t, r, k + 1) if k + 1 < len(r.cells) and parse_number(r.cells[k + 1]) is None else _first_amount_after(t, r, k)
        if j is not None:
            return j
    for j in cols:
        if j < len(r.cells) and parse_number(r.cells[j]) is not None and r.cells[j].strip() != code:
            lab = _c(t.columns[j]) if j < len(t.columns) else ""
            if re.search(r"类|款|项|编码|代码", lab):
                continue
            return j
    return None


def locate(doc: Document, spec: dict) -> list[Cand]:
    out = []
    weak = bool(spec.get("weak"))
    col_re = re.compile(spec["col"]) if spec.get("col") else None
    row = spec.get("row")
    for t in doc.tables_of(spec["table"]):
        if t.empty:
            continue
        labels = [_c(c) for c in t.columns]
        if row is None:
            for r in _total_rows(t):
                js = [j for j in _amount_cols(t) if col_re is None or (j < len(labels) and col_re.search(labels[j]))]
                for j in js:
                    f = _fig(t, r, j)
                    if f is not None:
                        out.append(Cand(t, [r], j, f, weak, parse_number(r.cells[j])))
                        break
        elif row.startswith("code:"):
            codes = row[5:].split("+")
            by = _code_rows(t)
            if not all(c in by for c in codes):
                continue
            rows, figs, j0 = [], [], None
            for c in codes:
                r = by[c][0]
                j = _code_cell(t, r, c)
                f = _fig(t, r, j) if j is not None else None
                if f is None:
                    break
                rows.append(r)
                figs.append(f)
                j0 = j
            else:
                if figs:
                    out.append(Cand(t, rows, j0, tol.total(figs), weak, round(sum(x.value for x in figs), 6)))
        else:
            rx = re.compile(row)
            for r in t.rows:
                cells = [_c(c) for c in r.cells]
                for k, c in enumerate(cells):
                    if not rx.search(c):
                        continue
                    j = None
                    if col_re is not None:
                        j = next((j for j in _amount_cols(t) if j < len(labels) and col_re.search(labels[j])
                                  and _fig(t, r, j) is not None), None)
                    else:
                        j = _first_amount_after(t, r, k)
                    if j is not None:
                        out.append(Cand(t, [r], j, _fig(t, r, j), weak, parse_number(r.cells[j])))
                    break
    return out


def _subject_term(doc: Document, f) -> Optional[str]:
    term = getattr(f, "term", None)
    if term in V["subjects"]:
        return term
    if term:
        return None
    subj = _c(f.subject)
    subj = re.sub(r"^\d{4}年(度)?", "", subj)
    for name in filter(None, [doc.department]):
        subj = subj.replace(_c(name), "")
    for rx, t in _FALLBACK:
        if rx.search(subj) or rx.search(re.sub(r"^.*?(?:办事处|政府|委员会|局|厅|院|部|中心|街道|办公室|我[局委厅院部办]|本(?:部门|单位))", "", subj)):
            return t
    return None


def _clause_before(doc: Document, f) -> str:
    s = doc.sentence_at(f.start) if f.start is not None else None
    if s is None:
        return f.sentence or ""
    text = doc.text[s.start:f.start]
    cut = max(text.rfind(ch) for ch in _SEPS)
    return text[cut + 1:]


def _name_before(doc: Document, f) -> str:
    """The words right before the figure (the item's name as written)."""
    clause = _clause_before(doc, f).strip()
    changed = True
    while changed:
        changed = False
        for w in sorted(V["name_fillers"], key=len, reverse=True):
            if clause.endswith(w) and len(clause) > len(w):
                clause = clause[: -len(w)].rstrip()
                changed = True
    return clause


def _economic_code(doc: Document, f) -> Optional[str]:
    code = getattr(f, "code", None)
    if code and str(code)[0] in "35":
        return str(code)
    name = _c(_name_before(doc, f))
    idx = gazetteers.economic_name_index()
    best = None
    for k in range(len(name)):
        cand = name[k:]
        if cand in idx:
            best = idx[cand]
            break
    if best:
        codes = [c for c in best if c.startswith("3")]
        return codes[-1] if codes else None
    return None


def _functional_segments(text: str) -> list[tuple[str, str]]:
    return [(_c(m.group(1)).strip("“”\"‘’"), m.group(2)) for m in _SEG.finditer(text)]


def _functional_rows(doc: Document):
    """(table, code → row) of every 功能分类 table."""
    for t in doc.tables_of(*V["functional_tables"]):
        if not t.empty:
            yield t, {c: rs[0] for c, rs in _code_rows(t).items() if c[:1] == "2"}


def _norm_name(s: str) -> str:
    return _norm(_c(s)).replace("(", "（").replace(")", "）")


def _functional_code(doc: Document, f, segs) -> Optional[str]:
    code = getattr(f, "code", None)
    if code and str(code)[:1] == "2":
        return str(code)
    if not segs:
        return None
    names = [_norm_name(n) for n, _lv in segs]
    for _t, rows in _functional_rows(doc):
        for c, r in rows.items():
            if _norm_name(r.label or "") != names[-1]:
                continue
            # the levels named before it must be its ancestors
            anc = [_norm_name(rows[c[:k]].label or "") for k in (3, 5) if k < len(c) and c[:k] in rows]
            if all(n in anc for n in names[:-1] if anc):
                return c
    return None


def _cands_for_code(doc: Document, code: str, kind: str) -> list[Cand]:
    out = []
    types = V["functional_tables"] if kind == "functional" else V["economic_tables"]
    for t in doc.tables_of(*types):
        if t.empty:
            continue
        rows = _code_rows(t).get(code)
        if not rows:
            continue
        r = rows[0]
        j = _code_cell(t, r, code)
        fg = _fig(t, r, j) if j is not None else None
        if fg is not None:
            weak = kind == "economic" and t.table_type != "agency_operating"
            out.append(Cand(t, [r], j, fg, weak, parse_number(r.cells[j])))
    return out


def _stated(f) -> tol.Figure:
    return tol.figure(f.value_wan, f.raw or str(f.value), unit="万元", approx=(f.qualifier == "约"))


def _agree(f, c: Cand) -> bool:
    stated = _stated(f)
    if c.t.unit == "元":
        # a 万元 figure read from a 元 table: rounded or cut to two decimals, or to whole
        # 万元 when written without decimals
        d = tol.decimals_of(f.raw or str(f.value))
        half = 0.5 if d == 0 and (f.unit or "万元") == "万元" else 0.01
        return abs(stated.value - c.fig.value) <= max(stated.half, half) + 1e-9
    return tol.agree(stated, c.fig)


def _fact_scope(doc: Document, f) -> str:
    ctx = (f.sentence or "") + " " + (f.section or "") + " " + (f.subject or "")
    return "general" if re.search(V["general_scope_words"], ctx) else "all"


_SCOPES: dict[str, bool] = {}


def _scopes_differ(doc: Document) -> Optional[bool]:
    """True when the department spends more than its 一般公共预算 (other funds): an
    all-funds figure and a 一般公共预算 table figure then need not agree."""
    if doc.doc_id in _SCOPES:
        return _SCOPES[doc.doc_id]
    a = [c for spec in V["subjects"]["本年支出合计"] for c in locate(doc, spec)]
    g = locate(doc, {"table": "general_budget_expenditure", "row": None})
    out = None
    if a and g:
        out = not tol.agree(a[0].fig, g[0].fig)
    _SCOPES[doc.doc_id] = out
    return out


def _table_unit_fmt(c: Cand) -> str:
    return f"{fmt(c.value)}{c.t.unit or '万元'}"


def _mismatch(doc, f, cands: list[Cand], rule: str, what: str) -> Optional[Flag]:
    if not cands or any(_agree(f, c) for c in cands):
        return None
    scope = _fact_scope(doc, f)
    differ = _scopes_differ(doc)
    usable = []
    for c in cands:
        weak = c.weak or c.scope != scope
        if c.scope != scope and differ:
            continue  # another scope that is known to differ
        usable.append((c, weak))
    strong = [c for c, w in usable if not w]
    weak = [c for c, w in usable if w and c.fig.value and abs(f.value_wan - c.fig.value) <= V["weak_max_relative"] * abs(c.fig.value)]
    if not strong and not weak:
        return None
    c = (strong or weak)[0]
    sev = "error" if strong else "warning"
    title = table_name(c.t)
    unit = f.unit or "万元"
    return Flag(
        FAMILY, rule, sev,
        f"文中{what}为{fmt(f.value)}{unit}，而{title}中为{_table_unit_fmt(c)}"
        f"{'（按万元计' + fmt(round(c.fig.value, 4)) + '万元）' if c.t.unit == '元' else ''}，相差{fmt(round(f.value_wan - c.fig.value, 4))}万元。",
        values=[f.value, c.value], stated=f.value, expected=c.value,
        difference=round(f.value_wan - c.fig.value, 6),
        evidence=[quote(f.sentence)] + c.cite(), start=f.start, end=f.end, sentence=f.sentence,
        cells=c.keys(), key=f"{rule}:{f.start}:{f.value}",
    )


_CODE_LEVEL = {3: "类", 5: "款", 7: "项"}


def _names_match(label: str, name: str) -> bool:
    """A table's 科目名称 and a name written in the narrative, normalised: equal, equal but
    for a trailing 支出, or the written name is the tail of a 、-list name the narrative's
    punctuation cut (`执行等检察监督支出` of `公诉、审判、侦查、执行等检察监督支出`)."""
    if label == name or _name_core(label) == _name_core(name):
        return True
    return "、" in label and len(name) >= 4 and label.endswith(name)


def _name_core(name: str) -> str:
    for pat in V.get("name_variant_strip", ["支出$"]):
        name = re.sub(pat, "", name)
    return name


def _resolve_by_names(doc: Document, segs) -> str:
    """The deepest code a written 类/款/项 path reaches through the table's own names, one
    level at a time (a 项 the classification does not know still has a known 类 and 款)."""
    for _t, rows in _functional_rows(doc):
        code = ""
        for name, lv in segs:
            n = {"类": 3, "款": 5, "项": 7}.get(lv)
            if n is None:
                break
            want = _norm_name(name)
            cands = [c for c, r in rows.items() if len(c) == n and c.startswith(code)
                     and _names_match(_norm_name(r.label or ""), want)]
            if len(cands) != 1:
                break
            code = cands[0]
        if code:
            return code
    return ""
_LEVEL_RANK = {"类": 0, "款": 1, "项": 2}


def _row_with_amount(t: Table, rows: dict, code: str, value_wan) -> Optional[tuple]:
    """A row coded under `code` (longer code, same prefix) whose amount equals the figure."""
    if value_wan is None:
        return None
    want = tol.figure(value_wan, None, unit="万元")
    for c2, r2 in rows.items():
        if len(c2) <= len(code) or not c2.startswith(code):
            continue
        j = _code_cell(t, r2, c2)
        v = parse_number(r2.cells[j]) if j is not None else None
        if v is None:
            continue
        v_wan = v / 10000 if t.unit == "元" else v
        if tol.agree(want, tol.figure(v_wan, None, unit="万元" if t.unit != "元" else "元").scaled(1)):
            return c2, r2, j
    return None


def _name_flags(doc: Document, f, segs, code: str) -> list[Flag]:
    """A 功能分类 name in the narrative that the table (or the classification for the year)
    does not use for that code."""
    out = []
    if not segs:
        return out
    # compare the name written at the level of the resolved code (类 3 digits, 款 5, 项 7)
    level = _CODE_LEVEL.get(len(code))
    at = [n for n, lv in segs if lv == level]
    written = at[0] if at else segs[-1][0]
    deeper = [n for n, lv in segs if _LEVEL_RANK.get(lv, 9) > _LEVEL_RANK.get(level, -1)]
    name = _norm_name(written)
    outdated = gazetteers.outdated_names().get(written) or gazetteers.outdated_names().get(name) or []
    path = "".join(n + "（" + lv + "）" for n, lv in segs)
    for t, rows in _functional_rows(doc):
        r = rows.get(code)
        if r is None:
            continue
        label = _norm_name(r.label or "")
        spec = gazetteers.functional_codes().get(code) or {}
        same = {_norm_name(spec.get("name", ""))} | {_norm_name(a) for a in spec.get("aliases", [])}
        name_ok = (not label or _names_match(label, name) or (name in same and label in same))
        if name_ok and not deeper:
            return out
        if name_ok:
            # the path goes deeper than any row the table has under this code: name the row
            # under it that carries the same amount, if there is one
            match = _row_with_amount(t, rows, code, f.value_wan)
            if match is None:
                return out  # nothing to show the reader; stay silent rather than guess
            code2, r2, j2 = match
            # the table's own path to that row, level by level, against the written one
            table_path = {lv: rows.get(code2[:n]) for n, lv in _CODE_LEVEL.items() if len(code2) >= n}
            wrong = []
            for n_written, lv in segs:
                tr = table_path.get(lv)
                if tr is None or not tr.label:
                    continue
                a, b = _norm_name(n_written), _norm_name(tr.label)
                if a != b and re.sub(r"支出$", "", a) != re.sub(r"支出$", "", b):
                    wrong.append(f"{lv}写作“{n_written}”，表中为{[k for k, v in rows.items() if v is tr][0]}“{_c(tr.label)}”")
            if not wrong:
                return out
            out.append(Flag(
                FAMILY, "functional.name_vs_table", "warning",
                f"文中功能分类科目“{path}”与表中科目名称不一致：{'；'.join(wrong)}"
                f"（{table_name(t)}中金额为{fmt(f.value)}万元的科目是{code2}“{_c(r2.label)}”）。",
                values=[f.value] if f.value is not None else [], stated=f.value,
                evidence=[quote(f.sentence), cell(t, r2, j2)],
                start=f.start, end=f.end, sentence=f.sentence, key=f"fname:{code2}:{path}",
            ))
            return out
        j = _code_cell(t, r, code)
        old = [o for o in outdated if o["code"] == code and doc.year and o["until"] < doc.year]
        why = f"（“{written}”为{old[0]['until']}年及以前的科目名称）" if old else ""
        out.append(Flag(
            FAMILY, "functional.name_vs_table", "warning",
            f"文中功能分类科目“{path}”与表中科目名称不一致：{table_name(t)}中{code}为“{_c(r.label)}”{why}。",
            values=[f.value] if f.value is not None else [], stated=f.value,
            evidence=[quote(f.sentence)] + ([cell(t, r, j)] if j is not None else []),
            start=f.start, end=f.end, sentence=f.sentence, key=f"fname:{code}:{name}",
        ))
        return out
    old = [o for o in outdated if doc.year and o["until"] < doc.year]
    if old:
        out.append(Flag(
            FAMILY, "functional.outdated_name", "warning",
            f"文中使用的功能分类科目名称“{segs[-1][0]}”在{doc.year}年已不再使用（{old[0]['until']}年后改为“{old[0]['current']}”）。",
            values=[], evidence=[quote(f.sentence)], start=f.start, end=f.end, sentence=f.sentence,
            key=f"fold:{name}",
        ))
    return out


def check_subjects(doc: Document, facts) -> list[Flag]:
    flags: list[Flag] = []
    cache: dict[str, list[Cand]] = {}
    seen = set()
    for f in facts:
        if f.kind != "amount" or f.origin != "narrative" or f.value_wan is None or f.start is None:
            continue
        if f.year and doc.year and f.year != doc.year:
            continue
        if (f.qualifier or "") and re.search(r"执行|上年|调整", f.qualifier or ""):
            continue
        if f.start in seen:
            continue
        clause = _clause_before(doc, f)
        if any(p.search(clause) for p in _NOT_TOTAL):
            continue
        if doc.doc_kind == "final_account" and any(re.search(p, clause) for p in V["final_account_not_final"]):
            continue
        s = doc.sentence_at(f.start)
        before = doc.text[s.start:f.start] if s is not None else clause
        seg_text = _c(f.subject) if re.search(r"[（(](类|款|项)[）)]", f.subject or "") else _c(before)
        segs = _functional_segments(seg_text)
        term = _subject_term(doc, f)
        if term and not segs and _c(f.subject) and _c(f.subject) not in _c(before):
            term = None  # the subject was carried over from the context: too loose for a total
        if term and re.search(V["subjects_exclude"].get(term, "^$"), _c(f.subject) + _c(clause)):
            term = None
        if term in V["sangong_terms"]:
            continue
        flag = None
        if segs or (getattr(f, "code", None) and str(f.code)[:1] == "2"):
            code = _functional_code(doc, f, segs)
            if code:
                seen.add(f.start)
                names = _name_flags(doc, f, segs, code)
                flags += names
                if names:
                    continue  # the name is the finding; its amount row may be another code
                deepest = max((_LEVEL_RANK.get(lv, -1) for _n, lv in segs), default=-1)
                if deepest > _LEVEL_RANK.get(_CODE_LEVEL.get(len(code)), 9):
                    continue  # the path resolved only to a parent code: its total is not this figure
                flag = _mismatch(doc, f, _cands_for_code(doc, code, "functional"), "functional.amount_vs_table",
                                 f"功能分类科目“{segs[-1][0] if segs else code}”（{code}）的金额")
            elif segs:
                flags += _name_flags(doc, f, segs, _resolve_by_names(doc, segs))
        elif term:
            if term not in cache:
                cache[term] = [c for spec in V["subjects"][term] for c in locate(doc, spec)]
            flag = _mismatch(doc, f, cache[term], "amount_vs_table", f"“{_c(f.subject)}”")
        elif (f.parent and canonical(f.parent) in ("机关运行经费", "公用经费")) or \
                (getattr(f, "term", None) is None and getattr(f, "code", None) and str(f.code)[:1] in "3"):
            code = _economic_code(doc, f)
            if code:
                flag = _mismatch(doc, f, _cands_for_code(doc, code, "economic"), "economic.amount_vs_table",
                                 f"“{_name_before(doc, f) or f.subject}”（经济分类{code}）")
        if flag:
            seen.add(f.start)
            flags.append(flag)
    return flags
