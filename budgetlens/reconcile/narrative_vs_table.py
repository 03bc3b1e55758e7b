"""`narrative_vs_table`: a narrative figure against the table that holds the same figure.

- the “三公” total and each part against the 三公 table (reconcile/sangong.py);
- every other subject of gazetteers/rules/narrative_vs_table.yaml (`subjects`): 收入/支出
  totals, 财政拨款收入, 基本/项目支出, 人员/公用经费, 机关运行经费, 政府采购, 固定资产 —
  against the cells its locators find (reconcile/locate.py);
- 机关运行经费 items (办公费 30201 …) against the economic rows of the 机关运行经费 /
  基本支出 tables, by the economic code of the name written before the figure;
- each 功能分类 item (`X（类）Y（款）Z（项）A万元`, or a fact with a code) against the
  row with that code; a narrative name the table does not use for the code is flagged
  instead (reconcile/functional.py).

A figure is compared only with cells whose roles (year, measure, fund, part:
reconcile/roles.py) fit its sentence's.  It is flagged when it agrees with none of them;
`error` when a cell of fully fitting roles, established in the table, disagrees; `warning`
when the roles fit but are not established on the table's side; a cell that only
partly fits (a proxy, a related fund, a part against a total) can verify a figure but never
contradict it.  `candidates(doc, f)` is what the verdicts (reconcile/verdict.py) use.
"""
from __future__ import annotations

import re
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.document.numbers import cell_value as parse_number
from budgetlens.reconcile import functional as fn
from budgetlens.reconcile import memo
from budgetlens.reconcile import roles as ro
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import fmt, quote, table_name
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.locate import (  # noqa: F401
    ALIASES,
    Cand,
    V,
    amount_cols,
    by_name,
    c_,
    cands_for_code,
    canonical,
    fig_at,
    locate,
    make,
    name_index,
    name_key,
    norm,
)
from budgetlens.reconcile.messages import say, word
from budgetlens.reconcile.sangong import SANGONG, check_sangong, sangong_cand, sangong_cells  # noqa: F401

FAMILY = "narrative_vs_table"
_NOT_TOTAL = [re.compile(p) for p in V["not_the_total"]]


def _any_of(patterns: list) -> list:
    """The patterns as one alternation (a text one of them matches somewhere, and only
    such a text, matches it) when none holds a group; else the patterns as they are."""
    if any(p.groups or p.flags & ~re.UNICODE for p in patterns):
        return patterns
    return [re.compile("|".join(f"(?:{p.pattern})" for p in patterns))] if patterns else []


_ANY_NOT_TOTAL = _any_of(_NOT_TOTAL)
_ANY_NOT_FINAL = _any_of([re.compile(p) for p in V["final_account_not_final"]])
_FALLBACK = [(re.compile(k), v) for k, v in (V.get("fallback_subjects") or {}).items()]
_FUND_WORDS = "|".join(w for ws in ro.R["funds"].values() for w in ws)
_SEPS = "，,；;。：:、\n"
_ROW_NAMES = gazetteers.load("rules/verdict").get("row_names") or {}
_YEAR_PREFIX = re.compile(V["subject_year_prefix"])
_OF = V["particle_of"]
_WAN = word("money_unit")
_YUAN = V["yuan_unit"]
_APPROX = V["approx_qualifier"]
_OWN_LEVEL = re.compile(V["unit_row_own_level"])
_NOT_THIS_YEAR = re.compile(V["qualifier_not_this_year"])
_LEVEL_MARK = re.compile(V["functional_level_mark"])


def check(doc: Document, facts=None) -> list[Flag]:
    if not facts:
        return []
    return check_sangong(doc, facts) + check_subjects(doc, facts)


# ── the subject a figure names ─────────────────────────────────────────────────────────

def _strip_owner(doc: Document, subj: str) -> str:
    """The subject without its year and the publishing body's name (also when the name the
    metadata read carries a stray word: the longest common start of at least 4 characters)."""
    subj = _YEAR_PREFIX.sub("", subj)
    for name in filter(None, [c_(doc.department)]):
        subj = subj.replace(name, "")
        k = 0
        while k < min(len(subj), len(name)) and subj[k] == name[k]:
            k += 1
        if k >= 4:
            subj = subj[k:]
    return subj


def _subject_terms(doc: Document, f) -> list[str]:
    """The terms (gazetteers/terms.yaml keys) whose figure this is: the extractor's term, or
    the fallback phrases (`收入预算` is 本年收入合计 or 收入总计: either may be meant)."""
    term = getattr(f, "term", None)
    if term in V["subjects"]:
        return [term]
    if term:
        return []
    subj = _strip_owner(doc, c_(f.subject))
    bare = re.sub(V["owner_prefix"], "", subj)
    for rx, t in _FALLBACK:
        if rx.search(subj) or rx.search(bare):
            return [t] if isinstance(t, str) else list(t)
    return []


def _qualified(doc: Document, f, term: str) -> bool:
    """A subject that names something before the term's own words (`委托业务费财政拨款总额`):
    a part of the total, not the total.  Owner, year, scope and fund words before the term
    (`本部门`, `2026年`, `一般公共预算`) qualify nothing (the fund is the sentence's role)."""
    return qualified(_strip_owner(doc, c_(clause_before(doc, f)) or c_(f.subject)), term)


def qualified(subj: str, term: str) -> bool:
    """`_qualified` on the words before the figure, the owner's name removed."""
    spec = gazetteers.terms().get(term) or {}
    words = sorted({term, *spec.get("aliases", [])}, key=len, reverse=True)
    pos = min((subj.find(w) for w in words if w in subj), default=-1)
    if pos <= 0:
        return False
    prefix = re.sub(V["owner_prefix"], "", re.sub(r"[（(][^（）()]*[）)]", "", subj[:pos]).strip("“”\"‘’"))
    prefix = re.sub(_FUND_WORDS + "|" + _OF + "|" + V["prefix_fillers"], "", prefix)
    return bool(re.sub(V["owner_prefix"], "", prefix))


def _foreign_parent(doc: Document, f) -> bool:
    """The figure is listed under a total that is no budget total (`预算资金…，其中财政拨款`)."""
    parent = _strip_owner(doc, c_(f.parent)) if f.parent else ""
    if not parent or getattr(f, "role", None) == "total":
        return False
    term = gazetteers.term_index().get(parent)
    if term is None:
        bare = re.sub(V["owner_prefix"], "", parent)
        term = next((t for rx, t in _FALLBACK if rx.search(parent) or rx.search(bare)), None)
        term = term[0] if isinstance(term, list) else term
    if term is None:
        return bool(re.search(V["foreign_parent_words"], parent))
    return term not in V["total_parents"] and term not in gazetteers.terms()


def clause_before(doc: Document, f) -> str:
    """The words of the figure's clause before it (once per figure)."""
    return memo.obj_once(f, "clause_before", lambda x: _clause_before(doc, x))


def _clause_before(doc: Document, f) -> str:
    s = doc.sentence_at(f.start) if f.start is not None else None
    if s is None:
        return f.sentence or ""
    text = doc.text[s.start:f.start]
    cut = max(text.rfind(ch) for ch in _SEPS)
    return text[cut + 1:]


def name_before(doc: Document, f) -> str:
    """The words right before the figure (the item's name as written)."""
    clause = clause_before(doc, f).strip()
    changed = True
    while changed:
        changed = False
        for w in sorted(V["name_fillers"], key=len, reverse=True):
            if clause.endswith(w) and len(clause) > len(w):
                clause = clause[: -len(w)].rstrip()
                changed = True
    return clause


def economic_code(doc: Document, f) -> Optional[str]:
    code = getattr(f, "code", None)
    if code and str(code)[0] in "35":
        return str(code)
    name = c_(name_before(doc, f))
    idx = gazetteers.economic_name_index()
    best = next((idx[name[k:]] for k in range(len(name)) if name[k:] in idx), None)
    if best:
        codes = [c for c in best if c.startswith("3")]
        return codes[-1] if codes else None
    return None


def name_keys(doc: Document, f) -> list[str]:
    """The name keys (locate.name_key) of what the figure names: its subject and the words
    written right before it."""
    before = name_key(_strip_owner(doc, c_(name_before(doc, f))))
    subject = _strip_owner(doc, c_(f.subject))
    keys = [name_key(subject), before]
    if _OF in subject:  # `一般公共预算拨款安排的会议费预算支出`: the head noun after 的
        keys.append(name_key(subject.rsplit(_OF, 1)[1]))
    if len(before) < 2 and f.section:  # `2026年预算数159.00万元` under `1.因公出国（境）费`
        keys.append(name_key(re.split(r"[，,：:。]", c_(f.section.split(" > ")[-1]))[0]))
    # in order (a set's order changes with PYTHONHASHSEED, and so would the cell chosen)
    for term in dict.fromkeys([getattr(f, "term", None), *_subject_terms(doc, f)]):
        if term in gazetteers.terms():  # the term's own spellings name the same row
            keys += [name_key(a) for a in [term, *gazetteers.terms()[term]["aliases"], *_ROW_NAMES.get(term, [])]]
    return [k for k in dict.fromkeys(keys) if len(k) >= 2]


# ── comparing ──────────────────────────────────────────────────────────────────────────

def stated(f) -> tol.Figure:
    return tol.figure(f.value_wan, f.raw or str(f.value), unit=_WAN, approx=(f.qualifier == _APPROX))


def agree(f, c: Cand) -> bool:
    st = stated(f)
    if c.fig is None:
        return False
    if c.t.unit == _YUAN:
        # a 万元 figure read from a 元 table: rounded or cut to the decimals written (a whole
        # 万元 figure may be cut, not rounded: 12376671元 written 1237万元)
        d = tol.decimals_of(f.raw or str(f.value))
        if d == 0 and (f.unit or _WAN) == _WAN:
            gap = st.value - c.fig.value
            return -1.0 < gap <= 0.5 + 1e-9
        return abs(st.value - c.fig.value) <= max(st.half, 0.01) + 1e-9
    d_table = tol.decimals_of(c.rows[0].cells[c.j] if c.j < len(c.rows[0].cells) else "")
    d_stated = tol.decimals_of(f.raw or str(f.value))
    if d_table is not None and d_stated is not None and d_table > d_stated >= 1 and len(c.rows) == 1:
        # a table printed to the 元 (46714.513649) and a text rounded to its own last digit,
        # which authors round so that the parts add up: one unit of that digit
        return abs(st.value - c.fig.value) <= 10 ** -d_stated + 1e-9
    return tol.agree(st, c.fig)


def graded(doc: Document, f, cands: list[Cand]) -> list[tuple[Cand, str]]:
    """The candidates whose roles fit the figure's sentence, with their grade."""
    s = memo.obj_once(f, "sentence_roles", lambda x: ro.sentence_roles(doc, x))
    one = one_fund(doc)
    out = []
    for c in cands:
        g = ro.fit(s, c.roles, one)
        if g is not None:
            out.append((c, "weak" if c.weak else g))
    return out


_INSTITUTION = re.compile(V["public_institution_named"])


def _proxy_holds(doc: Document, f, c: Cand) -> bool:
    """A proxy cell (公用经费 for 机关运行经费, a 基本支出 table's 办公费 row for the
    机关运行经费 item) is the figure itself when the document spends one fund and names no
    事业单位 among its units (机关运行经费 is the 行政单位's only); a figure far off is
    another quantity, not a typo."""
    if not c.weak or not one_fund(doc) or not c.fig.value:
        return False
    if abs(f.value_wan - c.fig.value) > V["weak_max_relative"] * abs(c.fig.value):
        return False
    return not several_units(doc)


_SEVERAL = re.compile(V["several_units_text"])
_UNIT_ROW = re.compile(V["unit_row_ending"])


def several_units(doc: Document) -> bool:
    """The department has several units, or names a 事业单位 among them: its text says so, or
    a summary table lists two or more units by name."""
    if any(_INSTITUTION.search(s.text) or _SEVERAL.search(s.text) for s in doc.sentences if s.table_id is None):
        return True
    for t in doc.tables_of(*V["unit_tables"]):
        names = {c_(r.label) for r in t.rows if r.label and not r.code and _UNIT_ROW.search(c_(r.label))}
        if len({_OWN_LEVEL.sub("", n) for n in names}) >= 2:
            return True
    return False


def one_fund(doc: Document) -> bool:
    """The department spends only 一般公共预算 money: its all-funds expenditure total agrees
    with its 一般公共预算 expenditure total (then a figure naming no fund is of both)."""
    return memo.once(doc, "one_fund", lambda: _one_fund(doc))


def _one_fund(doc: Document) -> bool:
    a = _term_cands(doc, V["one_fund_total_term"], memo.of(doc).setdefault("term_cands", {}))
    g = locate(doc, {"table": "general_budget_expenditure", "row": None})
    return bool(a and g and tol.agree(a[0].fig, g[0].fig))


def _established(c: Cand) -> bool:
    r = c.roles
    return c.t.table_type != "unknown" and any((r.fund, r.measure, r.part))


def _parts_back(f, c: Cand, items: list) -> bool:
    """The figure's own itemised parts add up to the cell: the list and the table agree
    against the stated total (a proxy cell is then trusted)."""
    if len(items) < 2:
        return False
    parts = tol.total([tol.figure(x.value_wan, x.raw or str(x.value), unit=_WAN) for x in items])
    return tol.agree(parts, c.fig) and not tol.agree(parts, stated(f))


def doc_name_index(doc: Document) -> dict:
    """`locate.name_index` of the document, once per document."""
    return memo.once(doc, "name_index", lambda: name_index(doc))


def named_cands(doc: Document, f) -> list[Cand]:
    """The cells of the rows (or total-row columns) named like the figure (by_name on its
    name_keys), once per figure."""
    return memo.obj_once(f, "named_cands", lambda x: by_name(doc, x, doc_name_index(doc), name_keys(doc, x)))


def _named_elsewhere(doc: Document, f) -> bool:
    """A cell of a row (or total-row column) carrying the very name written before the
    figure agrees with it (`1.统计管理352.27万元` is the project 统计管理 of the 项目支出表,
    not the 功能分类 row 统计管理): the figure is another table's, not a finding."""
    return any(agree(f, c) for c, _g in graded(doc, f, named_cands(doc, f)))


def mismatch(doc, f, cands: list[Cand], rule: str, what: str, items: Optional[list] = None) -> Optional[Flag]:
    fitting = graded(doc, f, cands)
    if not fitting or any(agree(f, c) for c, _g in fitting) or _named_elsewhere(doc, f):
        return None
    strong = [c for c, g in fitting if g == "strong"]
    backed = [c for c, g in fitting if g == "weak" and (_parts_back(f, c, items or []) or _proxy_holds(doc, f, c))]
    if not strong and not backed:
        return None  # only proxies or partly fitting cells: no finding
    c = (strong or backed)[0]
    sev = "error" if strong and _established(c) else "warning"
    title = table_name(c.t)
    unit = f.unit or _WAN
    in_wan = say("narrative_vs_table.in_wan", value=fmt(round(c.fig.value, 4))) if c.t.unit == _YUAN else ""
    return Flag(
        FAMILY, rule, sev,
        say("narrative_vs_table.mismatch", what=what, stated=fmt(f.value), unit=unit, title=title,
            table=fmt(c.value), table_unit=c.t.unit or _WAN, in_wan=in_wan,
            gap=fmt(round(f.value_wan - c.fig.value, 4))),
        values=[f.value, c.value], stated=f.value, expected=c.value,
        difference=round(f.value_wan - c.fig.value, 6),
        evidence=[quote(f.sentence)] + c.cite(), start=f.start, end=f.end, sentence=f.sentence,
        cells=c.keys(), key=f"{rule}:{f.start}:{f.value}",
    )


# ── which cells a figure is about ──────────────────────────────────────────────────────

def _skip(doc: Document, f) -> bool:
    if f.kind != "amount" or f.origin != "narrative" or f.value_wan is None or f.start is None:
        return True
    if f.year and doc.year and f.year != doc.year:
        return True
    if (f.qualifier or "") and _NOT_THIS_YEAR.search(f.qualifier or ""):
        return True
    clause = clause_before(doc, f)
    if any(p.search(clause) for p in _ANY_NOT_TOTAL):
        return True
    return doc.doc_kind == "final_account" and any(p.search(clause) for p in _ANY_NOT_FINAL)


def _segments_of(doc: Document, f):
    s = doc.sentence_at(f.start)
    clause = clause_before(doc, f)
    before = doc.text[s.start:f.start] if s is not None else clause
    if _LEVEL_MARK.search(f.subject or ""):
        return fn.segments(c_(f.subject)), True
    segs = fn.segments(c_(before))
    return segs, bool(segs) and fn.path_ends_at(before, V["name_fillers"] + V["path_fillers"])


def _term_of(doc: Document, f, segs) -> list[str]:
    terms = _subject_terms(doc, f)
    clause = clause_before(doc, f)
    s = doc.sentence_at(f.start)
    before = doc.text[s.start:f.start] if s is not None else clause
    if terms and not segs and c_(f.subject) and c_(f.subject) not in c_(before):
        return []  # the subject was carried over from the context: too loose for a total
    terms = [t for t in terms if not re.search(V["subjects_exclude"].get(t, "^$"), c_(f.subject) + c_(clause))]
    if terms and terms[0] not in V["sangong_terms"] and (_qualified(doc, f, terms[0]) or _foreign_parent(doc, f)):
        return []
    fund = ro.fund_of(c_(f.subject))
    extra = V["fund_terms"].get(fund)
    if terms and extra and extra not in terms and terms[0] in V["fund_terms"].values():
        terms = terms + [extra]
    return terms


def candidates(doc: Document, f, cache: Optional[dict] = None) -> tuple[str, str, list[Cand], list[Flag]]:
    """(rule, what, candidate cells, name flags) for one narrative figure; rule "" when the
    figure names nothing a table is known to hold.  Worked out once per figure (the rules
    and then the verdicts ask); a figure with name flags is worked out afresh each time
    (its flags are new objects, which the merge may change)."""
    known = memo.of(doc).get(("candidates", id(f)))
    if known is not None and known[0] is f:
        rule, what, cands = known[1]
        return rule, what, list(cands), []
    got = _candidates(doc, f, memo.of(doc).setdefault("term_cands", {}) if cache is None else cache)
    if not got[3]:
        memo.of(doc)[("candidates", id(f))] = (f, got[:3])
    return got[0], got[1], list(got[2]), got[3]


def _candidates(doc: Document, f, cache: dict) -> tuple[str, str, list[Cand], list[Flag]]:
    segs, at_path = _segments_of(doc, f)
    terms = _term_of(doc, f, segs)
    if any(t in V["sangong_terms"] for t in terms):
        return "sangong", "", sangong_cand(doc, f), []
    fcode = getattr(f, "code", None)
    if segs or (fcode and str(fcode)[:1] == "2"):
        return _functional(doc, f, segs, at_path)
    if terms:
        cands = []
        for term in terms:
            cands += _term_cands(doc, term, cache)
        return "amount_vs_table", say("narrative_vs_table.subject_what", subject=c_(f.subject)), cands, []
    if (f.parent and canonical(f.parent) in V["economic_parents"]) or \
            (getattr(f, "term", None) is None and fcode and str(fcode)[:1] in "3"):
        code = economic_code(doc, f)
        if code:
            return ("economic.amount_vs_table", say("narrative_vs_table.economic_what", name=name_before(doc, f) or f.subject, code=code),
                    cands_for_code(doc, code, "economic"), [])
    return "", "", [], []


def _term_cands(doc: Document, term: str, cache: dict) -> list[Cand]:
    """The cells the locators of `term` find (gazetteers: `subjects`), once per term in `cache`."""
    if term not in cache:
        cache[term] = [c for spec in V["subjects"][term] for c in locate(doc, spec)]
    return cache[term]


def _functional(doc: Document, f, segs, at_path: bool):
    code = fn.functional_code(doc, f, segs)
    if not code:
        names = fn.name_flags(doc, f, segs, fn.resolve_by_names(doc, segs)) if segs and at_path else []
        return "", "", ([] if names or not at_path else _path_cands(doc, segs)), names
    if segs and not at_path:
        return "", "", [], []  # a figure further on in the item's sentence is one of its parts
    names = fn.name_flags(doc, f, segs, code)
    if names:
        return "", "", [], names  # the name is the finding; its amount row may be another code
    deepest = max((fn.LEVEL_RANK.get(lv, -1) for _n, lv in segs), default=-1)
    if deepest > fn.LEVEL_RANK.get(fn.CODE_LEVEL.get(len(code)), 9):
        return "", "", [], []  # the path resolved only to a parent code: its total is not this figure
    what = say("narrative_vs_table.functional_what", name=segs[-1][0] if segs else code, code=code)
    cands = cands_for_code(doc, code, "functional")
    if not cands and segs:
        return "", "", _path_cands(doc, segs), []  # uncoded tables: verify by names, flag nothing
    return "functional.amount_vs_table", what, cands, []


def _path_cands(doc: Document, segs) -> list[Cand]:
    """Cells of the row a written path names in 功能分类 tables that print no codes (weak:
    a name path may verify a figure, never contradict it)."""
    out = []
    for t in doc.tables_of(*V["functional_tables"]):
        r = None if t.empty else fn.row_by_path(t, segs)
        if r is None:
            continue
        for j in amount_cols(t):
            fg = fig_at(t, r, j)
            if fg is not None:
                out.append(make(doc, t, [r], j, fg, True, parse_number(r.cells[j])))
    return out


def check_subjects(doc: Document, facts) -> list[Flag]:
    flags: list[Flag] = []
    cache: dict[str, list[Cand]] = memo.of(doc).setdefault("term_cands", {})
    seen = set()
    items: dict = {}
    for x in facts:
        if x.group and getattr(x, "role", None) == "item" and x.value_wan is not None and x.kind == "amount":
            items.setdefault(x.group, []).append(x)
    for f in facts:
        if _skip(doc, f) or f.start in seen:
            continue
        rule, what, cands, names = candidates(doc, f, cache)
        flags += names
        if names:
            seen.add(f.start)
        if not rule or rule == "sangong":
            continue
        own = items.get(getattr(f, "total_group", None), []) if getattr(f, "total_group", None) else []
        flag = mismatch(doc, f, cands, rule, what, own)
        if flag:
            seen.add(f.start)
            flags.append(flag)
    return flags
