"""`text`: defects of wording a reader notices without any arithmetic — duplicated
punctuation, a sentence that stops where its content should be (`主要原因是。`, `支出预算
支出 万元。`), template residue (`增加（减少）`, `XX局`), a 单位预算 calling itself 部门预算.

One flag per kind of defect per document (the same residue repeated twenty times is one
template left unfilled), quoting the first few sentences."""
from __future__ import annotations

import functools
import re

import regex

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.reconcile import memo
from budgetlens.reconcile.evidence import cell, cell_key, quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say, word

FAMILY = "text"
V = gazetteers.load("rules/text")
RESIDUE = [re.compile(p) for p in V["residue"]]
TRUNC = [re.compile(p) for p in V["truncated"]]
# one search per sentence for any of the patterns (the patterns hold no groups): a sentence
# none of them matches is not searched pattern by pattern
_ANY_RESIDUE = re.compile("|".join(f"(?:{p})" for p in V["residue"]))
_ANY_TRUNC = re.compile("|".join(f"(?:{p})" for p in V["truncated"]))
MISSING = re.compile(V["missing_number"])
DUP = re.compile(V["duplicate_punct"])
UNIT_AS_DEPT = re.compile(V["unit_as_department"])
MAX_QUOTES = 3


def _narrative(doc: Document) -> list:
    """The sentences outside the tables, in order (once per document)."""
    return memo.once(doc, "narrative_sentences", lambda: [s for s in doc.sentences if s.table_id is None])


# ── which patterns can match a narrative sentence at all (one search of the whole text) ──

_ESCAPE = re.compile(r"\\.")
_CLASS = re.compile(r"\[\^?\]?[^\]]*\]")
# what lets a match depend on the characters around it: anchors, word boundaries,
# lookarounds, conditionals, atomic groups, possessive quantifiers, inline flags
_CONTEXT = re.compile(r"[$^]|\(\?[=!<>(]|\(\?(?!P)[a-zA-Z-]|[*+?}]\+")


def context_free(pattern: str) -> bool:
    """True when whether the pattern matches a piece of text depends on that piece alone
    (no anchor, boundary, lookaround, atomic group or possessive quantifier): then a
    sentence holds a match only if the sentences joined hold one.  Undecided is False."""
    if re.search(r"\\[bBAZzGmMK]", pattern):  # anchors and boundaries (of re and of regex)
        return False
    body = _CLASS.sub("c", _ESCAPE.sub("e", pattern))
    return not _CONTEXT.search(body)


class _Guard:
    """`may_match(doc)`: False only when none of `patterns` matches any narrative sentence
    (the context-free ones searched once over the narrative joined, the others per sentence);
    a sentence is then not searched for them one by one."""

    def __init__(self, name: str, patterns: list[str]):
        self.name = name
        # each on its own (a pattern's groups and back-references keep their numbers)
        self.free = [re.compile(p) for p in patterns if context_free(p)]
        self.other = [re.compile(p) for p in patterns if not context_free(p)]

    def may_match(self, doc: Document) -> bool:
        return memo.once(doc, ("text_guard", self.name), lambda: self._scan(doc))

    def _scan(self, doc: Document) -> bool:
        if self.free and any(p.search(_narrative_joined(doc)) for p in self.free):
            return True
        return any(p.search(s.text) for p in self.other for s in _narrative(doc))


def _narrative_joined(doc: Document) -> str:
    """The narrative sentences, one per line (once per document)."""
    return memo.once(doc, "narrative_joined", lambda: "\n".join(s.text for s in _narrative(doc)))


_MAY_RESIDUE = _Guard("residue", V["residue"])
_MAY_TRUNC = _Guard("truncated", V["truncated"])
_MAY_MISSING = _Guard("missing_number", [V["missing_number"]])
_MAY_DUP = _Guard("duplicate_punct", [V["duplicate_punct"]])
_MAY_UNIT_AS_DEPT = _Guard("unit_as_department", [V["unit_as_department"]])


def _flag(rule: str, severity: str, message: str, hits: list, key: str) -> Flag:
    first = hits[0]
    return Flag(
        FAMILY, rule, severity, message + (say("text.times", n=len(hits)) if len(hits) > 1 else ""),
        values=[], evidence=[quote(s.text) for s, _m in hits[:MAX_QUOTES]],
        start=first[0].start + first[1].start(), end=first[0].start + first[1].end(), sentence=first[0].text,
        key=key,
    )


_PARENS = re.compile(r"[()]")


def _full_width(x) -> str:
    return "（" if x.group() == "(" else "）"


def check(doc: Document, facts=None) -> list[Flag]:
    flags = []
    residue: dict[str, list] = {}
    trunc, missing, dup, dept = [], [], [], []
    may_residue, may_trunc = _MAY_RESIDUE.may_match(doc), _MAY_TRUNC.may_match(doc)
    may_missing, may_dup = _MAY_MISSING.may_match(doc), _MAY_DUP.may_match(doc)
    may_dept = doc.scope == "unit" and _MAY_UNIT_AS_DEPT.may_match(doc)
    if not (may_residue or may_trunc or may_missing or may_dup or may_dept):
        return flags + _years(doc) + _replaced_names(doc)
    for s in _narrative(doc):
        t = s.text
        if may_residue and _ANY_RESIDUE.search(t):
            for p in RESIDUE:
                for m in p.finditer(t):
                    residue.setdefault(_PARENS.sub(_full_width, m.group(0)), []).append((s, m))
        if may_trunc and _ANY_TRUNC.search(t):
            for p in TRUNC:
                m = p.search(t)
                if m:
                    trunc.append((s, m))
        m = MISSING.search(t) if may_missing else None
        if m and not UNIT_LABEL_END.search(t[:m.start() + 2]):
            missing.append((s, m))
        m = DUP.search(t) if may_dup else None
        if m:
            dup.append((s, m))
        if may_dept:
            m = UNIT_AS_DEPT.search(t)
            if m:
                dept.append((s, m))
    if residue:  # one template left unfilled: one flag naming every form found
        hits = sorted((h for hs in residue.values() for h in hs), key=lambda h: h[0].start + h[1].start())
        forms = word("enumeration").join(f"“{k}”" for k in residue)
        flags.append(_flag("template_residue", "warning", say("template_residue", forms=forms), hits, "residue"))
    if trunc:
        flags.append(_flag("truncated_sentence", "warning", say("truncated_sentence", text=trunc[0][1].group(0)), trunc, "truncated"))
    if missing:
        flags.append(_flag("missing_number", "warning", say("missing_number", text=missing[0][1].group(0)), missing, "missing_number"))
    if dup:
        flags.append(_flag("duplicate_punctuation", "info", say("duplicate_punctuation", text=dup[0][1].group(0)), dup, "dup_punct"))
    if dept:
        flags.append(_flag("unit_calls_itself_department", "warning",
                           say("unit_calls_itself_department"), dept, "unit_as_department"))
    return flags + _years(doc) + _replaced_names(doc)


Y = V["years"]
MSG = V["messages"]
HEADING_YEAR = re.compile(Y["heading"])
HEADING_OK = re.compile(Y["heading_other_year_ok"])
AS_OF = re.compile(Y["as_of_date"])
_MAY_AS_OF = _Guard("as_of_date", [Y["as_of_date"]])
YEAR_WORD = re.compile(Y["year_word"])
# a missing number right after a `单位：` label is the table's unit line, not a gap
UNIT_LABEL_END = re.compile(V["unit_label_end"])


def _years(doc: Document) -> list[Flag]:
    """A numbered heading naming another year than the document's (`二、2025年收入预算情况说明` in
    a 2026 budget), and an as-of date of holdings the document cannot have (`截至2026年12月31日`
    in a 2026 budget).  One flag per kind per document."""
    if not doc.year or not year_confirmed(doc):
        return []
    final = doc.doc_kind == "final_account"
    kind = Y["kind_final"] if final else Y["kind_budget"]
    heads, dates = [], []
    for s, line_start, line, m in _heading_lines(doc):
        if int(m.group("year")) != doc.year and not HEADING_OK.search(line):
            heads.append((s, m, line_start, line.strip()))
    for s in _narrative(doc) if _MAY_AS_OF.may_match(doc) else ():
        for m in AS_OF.finditer(s.text):
            y, mo = int(m.group("year")), int(m.group("month"))
            why = None
            if final and y < doc.year:
                why = MSG["as_of_final"].format(doc_year=doc.year)
            elif not final and (y > doc.year or (y == doc.year and mo > int(Y["budget_as_of_last_month"]))):
                why = MSG["as_of_future"]
            elif not final and y < doc.year - 1:
                why = MSG["as_of_stale"]
            if why:
                dates.append((s, m, why))
    targets = [] if final else _target_years(doc)
    flags = []
    if targets:
        t, r, j, m = targets[0]
        txt = r.cells[j].strip()
        flags.append(Flag(
            FAMILY, "year.target", "warning",
            MSG["target_year"].format(doc_year=doc.year, year=m.group("year"), text=txt[:60] + ("…" if len(txt) > 60 else ""))
            + (say("text.times", n=len(targets)) if len(targets) > 1 else ""),
            values=[float(m.group("year"))], stated=float(m.group("year")), expected=float(doc.year),
            evidence=[cell(*x[:3]) for x in targets[:MAX_QUOTES]], cells=[cell_key(*x[:3]) for x in targets[:MAX_QUOTES]],
            key="year.target"))
    if heads:
        s, m, off, line = heads[0]
        flags.append(Flag(
            FAMILY, "year.heading", "warning",
            MSG["heading_year"].format(doc_year=doc.year, kind=kind, heading=line, year=m.group("year"))
            + (say("text.times", n=len(heads)) if len(heads) > 1 else ""),
            values=[float(m.group("year"))], stated=float(m.group("year")), expected=float(doc.year),
            evidence=[quote(h[0].text) for h in heads[:MAX_QUOTES]], start=s.start + off + m.start("year"),
            end=s.start + off + m.end("year"), sentence=s.text, key="year.heading"))
    if dates:
        s, m, why = dates[0]
        flags.append(Flag(
            FAMILY, "year.as_of_date", "warning",
            MSG["as_of_date"].format(doc_year=doc.year, kind=kind, date=m.group(0), why=why)
            + (say("text.times", n=len(dates)) if len(dates) > 1 else ""),
            values=[float(m.group("year"))], stated=float(m.group("year")),
            evidence=[quote(d[0].text) for d in dates[:MAX_QUOTES]], start=s.start + m.start(), end=s.start + m.end(),
            sentence=s.text, key="year.as_of_date"))
    return flags


REPLACED = regex.compile(V["replaced_name"])
# the level marker every REPLACED match ends with: a sentence without one has no match
REPLACED_MARK = regex.compile(V["replaced_name_marker"])


@functools.lru_cache(maxsize=1)
def _names_now() -> tuple[set, dict, list]:
    """(the names and aliases the 功能分类 carries today, the former names, the former
    names longest first): from the gazetteers, once per process."""
    current = set()
    for spec in gazetteers.functional_codes().values():
        current.add(spec["name"])
        current.update(spec["aliases"])
    former = gazetteers.outdated_names()
    return current, former, sorted(former, key=len, reverse=True)


def _replaced_names(doc: Document) -> list[Flag]:
    """`医疗卫生与计划生育支出（类）` in a 2020 budget: a 功能分类 name the classification replaced
    (until < the document's year) and that no code still carries.  One flag per name."""
    if not doc.year or not year_confirmed(doc):
        return []
    current, former, longest_first = _names_now()
    flags, seen = [], set()
    if context_free(V["replaced_name_marker"]) and not REPLACED_MARK.search(_narrative_joined(doc)):
        return []  # no sentence holds a level marker
    for s in _narrative(doc):
        if not REPLACED_MARK.search(s.text):
            continue
        for m in REPLACED.finditer(s.text):
            raw = m.group("name")
            # the name is the longest former name the text before the level marker ends with
            hit = next((n for n in longest_first if raw.endswith(n)), None)
            if hit is None or hit in current or hit in seen:
                continue
            olds = [o for o in former[hit] if o["classification"] == "functional" and o["until"] < doc.year]
            if not olds:
                continue
            seen.add(hit)
            flags.append((s, m, hit, olds[0]))
    if not flags:
        return []
    # one old classification used throughout is one finding: one flag naming every old name
    s, m, hit, o = flags[0]
    a = s.start + m.end("name") - len(hit)
    msg = "".join(MSG["replaced_name"].format(name=h, level=mm.group("level"), doc_year=doc.year, until=oo["until"],
                                              code=oo["code"], current=oo["current"]) for _s, mm, h, oo in flags)
    return [Flag(FAMILY, "functional.replaced_name", "warning", msg, values=[],
                 evidence=list(dict.fromkeys(quote(x[0].text) for x in flags))[:MAX_QUOTES], start=a, end=a + len(hit),
                 sentence=s.text, key="replaced_names")]


TARGET_OPEN = re.compile(Y["target_opening"])
_CLAUSE_MARK = re.compile(r"[，,；;]")


def _target_years(doc: Document) -> list:
    """Cells of performance-target tables that state a target of another year than the budget's."""
    out = []
    shortest = int(Y["target_min_chars"])
    for t in doc.tables:
        if t.table_type not in Y["target_table_types"] and not any(w in (t.title or "") for w in Y["target_title_words"]):
            continue
        for r in t.rows:
            for j, c in enumerate(r.cells):
                c = c or ""
                # (stripping only shortens: a cell already too short is not stripped)
                if len(c) < shortest or len(c.strip()) < shortest or not _CLAUSE_MARK.search(c):
                    continue
                m = TARGET_OPEN.match(c)
                if m and int(m.group("year")) < doc.year:
                    out.append((t, r, j, m))
    return out


def _heading_lines(doc: Document) -> list[tuple]:
    """(sentence, line offset, line, HEADING_YEAR match) of every narrative line that is a
    numbered heading naming a year: once per document."""
    return memo.once(doc, "heading_lines", lambda: list(_scan_heading_lines(doc)))


def _scan_heading_lines(doc: Document):
    limit = int(Y["heading_max_chars"])
    for s in _narrative(doc):
        text = s.text
        if "\n" not in text:  # one line (most sentences): too long to be a heading, mostly
            if len(text.strip()) > limit:
                continue
            lines = ((0, text),)
        else:
            lines = _lines(text)
        for off, line in lines:
            if len(line.strip()) > limit:
                continue
            m = HEADING_YEAR.match(line)
            if m and not any(w in line for w in Y["not_heading_words"]):
                yield s, off, line, m


def heading_years(doc: Document) -> dict[int, int]:
    """Years named by the numbered headings (`第二部分 2026年部门预算表`) → how often."""
    out: dict[int, int] = {}
    for _s, _off, _line, m in _heading_lines(doc):
        out[int(m.group("year"))] = out.get(int(m.group("year")), 0) + 1
    return out


def year_confirmed(doc: Document) -> bool:
    return memo.once(doc, "year_confirmed", lambda: _year_confirmed(doc))


def _year_confirmed(doc: Document) -> bool:
    """The document's year is named by its headings more often than any other year: only then
    can a figure be said not to fit it (a title read wrong — SD06 `2026年烟台市司法局部门预算`
    taken as 2025 — would make every year look wrong)."""
    ys = heading_years(doc)
    if not ys:  # no heading names a year: the years the narrative names
        for s in _narrative(doc):
            for m in YEAR_WORD.finditer(s.text):
                ys[int(m.group(1))] = ys.get(int(m.group(1)), 0) + 1
    n = ys.get(doc.year, 0)
    return n > 0 and all(c < n for y, c in ys.items() if y != doc.year)


def _lines(text: str):
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1
