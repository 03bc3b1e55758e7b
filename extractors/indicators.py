"""Performance indicators (绩效指标): the target of each indicator, from indicator tables and
from narrative.

Tables: any table with a header row naming the indicator columns (一级/二级/三级指标,
指标值; Langfang's split layout 符号 | 值 | 单位) — whatever its table_type, since PDF
readers may not recognise the title — plus tables typed `performance_targets` /
`overall_performance_targets`.  One fact per indicator row: subject = 三级指标 (line breaks
inside the cell removed), `level` = "一级 > 二级" (carried down from the rows above when
the cell is empty), `project` = the project the table is for, `comparator` normalised to
≥ ≤ = > < (a bare value is "="), value + unit (`≥1500次`, `≤0.79元/平米/天`,
`≥13459.00(平方米)`, split cells `≥ | 19000 | 件`), `value_wan` for money and rates.
Qualitative values (`保障`, `有效保障`, `满意`) are kept in `text_value` with value null;
`下降60%` / `较上年降低` set `direction` (and `base_year` for 较上年) with comparator null.
Every indicator is `is_target` = True, `origin` = "table", `table_id` / `row` set.

Narrative: a figure preceded by a comparator symbol (≥ ≤ = …) or a comparator word
(不低于, 不少于, 达到或超过, 控制在 … 以内, 大于等于; gazetteers/patterns/indicators.yaml) in a
sentence or section about performance targets is an indicator; its subject is the clause
before the comparator (`绩效指标：文件材料的起草和会议筹备工作次数≥40次`).

Corpus: extractors/corpus/indicators.yaml.
"""
from __future__ import annotations

import functools
from typing import Optional, Sequence

import regex

from budgetlens.document.numbers import MONEY, parse_number
from budgetlens.gazetteers.patterns import alternation, load

from .comparisons import intros
from .facts import Fact
from .numbers import COUNT, PERCENT, find_quantities

P = load("indicators")
COMPARATORS = {str(k): str(v) for k, v in P["comparators"].items()}
COMP_WORDS = {str(k): str(v) for k, v in P["comparator_words"].items()}
COMP_AFTER = {str(k): str(v) for k, v in P["comparator_after"].items()}
HEADER = {k: set(v) for k, v in P["header"].items()}
LEVEL_WORDS = set(P["level_words"])
QUAL_DIR = {w: d for d, ws in P["qualitative_directions"].items() for w in ws}
CUES = tuple(P["narrative_cues"])
TITLE_SUFFIXES = sorted(P["title_suffixes"], key=len, reverse=True)
PROJECT_LABEL = set(P["project_label"])
LEADING_VERBS = sorted(P["leading_verbs"], key=len, reverse=True)
TARGET_WORDS = set(P["target_words"])
PLAN_WORDS = tuple(P["plan_words"])
_GENERIC_HEADS = set(load("subjects")["generic_heads"])

KNOWN_UNITS = set(COUNT.values()) | set(PERCENT.values()) | set(MONEY)
_COMP_SYM_RE = regex.compile(rf"(?:{alternation(COMPARATORS)})\s*$")
_COMP_WORD_RE = regex.compile(rf"(?:{alternation(COMP_WORDS)})\s*$")
_VALUE_RE = regex.compile(
    rf"^\s*(?P<cmp>{alternation(list(COMPARATORS) + list(COMP_WORDS))})?\s*(?P<num>-?\d[\d,]*(?:\.\d+)?)\s*"
    rf"[（(]?(?P<unit>[^\d()（）]*?)[）)]?\s*$"
)
_QUAL_DIR_RE = regex.compile(alternation(QUAL_DIR))
_NUM_ONLY = regex.compile(r"^\s*-?\d[\d,]*(?:\.\d+)?\s*$")


def comparator_before(text: str, pos: int) -> Optional[tuple[str, int]]:
    """(normalised comparator, start) written right before `pos`, or None."""
    left = text[max(0, pos - 8):pos]
    m = _COMP_SYM_RE.search(left)
    if m:
        return COMPARATORS[m.group().strip()], pos - len(left) + m.start()
    m = _COMP_WORD_RE.search(left)
    if m:
        return COMP_WORDS[m.group().strip()], pos - len(left) + m.start()
    return None


def comparator_after(text: str, end: int) -> Optional[str]:
    for w, c in sorted(COMP_AFTER.items(), key=lambda t: -len(t[0])):
        if text.startswith(w, end):
            return c
    return None


def is_symbol(comparator_text: str) -> bool:
    return comparator_text in COMPARATORS


def is_target_word(comparator_text: str) -> bool:
    """≥ / ≤ … or a word such as 不低于 / 大于等于 that states a target by itself."""
    return comparator_text in COMPARATORS or comparator_text in TARGET_WORDS


def is_plan(sentence: str) -> bool:
    """计划组织召开…13次: a planned quantity (not 编报绩效目标的项目12个, a statement)."""
    return any(w in (sentence or "") for w in PLAN_WORDS)


def has_cue(*texts: str) -> bool:
    return any(c in (t or "") for t in texts for c in CUES)


def strip_leading_verbs(s: str) -> str:
    for _ in range(3):
        for w in LEADING_VERBS:
            if s.startswith(w) and len(s) > len(w) + 1 and s[len(w):] not in _GENERIC_HEADS:
                s = s[len(w):]
                break
        else:
            break
    return s


# ── tables ──────────────────────────────────────────────────────────────────────────

_WS = regex.compile(r"\s+")


def _norm_cell(c: str) -> str:
    if c and c.isprintable() and " " not in c:
        return c  # (every other whitespace character is unprintable)
    return _WS.sub("", c) if c else ""


# a header row names 三级指标 or a value column (指标值, 值, 目标值 …): every value word holds 值
_HEADER_HINT = regex.compile(r"值|指\s*标")
# header word -> the header keys it names, in HEADER's order
_HEADER_KEYS: dict[str, list[str]] = {}
for _key, _words in HEADER.items():
    for _w in _words:
        _HEADER_KEYS.setdefault(_w, []).append(_key)


# a cell that is a header word (in the row with its spaces removed, cells joined by NUL)
_HEADER_CELL = regex.compile(rf"(?:^|\0)(?:{alternation(_HEADER_KEYS)})(?=\0|\Z)")


def _header_map(cells: Sequence[str]) -> Optional[dict[str, int]]:
    # a header row has a cell equal to a header word (and its value or level words hold 值 / 指标)
    if not _HEADER_CELL.search(_norm_cell("\0".join(cells))):  # (cells are str)
        return None  # most rows: no header word at all
    m: dict[str, int] = {}
    for j, c in enumerate(cells):
        for key in _HEADER_KEYS.get(_norm_cell(c), ()):
            if key not in m:
                m[key] = j
    if "level3" in m or ("comparator" in m and "value" in m) or ("value" in m and "level1" in m):
        return m
    return None


_PROJECT_LABEL_RE = regex.compile(alternation(PROJECT_LABEL)) if PROJECT_LABEL else None
_TITLE_NO = regex.compile(r"^[\d一二三四五六七八九十]+[、.．]")


def _has_label(rows) -> bool:
    """A cell equal to a project label (spaces removed) is a label inside the rows' text
    (NUL between cells: a label never spans two)."""
    return _PROJECT_LABEL_RE is not None and bool(
        _PROJECT_LABEL_RE.search(_norm_cell("\0".join(["\0".join(cells) for cells in rows]))))


def project_of(table) -> Optional[str]:
    return project_of_rows(tuple([tuple(r.cells) for r in table.rows]), table.title)


@functools.lru_cache(maxsize=512)
def project_of_rows(rows: tuple[tuple[str, ...], ...], title: Optional[str]) -> Optional[str]:
    """`project_of` a table with these rows (their cells) and title."""
    return _project_of(rows, title)


def _project_of(rows: Sequence[Sequence[str]], title: Optional[str]) -> Optional[str]:
    """The project a table is for: the cell after a project label, else its title without
    the table words (rows as their cells)."""
    for r in (rows if _has_label(rows) else ()):
        if not _has_label((r,)):
            continue
        cells = [_norm_cell(c) for c in r]
        for j, c in enumerate(cells):
            if c in PROJECT_LABEL:
                for v in cells[j + 1:]:
                    if v and v not in PROJECT_LABEL:
                        return v
    t = _norm_cell(title or "")
    t = _TITLE_NO.sub("", t)
    for s in TITLE_SUFFIXES:
        if t.endswith(s) and len(t) > len(s):
            return t[: -len(s)]
    return None


def _parse_value(cells: Sequence[str], cols: dict[str, int], width: int):
    """(comparator, value, unit, text_value, raw) of an indicator row."""
    shift = len(cells) - width if width and len(cells) > width else 0
    if "comparator" in cols and "value" in cols:
        def at(k):
            j = cols[k] + shift
            return cells[j] if 0 <= j < len(cells) else ""
        cmp_s, val_s = _norm_cell(at("comparator")), _norm_cell(at("value"))
        unit_s = _norm_cell(at("unit")) if "unit" in cols else ""
        raw = f"{cmp_s}|{val_s}|{unit_s}"
        v = parse_number(val_s)
        if v is None:
            return None, None, None, val_s or None, raw
        return COMPARATORS.get(cmp_s, COMP_WORDS.get(cmp_s)), v, unit_s or None, None, raw
    j = cols.get("value")
    if j is None or j >= len(cells):
        return None
    raw = _norm_cell(cells[j])
    if not raw:
        return None
    m = _VALUE_RE.match(raw)
    if m:
        cmp_s = m.group("cmp")
        comp = COMPARATORS.get(cmp_s, COMP_WORDS.get(cmp_s)) if cmp_s else None
        return comp, parse_number(m.group("num")), (m.group("unit") or None), None, raw
    return None, None, None, raw, raw


def _unit_info(unit: Optional[str]):
    """(canonical unit, value factor to 万元 or None, per)."""
    if not unit:
        return None, None, None
    qs = find_quantities("1" + unit)
    if qs and qs[0].start == 0 and qs[0].end == len(unit) + 1:
        q = qs[0]
        factor = q.value_wan if q.kind in ("money", "rate") else None
        return q.unit, factor, q.per
    u = unit.strip()
    if u in PERCENT:
        return PERCENT[u], None, None
    if u in COUNT:
        return COUNT[u], None, None
    return u, None, None


@functools.lru_cache(maxsize=4096)
def _resolve_value(parsed: tuple, doc_year: Optional[int]) -> tuple:
    """An indicator cell's target: comparator, value, unit, per, 万元 factor, the text value
    and raw cell, and for a qualitative target (`较上年有所提高`) its direction and base year."""
    comp, value, unit_s, text_value, raw = parsed
    unit, factor, per = _unit_info(unit_s)
    direction = base_year = None
    if unit_s and factor is None and unit not in KNOWN_UNITS and len(unit) > 3:
        known = regex.match(alternation(list(COUNT) + list(PERCENT) + list(MONEY)), unit_s or "")
        text_value = raw.replace("|", "")
        unit = (COUNT.get(known.group()) or PERCENT.get(known.group()) or known.group()) if known else None
    if text_value and value is None:
        qs = find_quantities(text_value)
        if qs:
            q0 = qs[0]
            value, unit, per = q0.value, q0.unit, q0.per
            factor = (q0.value_wan / q0.value) if (q0.value_wan and q0.value) else None
            cb = comparator_before(text_value, q0.start)
            comp = cb[0] if cb else comparator_after(text_value, q0.end)
    if text_value:
        dm = _QUAL_DIR_RE.search(text_value)
        if dm:
            direction = QUAL_DIR[dm.group()]
            qs = find_quantities(text_value)
            if qs:
                value, unit, per = qs[0].value, qs[0].unit, qs[0].per
                factor = qs[0].value_wan / qs[0].value if qs[0].value_wan and qs[0].value else None
            its = intros(text_value, doc_year)
            base_year = its[0].base_year if its else None
    elif raw and _QUAL_DIR_RE.search(raw) and comp is None:
        direction = QUAL_DIR[_QUAL_DIR_RE.search(raw).group()]
    if value is not None and comp is None and direction is None:
        comp = "="
    return comp, value, unit, per, factor, text_value, raw, direction, base_year


@functools.lru_cache(maxsize=8192)
def _header_of(cells: tuple[str, ...]) -> Optional[tuple[tuple[str, int], ...]]:
    """`_header_map` of a row, as a key: read once per distinct row (templated indicator
    tables repeat their rows across documents)."""
    m = _header_map(cells)
    return tuple(m.items()) if m else None


@functools.lru_cache(maxsize=8192)
def _row_reading(cells: tuple[str, ...], header: tuple[tuple[str, int], ...], width: int) -> tuple:
    """(level 1, level 2, name, has a value, parsed value, value column) of an indicator
    row under a header row of `width` cells — a function of the row's cells alone."""
    cols = dict(header)
    shift = len(cells) - width if len(cells) > width else 0
    parsed = _parse_value(cells, cols, width)

    def cell(key):
        j = cols.get(key)
        if j is None:
            return ""
        j += shift
        return _norm_cell(cells[j]) if 0 <= j < len(cells) else ""

    if "level3" in cols:
        l1, l2, name = cell("level1"), cell("level2"), cell("level3")
    elif shift >= 3:  # right-aligned header (符号 | 值 | 单位): levels and name lead the row
        l1, l2, name = (_norm_cell(c) for c in cells[:3])
    else:  # a row broken across lines
        l1 = l2 = ""
        name = _norm_cell(cells[2]) if len(cells) >= 3 and parsed and parsed[1] is None \
            and not parsed[3] else ""
    has_value = parsed is not None and (parsed[1] is not None or parsed[3])
    return l1, l2, name, has_value, parsed, cols.get("value", 0) + shift


@functools.lru_cache(maxsize=8192)
def _indicator(name: str, parsed: tuple, doc_year: Optional[int]) -> Fact:
    """The indicator fact of a row named `name` with the value cell `parsed`, without its
    place (section, span, code, level, project, table row) — a pattern to copy."""
    comp, value, unit, per, factor, text_value, raw, direction, base_year = _resolve_value(parsed, doc_year)
    sent = " | ".join(c for c in (name, raw) if c)
    return Fact(
        kind="indicator", subject=name, value=value, unit=unit,
        value_wan=(value * factor if (factor is not None and value is not None) else None),
        per=per, comparator=comp, year=doc_year, base_year=base_year, direction=direction,
        origin="table", section="", sentence=sent, text_value=text_value, is_target=True, raw=raw)


@functools.lru_cache(maxsize=512)
def _grid(rows: tuple[tuple[str, ...], ...], title: Optional[str]) -> tuple:
    """The indicator grid of a table's rows (their cells) and title: (indicator rows as
    (row position, name, parsed value, level, value column), positions of the rows used,
    project) — a function of the table's text, read once per distinct table."""
    found: list[tuple] = []
    used: list[int] = []
    if not _HEADER_HINT.search("\0".join(["\0".join(r) for r in rows])):  # (cells are str)
        return (), (), None  # no row can be a header row: no indicator grid
    layout = None  # (header, width) of the last header row
    project = None
    project_read = False
    level = ["", ""]
    pending_name = None
    for i, cells in enumerate(rows):
        hm = _header_of(cells)
        if hm:
            layout = (hm, len(cells))
            if not project_read:  # the same table, the same answer: read it once
                project, project_read = project_of_rows(rows, title), True
            used.append(i)
            continue
        if layout is None:
            continue
        l1, l2, name, has_value, parsed, j = _row_reading(cells, *layout)
        if has_value and not name and pending_name:
            name = pending_name
        if l1:
            level = [l1, ""]
        if l2:
            level[1] = l2
        if not name or not has_value:
            pending_name = name or pending_name
            if name:
                used.append(i)
            continue
        pending_name = None
        found.append((i, name, parsed, " > ".join(x for x in level if x) or None, j))
        used.append(i)
    return tuple(found), tuple(used), project


def table_indicators(doc) -> tuple[list[Fact], set[tuple[str, int]]]:
    """Indicator facts of every indicator grid in `doc`, and the (table_id, row) pairs used."""
    facts: list[Fact] = []
    used: set[tuple[str, int]] = set()
    new = Fact.__new__
    for t in doc.tables:
        found, used_rows, project = _grid(tuple([tuple(r.cells) for r in t.rows]), t.title)
        rows = t.rows
        for i in used_rows:
            used.add((t.table_id, rows[i].index))
        for i, name, parsed, level, j in found:
            r = rows[i]
            span = r.spans[j] if j < len(r.spans) else (r.spans[-1] if r.spans else (None, None))
            f = new(Fact)
            f.__dict__.update(_indicator(name, parsed, doc.year).__dict__,
                              section=doc.section_at(span[0]) if span[0] is not None else "",
                              start=span[0], end=span[1], code=r.code, level=level, project=project,
                              table_id=t.table_id, row=r.index)
            facts.append(f)
    return facts, used
