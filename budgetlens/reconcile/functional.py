"""功能分类 items in the narrative (`X（类）Y（款）Z（项）A万元`, or a fact with a code):
the code a written path names, and `functional.name_vs_table` / `functional.outdated_name`
when the narrative uses a name the table (or the classification for the year) does not use
for that code.  The amount side is narrative_vs_table's (`functional.amount_vs_table`)."""
from __future__ import annotations

import functools
import re
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document, Table
from budgetlens.document.numbers import cell_value as parse_number
from budgetlens.document.numbers import to_wan
from budgetlens.reconcile import tolerance as tol
from budgetlens.reconcile.evidence import cell, fmt, quote, table_name
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.locate import V, c_, code_cell, code_rows, norm
from budgetlens.reconcile.messages import say, word

FAMILY = "narrative_vs_table"
SEG = re.compile(V["functional_segment"])
_LEVELS = V["functional_levels"]  # 类, 款, 项
CODE_LEVEL = dict(zip((3, 5, 7), _LEVELS))
LEVEL_RANK = {lv: i for i, lv in enumerate(_LEVELS)}
_LEVEL_LEN = {lv: n for n, lv in CODE_LEVEL.items()}
_NAME_SUFFIX = re.compile(V["functional_name_suffix"])
_NAME_TAIL = V["functional_name_tail"]
_WAN = word("money_unit")
_YUAN = V["yuan_unit"]


# every segment ends with a level mark (`（类）`): a text without one has no segment
_LEVEL_MARK = re.compile(V["functional_level_mark"])


def segments(text: str) -> list[tuple[str, str]]:
    if not _LEVEL_MARK.search(text):
        return []
    return [(c_(m.group(1)).strip("“”\"‘’"), m.group(2)) for m in SEG.finditer(text)]


def path_ends_at(text: str, fillers: list[str]) -> bool:
    """The written path ends right before the figure (only filler words between): a figure
    further on (`…（项）12600万元，主要用于A 4500万元`) is a part of the item, not its amount."""
    ms = list(SEG.finditer(text))
    if not ms:
        return False
    rest = c_(text[ms[-1].end():]).strip("“”\"‘’")
    for w in sorted(fillers, key=len, reverse=True):
        rest = rest.replace(w, "")
    return len(rest) <= 2


def functional_rows(doc: Document):
    """(table, code → row) of every 功能分类 table."""
    for t in doc.tables_of(*V["functional_tables"]):
        if not t.empty:
            yield t, {c: rs[0] for c, rs in code_rows(t).items() if c[:1] == "2"}


@functools.lru_cache(maxsize=50_000)
def norm_name(s: str) -> str:
    return norm(c_(s)).replace("(", "（").replace(")", "）")


def functional_code(doc: Document, f, segs) -> Optional[str]:
    code = getattr(f, "code", None)
    if code and str(code)[:1] == "2":
        return str(code)
    if not segs:
        return None
    names = [norm_name(n) for n, _lv in segs]
    for _t, rows in functional_rows(doc):
        for c, r in rows.items():
            if norm_name(r.label or "") != names[-1]:
                continue
            # the levels named before it must be its ancestors
            anc = [norm_name(rows[c[:k]].label or "") for k in (3, 5) if k < len(c) and c[:k] in rows]
            if all(n in anc for n in names[:-1] if anc):
                return c
    return None


@functools.lru_cache(maxsize=50_000)
def name_core(name: str) -> str:
    for pat in V["name_variant_strip"]:
        name = re.sub(pat, "", name)
    return name


def names_match(label: str, name: str) -> bool:
    """A table's 科目名称 and a name written in the narrative, normalised: equal, equal but
    for a trailing 支出, or the written name is the tail of a 、-list name the narrative's
    punctuation cut (`执行等检察监督支出` of `公诉、审判、侦查、执行等检察监督支出`)."""
    if label == name or name_core(label) == name_core(name):
        return True
    return word("enumeration") in label and len(name) >= 4 and label.endswith(name)


def resolve_by_names(doc: Document, segs) -> str:
    """The deepest code a written 类/款/项 path reaches through the table's own names, one
    level at a time (a 项 the classification does not know still has a known 类 and 款)."""
    for _t, rows in functional_rows(doc):
        code = ""
        for name, lv in segs:
            n = _LEVEL_LEN.get(lv)
            if n is None:
                break
            want = norm_name(name)
            cands = [c for c, r in rows.items() if len(c) == n and c.startswith(code)
                     and names_match(norm_name(r.label or ""), want)]
            if len(cands) != 1:
                break
            code = cands[0]
        if code:
            return code
    return ""


def _row_with_amount(t: Table, rows: dict, code: str, value_wan) -> Optional[tuple]:
    """A row coded under `code` (longer code, same prefix) whose amount equals the figure."""
    if value_wan is None:
        return None
    want = tol.figure(value_wan, None, unit=_WAN)
    for c2, r2 in rows.items():
        if len(c2) <= len(code) or not c2.startswith(code):
            continue
        j = code_cell(t, r2, c2)
        v = parse_number(r2.cells[j]) if j is not None else None
        if v is None:
            continue
        v_wan = to_wan(v, t.unit, _WAN)
        if tol.agree(want, tol.figure(v_wan, None, unit=_WAN if t.unit != _YUAN else _YUAN).scaled(1)):
            return c2, r2, j
    return None


def _deeper_path_flag(doc, f, t, rows, code, segs, path) -> Optional[Flag]:
    """The path goes deeper than any row the table has under this code: name the row under
    it that carries the same amount, if there is one (else stay silent rather than guess)."""
    match = _row_with_amount(t, rows, code, f.value_wan)
    if match is None:
        return None
    code2, r2, j2 = match
    table_path = {lv: rows.get(code2[:n]) for n, lv in CODE_LEVEL.items() if len(code2) >= n}
    wrong = []
    for n_written, lv in segs:
        tr = table_path.get(lv)
        if tr is None or not tr.label:
            continue
        a, b = norm_name(n_written), norm_name(tr.label)
        if a != b and _NAME_SUFFIX.sub("", a) != _NAME_SUFFIX.sub("", b):
            wrong.append(say("functional.path_level_wrong", level=lv, written=n_written,
                             code=[k for k, v in rows.items() if v is tr][0], label=c_(tr.label)))
    if not wrong:
        return None
    return Flag(
        FAMILY, "functional.name_vs_table", "warning",
        say("functional.name_vs_table.deeper", path=path, wrong=word("list_separator").join(wrong),
            table=table_name(t), value=fmt(f.value), code=code2, label=c_(r2.label)),
        values=[f.value] if f.value is not None else [], stated=f.value,
        evidence=[quote(f.sentence), cell(t, r2, j2)],
        start=f.start, end=f.end, sentence=f.sentence, key=f"fname:{code2}:{path}",
    )


def name_flags(doc: Document, f, segs, code: str) -> list[Flag]:
    """A 功能分类 name in the narrative that the table (or the classification for the year)
    does not use for that code."""
    if not segs:
        return []
    # compare the name written at the level of the resolved code (类 3 digits, 款 5, 项 7);
    # a path that names no level of that code says nothing about its name
    level = CODE_LEVEL.get(len(code))
    at = [n for n, lv in segs if lv == level]
    if code and not at:
        return []
    written = at[0] if at else segs[-1][0]
    deeper = [n for n, lv in segs if LEVEL_RANK.get(lv, 9) > LEVEL_RANK.get(level, -1)]
    name = norm_name(written)
    outdated = gazetteers.outdated_names().get(written) or gazetteers.outdated_names().get(name) or []
    path = "".join(say("functional.path_segment", name=n, level=lv) for n, lv in segs)
    for t, rows in functional_rows(doc):
        r = rows.get(code)
        if r is None:
            continue
        label = norm_name(r.label or "")
        spec = gazetteers.functional_codes().get(code) or {}
        same = {norm_name(spec.get("name", ""))} | {norm_name(a) for a in spec.get("aliases", [])}
        name_ok = (not label or names_match(label, name) or (name in same and label in same))
        if name_ok and not deeper:
            return []
        if name_ok:
            flag = _deeper_path_flag(doc, f, t, rows, code, segs, path)
            return [flag] if flag else []
        j = code_cell(t, r, code)
        old = [o for o in outdated if o["code"] == code and doc.year and o["until"] < doc.year]
        why = say("functional.name_vs_table.outdated_note", written=written, until=old[0]["until"]) if old else ""
        return [Flag(
            FAMILY, "functional.name_vs_table", "warning",
            say("functional.name_vs_table", path=path, table=table_name(t), code=code, label=c_(r.label), why=why),
            values=[f.value] if f.value is not None else [], stated=f.value,
            evidence=[quote(f.sentence)] + ([cell(t, r, j)] if j is not None else []),
            start=f.start, end=f.end, sentence=f.sentence, key=f"fname:{code}:{name}",
        )]
    old = [o for o in outdated if doc.year and o["until"] < doc.year]
    if not old:
        return []
    return [Flag(
        FAMILY, "functional.outdated_name", "warning",
        say("functional.outdated_name", name=segs[-1][0], year=doc.year, until=old[0]["until"],
            current=old[0]["current"]),
        values=[], evidence=[quote(f.sentence)], start=f.start, end=f.end, sentence=f.sentence,
        key=f"fold:{name}",
    )]


@functools.lru_cache(maxsize=None)
def _known_names(n: int) -> frozenset:
    """The classification's names of codes of `n` digits (from the gazetteer: once per process)."""
    return frozenset(norm_name(s.get("name", "")) for c, s in gazetteers.functional_codes().items() if len(c) == n)


def row_by_path(t: Table, segs) -> Optional[object]:
    """The row a written 类/款/项 path names in a table that prints names without codes
    (rows in tree order: the 类 row, then its 款 rows, then their 项 rows): each level is the
    first row after the previous level's with that name, before the next row that names a
    known 类 (or, for a 项, a known 款)."""
    if not segs or any(lv not in _LEVEL_LEN for _n, lv in segs):
        return None
    stops = {_LEVELS[0]: set(), _LEVELS[1]: _known_names(3), _LEVELS[2]: _known_names(3) | _known_names(5)}
    at = -1
    found = None
    for name, lv in segs:
        want = norm_name(name)
        found = None
        for i in range(at + 1, len(t.rows)):
            label = norm_name(t.rows[i].label or "")
            if names_match(label, want) or names_match(label, want + _NAME_TAIL):
                found = i
                break
            if at >= 0 and label in stops[lv] and not names_match(label, want):
                return None
        if found is None:
            return None
        at = found
    return t.rows[found]
