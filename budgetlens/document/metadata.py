"""A disclosure's metadata from its cover, its title lines and its file name.

Three witnesses, in order of trust:
  1. the cover (the first page of the first file): a title line naming the body
     (`2026年烟台市审计局部门预算`, `北京市司法局 2026 年度部门预算信息公开`) or a whole
     government's title with a label line (`上海市2026年市级单位预算` + `预算单位：上海市数据局`);
  2. title and label lines further on (a section title, the `部门：…` caption of the tables);
  3. the file name.
The body's name must look like an organisation (`gazetteers.names.organisation_name`):
body text such as `纳入…编制范围` or `主要原因是` never becomes a name.  Year, kind and scope
come with the name from the same line where it carries them.  Witnesses that disagree
(another body, year or kind) are recorded in `Document.metadata_conflicts`.

In a two-file publication (readers.pairing) the narrative file comes first, so its cover
names the body for both files: the tables file inherits the narrative's department.
"""
from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import regex

from budgetlens.document.model import Document
from budgetlens.gazetteers import load, templates
from budgetlens.gazetteers.names import (
    TitleMatch,
    abbreviate,
    label_name,
    qualified_region,
    region_of,
    squeeze,
    title_matches,
)
from budgetlens.readers.blocks import Block

META = load("document_meta")
COVER_PARAS = 12  # paragraphs of the first page read as the cover
SCAN_PARAS = 300  # paragraphs searched for title and label lines
TITLE_MAX = 60  # characters of a title line (without spaces)
_FILE_PREFIX = re.compile(META["file_prefix_pattern"])
# the characters str.isspace counts as whitespace and names.squeeze (regex's \s) does not
_NOT_REGEX_SPACE = re.compile("[\x1c-\x1f]")
FULLER_TEXT = 200_000  # characters of the text searched for a fuller form of the body's name
# each fuller prefix (中共) as it is printed: whitespace between its characters is squeezed out
_PRINTED_PREFIX = {p: regex.compile(r"\s*".join(map(regex.escape, p))) for p in META["fuller_prefixes"]}


@functools.lru_cache(maxsize=20_000)
def _title_matches(line: str) -> tuple:
    return tuple(title_matches(line))


def _matches(line: str) -> list[TitleMatch]:
    """title_matches, memoised (title and heading lines recur from document to document);
    each caller gets its own copies."""
    return [copy.copy(m) for m in _title_matches(line)]


_label_name = functools.lru_cache(maxsize=20_000)(label_name)
_squeeze = functools.lru_cache(maxsize=20_000)(squeeze)
_abbreviate = functools.lru_cache(maxsize=20_000)(abbreviate)
_region_of = functools.lru_cache(maxsize=20_000)(region_of)


def _squeeze_long(text: str) -> str:
    """squeeze for a long text: str.split is several times faster than the regex and
    removes the same characters, but for the separators \x1c-\x1f."""
    if _NOT_REGEX_SPACE.search(text):
        return squeeze(text)
    return "".join(text.split())


@dataclass
class Witness:
    origin: str  # cover | title | label | file
    dept: Optional[str]
    match: Optional[TitleMatch] = None
    line: str = ""
    page: Optional[int] = None
    source: Optional[str] = None


@dataclass
class Metadata:
    department: Optional[str] = None
    region: Optional[str] = None
    province: Optional[str] = None
    year: Optional[int] = None
    doc_kind: Optional[str] = None
    scope: Optional[str] = None
    title: Optional[str] = None
    origin: Optional[str] = None  # which witness named the body
    conflicts: list[str] = field(default_factory=list)


def _cover(paras: list[Block]) -> list[Block]:
    """The first page's paragraphs of the first file."""
    if not paras:
        return []
    first = paras[0]
    out = [b for b in paras[:COVER_PARAS] if b.source == first.source and b.page == first.page]
    return out or paras[:1]


def _lines_of(cover: list[Block], m: TitleMatch) -> str:
    """The cover lines a match on their joined text spans, as printed."""
    out, pos = [], 0
    for b in cover:
        n = len(_squeeze(b.text))
        if pos < m.end and pos + n > m.start:
            out.append(b.text.strip())
        pos += n
    return " ".join(out)


def file_witness(source: str) -> Optional[Witness]:
    stem = _FILE_PREFIX.sub("", Path(source).stem)
    for tm in _matches(stem):
        if tm.dept:
            return Witness("file", tm.dept, tm, stem, None, source)
    return None


def witnesses(paras: list[Block], sources: list[str]) -> list[Witness]:
    """Every witness of the body's name, most trusted first."""
    out: list[Witness] = []
    cover = _cover(paras)
    joined = "".join(_squeeze(b.text) for b in cover)
    cover_matches = _matches(joined)
    level = next((m for m in cover_matches if m.pattern == "level"), None)
    page = cover[0].page if cover else None
    src = cover[0].source if cover else None
    for b in cover:  # a label line on the cover names the body of a whole government's title
        name = _label_name(b.text)
        if name:
            line = (_lines_of(cover, level) + " " if level else "") + b.text.strip()
            out.append(Witness("cover", name, level, line, b.page, b.source))
    for m in cover_matches:
        if m.dept:
            out.append(Witness("cover", m.dept, m, _lines_of(cover, m), page, src))
    if level and not out:
        out.append(Witness("cover", None, level, _lines_of(cover, level), page, src))
    seen_cover = {id(b) for b in cover}
    for b in paras[:SCAN_PARAS]:
        if id(b) in seen_cover:
            continue
        name = _label_name(b.text)
        if name:
            out.append(Witness("label", name, None, b.text, b.page, b.source))
            continue
        line = _squeeze(b.text)
        if len(line) > TITLE_MAX:  # a sentence of body text is no title line
            continue
        for m in _title_matches(line):  # (the memoised matches: a witness gets its own copy)
            if m.dept and m.start <= 1:  # the line starts with the title (after 第一部分 …)
                out.append(Witness("title", m.dept, copy.copy(m), b.text, b.page, b.source))
                break
    for s in sources:
        w = file_witness(s)
        if w:
            out.append(w)
    return out


def same_body(a: str, b: str) -> bool:
    """Two printings of one body: equal up to brackets, or one contained in the other
    (江苏省委办公厅 in 中共江苏省委办公厅)."""
    a, b = _abbreviate(a), _abbreviate(b)
    return a in b or b in a


def _fuller(name: str, text: str, others: list[str]) -> str:
    """The fuller form of `name` (中共 + 江苏省委办公厅) when the document prints it, in the
    squeezed text or as another witness's name (中国共产党江苏省委员会办公厅 abbreviates to it).
    The text is squeezed only when it prints the prefix at all (most never do)."""
    squeezed = None
    for p in META["fuller_prefixes"]:
        if name.startswith(p):
            continue
        if any((p + name) in t for t in others):
            return p + name
        if _PRINTED_PREFIX[p].search(text, 0, FULLER_TEXT) is None:
            continue
        if squeezed is None:
            squeezed = _squeeze_long(text[:FULLER_TEXT])
        if (p + name) in squeezed:
            return p + name
    return name


def read_metadata(paras: list[Block], sources: list[str], text: str = "") -> Metadata:
    ws = witnesses(paras, sources)
    md = Metadata()
    named = [(w, w.dept) for w in ws if w.dept]
    if named:
        w, dept = named[0]
        others = [_abbreviate(d) for _, d in named]
        md.department = _fuller(dept, text, others)
        md.origin = w.origin
        md.title = w.line
    # year, kind and scope: from the first witness that carries them
    for w in ws:
        if w.match is not None:
            md.year, md.doc_kind, md.scope = w.match.year, w.match.kind, w.match.scope
            break
    level = next((w.match for w in ws if w.match is not None and w.match.region), None)
    if md.department:
        md.region, md.province = _region_of(md.department)
    if level is not None and level.region:
        md.region = level.region
        md.province = md.province or _region_of(level.region)[1]
    md.conflicts = _conflicts(md, ws)
    return md


def _conflicts(md: Metadata, ws: list[Witness]) -> list[str]:
    out: list[str] = []
    for w in ws:
        same = bool(w.dept and md.department and same_body(w.dept, md.department))
        where = w.origin + (f" p{w.page}" if w.page else "") + (f" {Path(w.source).name}" if w.origin == "file" and w.source else "")
        if w.dept and md.department and not same_body(w.dept, md.department):
            out.append(f"{where}: {w.dept} ≠ {md.department}")
        if not same and w.dept:
            continue  # another body's title line (a unit of the department): its year is its own
        if w.match is not None and md.year and w.match.year != md.year:
            out.append(f"{where}: {w.match.year} ≠ {md.year}")
        if w.match is not None and md.doc_kind and w.match.kind and w.match.kind != md.doc_kind:
            out.append(f"{where}: {w.match.kind} ≠ {md.doc_kind}")
    return list(dict.fromkeys(out))


def apply_metadata(doc: Document, paras: list[Block], name: Optional[str] = None) -> None:
    """`name`: the document's name as published (the portal's link text for crawled files,
    whose paths are content-addressed blobs); else the files' names are the third witness."""
    md = read_metadata(paras, [name] if name else list(doc.sources or [doc.source]), doc.text)
    doc.department, doc.region, doc.province, doc.year = md.department, md.region, md.province, md.year
    doc.doc_kind, doc.scope, doc.title = md.doc_kind, md.scope, md.title
    doc.metadata_conflicts = md.conflicts


# ── Templates (gazetteers/templates/*.yaml), chosen by their `match` blocks ────────────


def template_fields(key: str) -> dict:
    """A template with what it `inherits` filled in (a regional template lists its tables
    and takes the 143号 section list of national_budget, say)."""
    temps = templates()
    spec = dict(temps.get(key) or {})
    seen = {key}
    parent = spec.get("inherits")
    while parent and parent not in seen and parent in temps:
        seen.add(parent)
        for k, v in temps[parent].items():
            spec.setdefault(k, v)
        parent = temps[parent].get("inherits")
    return spec


def match_score(doc: Document, spec: dict) -> Optional[tuple]:
    """How specifically a template's `match` block fits the document, or None.

    match:
      regions         the document's region (with its province: 广东省深圳市, 上海市（市级）)
                      starts with one of these; the longest wins over a shorter one
      years           [first, last] budget years of the layout
      scopes          department / unit
      title_words     the title line contains one of these
      any_table_types the document has a table of one of these types
      min_required_tables  at least this many of the template's required table types are
                      present (the evidence a document follows a layout when no region says so)
    `doc_kind` (beside `match`) must equal the document's kind."""
    if spec.get("doc_kind") and spec["doc_kind"] != doc.doc_kind:
        return None
    m = spec.get("match") or {}
    region = qualified_region(doc.region, doc.province) or ""
    specificity = 0
    if m.get("regions"):
        hits = [r for r in m["regions"] if region.startswith(r)]
        if not hits:
            return None
        specificity = max(len(r) for r in hits)
    if m.get("years"):
        lo, hi = m["years"]
        if doc.year is None or not lo <= doc.year <= hi:
            return None
    if m.get("scopes") and doc.scope not in m["scopes"]:
        return None
    if m.get("title_words") and not any(w in (doc.title or "") for w in m["title_words"]):
        return None
    present = {t.table_type for t in doc.tables}
    if m.get("any_table_types") and not present & set(m["any_table_types"]):
        return None
    if m.get("min_required_tables"):
        if len(present & set(spec.get("required_tables") or [])) < m["min_required_tables"]:
            return None
    return (specificity, len(m))


def choose_template(doc: Document) -> Optional[str]:
    """The key of the template whose `match` fits the document most specifically, or None."""
    best: Optional[tuple] = None
    for key in templates():
        score = match_score(doc, template_fields(key))
        if score is not None and (best is None or score > best[0]):
            best = (score, key)
    return best[1] if best else None
