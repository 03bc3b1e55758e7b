"""The document model every extractor and rule consumes.

A reader turns a file into a list of `Block`s (`budgetlens.readers.blocks`: paragraphs and
raw tables, in reading order).  `budgetlens.document.build.build_document` turns blocks into a `Document`: one
normalised text with character offsets, a section tree, sentences, typed tables and
metadata.  Nothing here knows about file formats or Prefect.
"""
from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass, field
from typing import Optional


@dataclass
class Sentence:
    start: int
    end: int
    text: str
    section: str  # heading path, " > " joined
    paragraph: int  # index of the paragraph it belongs to
    table_id: Optional[str] = None  # set when the sentence is text inside a table cell
    row: Optional[int] = None  # table row index (data rows; header rows are negative)
    col: Optional[int] = None
    page: Optional[int] = None  # 1-based page of the file it came from (paged formats)
    file: Optional[str] = None  # that file (one of Document.sources)
    bbox: Optional[tuple] = None  # (x0, top, x1, bottom) on `page`, points, origin top-left (PDF)


@dataclass
class Section:
    level: int
    heading: str
    start: int  # offset of the heading in Document.text
    end: int  # offset where the section ends (exclusive)
    path: str
    children: list["Section"] = field(default_factory=list)


@dataclass
class Column:
    """One grid column of a table, as the header tree explains it.

    Computed once per table by `budgetlens.document.tables` (issue #10's header trees and
    column roles); rules read it and never re-derive column meaning from labels.

    `relation` says what the column is relative to its neighbours:
      "label"    row labels / names (text)
      "code"     classification codes (功能分类 / 经济分类)
      "index"    行次 / 栏次 / 序号 / 编码 line numbers: never an amount
      "total"    a total of `children` (合计/小计/总计, or a parent label)
      "part"     an addend of `parent`
      "of_which" an of-which subset (`其中…`) of `parent`: never an addend
      "subset"   a subset (`扣除…后`) of `parent`: never an addend
      "amount"   an amount whose relation to the others the tree does not establish
    Sum rules use only `total`/`part` relations; anything else keeps them silent.

    Roles (None = not established): `year` the budget/account year the figures belong to
    (本年 → the document's year, 上年 → the year before); `measure` one of budget, execution,
    final, initial_budget, adjusted_budget, change, change_rate; `fund` one of fiscal (财政拨款
    total), general_public, gov_fund, state_capital, special_account, other, all; `part`
    one of basic, project, personnel, public.
    """

    index: int
    path: tuple = ()  # header labels from the top header row down
    relation: str = "amount"
    parent: Optional[int] = None
    children: list = field(default_factory=list)
    year: Optional[int] = None
    measure: Optional[str] = None
    fund: Optional[str] = None
    part: Optional[str] = None

    @property
    def label(self) -> str:
        return "/".join(self.path)


@dataclass
class Row:
    index: int  # 0-based position among the table's data rows
    cells: list[str]  # raw cell texts (normalised)
    spans: list[tuple[int, int]] = field(default_factory=list)  # each cell's span in Document.text
    code: Optional[str] = None  # 功能分类 / 经济分类 code when the row has one
    label: Optional[str] = None  # the row's main label (first text cell)
    level: Optional[int] = None  # depth of `code` in its classification: 1 = 类/3xx, 2 = 款, 3 = 项
    is_total: bool = False  # 合计/总计/小计 rows
    page: Optional[int] = None  # 1-based page of `file` the row is printed on (paged formats)
    file: Optional[str] = None
    boxes: list = field(default_factory=list)  # per cell (x0, top, x1, bottom) on `page`, or None (PDF)


@dataclass(eq=False)  # a table is itself (hashable by identity: per-table caches key on it)
class Table:
    table_id: str  # "<doc_id>:t<n>"
    title: str
    table_type: str  # stable key from gazetteers/tables.yaml, "unknown" if none matched
    unit: str  # "万元" | "元" | ""
    columns: list[str]  # one merged label per grid column
    header_rows: list[list[str]]
    rows: list[Row]
    empty: bool = False  # no numeric data rows
    empty_note: Optional[str] = None  # e.g. "注：无政府基金预算财政拨款预算，空表列示。"
    caption: list[str] = field(default_factory=list)  # lines such as "预算年度：2024"
    page: Optional[int] = None
    source: Optional[str] = None
    start: Optional[int] = None  # offset of the title / anchor in Document.text
    column_info: list[Column] = field(default_factory=list)  # one per grid column (header tree and roles)
    type_scores: dict = field(default_factory=dict)  # table type -> score, from title, header and rows
    type_evidence: list[str] = field(default_factory=list)  # why the table got its type, for notebooks

    def amount_columns(self, **roles) -> list[Column]:
        """Columns holding amounts whose established roles match `roles` (e.g.
        year=2026, measure="budget"); a role given as None is not filtered on."""
        out = []
        for c in self.column_info:
            if c.relation in ("label", "code", "index"):
                continue
            if all(v is None or getattr(c, k) == v for k, v in roles.items()):
                out.append(c)
        return out


@dataclass
class Document:
    doc_id: str
    source: str
    format: str
    text: str = ""
    department: Optional[str] = None
    region: Optional[str] = None  # as printed at the start of the body's name (深圳市, 秦皇岛市海港区)
    province: Optional[str] = None  # its province-level division (广东省, 河北省, 上海市)
    year: Optional[int] = None
    doc_kind: Optional[str] = None  # "budget" | "final_account"
    scope: Optional[str] = None  # "department" | "unit"
    title: Optional[str] = None
    sections: list[Section] = field(default_factory=list)  # top-level sections (a tree)
    paragraphs: list[tuple[int, int]] = field(default_factory=list)  # (start, end) offsets
    sentences: list[Sentence] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # every input file (paired documents)
    template: Optional[str] = None  # gazetteers/templates/*.yaml key, if recognised
    # cover, title lines and file name that disagree on the body, year or kind
    # (document.metadata), e.g. "file p? X.pdf: 市国资委 ≠ 北京市人民政府国有资产监督管理委员会"
    metadata_conflicts: list[str] = field(default_factory=list)
    status: str = "ok"
    error: Optional[str] = None
    read_seconds: Optional[float] = None
    pages: Optional[int] = None
    # (offset, page, file) wherever the page or file changes in `text`, sorted by offset
    page_marks: list = field(default_factory=list)
    # PDF text lines: (start, end, page, file, (x0, top, x1, bottom)), sorted by offset
    line_boxes: list = field(default_factory=list)

    def span_box(self, start: int, end: int, page: Optional[int]) -> Optional[tuple]:
        """The box around the lines of [start, end) printed on `page` (PDF), else None."""
        if page is None or not self.line_boxes:
            return None
        cache = self.__dict__.get("_line_starts")
        if cache is None or cache[0] != len(self.line_boxes):
            cache = (len(self.line_boxes), [ln[0] for ln in self.line_boxes])
            self.__dict__["_line_starts"] = cache
        i = max(0, bisect.bisect_right(cache[1], start) - 1)
        hit = []
        while i < len(self.line_boxes) and self.line_boxes[i][0] < end:
            ln = self.line_boxes[i]
            if ln[1] > start and ln[2] == page:
                hit.append(ln[4])
            i += 1
        if not hit:
            return None
        return (min(b[0] for b in hit), min(b[1] for b in hit), max(b[2] for b in hit), max(b[3] for b in hit))

    def location_at(self, offset: Optional[int]) -> tuple[Optional[int], Optional[str]]:
        """(page, file) of the text at `offset`; (None, None) when unknown."""
        if offset is None or not self.page_marks:
            return None, None
        cache = self.__dict__.get("_mark_starts")
        if cache is None or cache[0] != len(self.page_marks):
            cache = (len(self.page_marks), [m[0] for m in self.page_marks])
            self.__dict__["_mark_starts"] = cache
        i = bisect.bisect_right(cache[1], offset) - 1
        if i < 0:
            return None, None
        return self.page_marks[i][1], self.page_marks[i][2]

    def section_at(self, offset: int) -> str:
        """Heading path of the innermost section containing `offset`: a binary search in
        the sections flattened once into consecutive spans."""
        flat = self._section_index
        if flat is None:  # siblings overlap: walk the tree
            return self._section_walk(offset)
        starts, paths = flat
        return paths[bisect.bisect_right(starts, offset) - 1]

    def _section_walk(self, offset: int) -> str:
        best = ""
        stack = list(self.sections)
        while stack:
            s = stack.pop()
            if s.start <= offset < s.end:
                best = s.path
                stack = list(s.children)
        return best

    @functools.cached_property
    def _section_index(self) -> Optional[tuple[list, list]]:
        """The sections flattened once (the tree is fixed once the document is built)."""
        return _flatten_sections(self.sections)

    @functools.cached_property
    def _sentence_starts(self) -> list[int]:
        """Sentence starts, taken once the sentences are final (the first `sentence_at`)."""
        return [s.start for s in self.sentences]

    def sentence_at(self, offset: int) -> Optional[Sentence]:
        starts = self._sentence_starts
        i = bisect.bisect_right(starts, offset) - 1
        if 0 <= i < len(self.sentences) and self.sentences[i].start <= offset < self.sentences[i].end:
            return self.sentences[i]
        return None

    def tables_of(self, *types: str) -> list[Table]:
        return [t for t in self.tables if t.table_type in types]


def _flatten_sections(sections: list) -> Optional[tuple[list, list]]:
    """(starts, paths): the innermost section path on [starts[i], starts[i+1]), "" outside
    every section — what `Document._section_walk` finds, as consecutive spans.  None when
    siblings overlap or are out of order (the walk then decides)."""
    starts: list = [float("-inf")]
    paths: list = [""]

    def put(at, path):
        if at == starts[-1]:
            paths[-1] = path
        elif paths[-1] != path:
            starts.append(at)
            paths.append(path)

    def walk(children, path, lo, hi) -> bool:
        cur = lo
        for sec in children:
            a, b = max(sec.start, lo), min(sec.end, hi)
            if a >= b:
                continue  # empty, or outside its parent: never reached by the walk
            if a < cur:
                return False
            put(a, sec.path)
            if not walk(sec.children, sec.path, a, b):
                return False
            put(b, path)
            cur = b
        return True

    if not walk(sections, "", float("-inf"), float("inf")):
        return None
    return starts, paths
