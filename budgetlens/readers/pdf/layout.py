"""Line and paragraph layout: characters outside tables into lines (caption segments
split at wide gaps), a page's tables and lines in reading order, page numbers and running
headers / footers dropped, and where a paragraph breaks between two lines."""
from __future__ import annotations

import functools
import statistics
from collections import Counter
from dataclasses import dataclass
from typing import Optional

import regex

from budgetlens.gazetteers import load

from .grid import RuledTable, fill_table, find_tables
from .text import Char, group_lines, is_cjk, join_chars

MARGIN_ZONE = 0.085  # top / bottom fraction of the page where page numbers live


@functools.lru_cache(maxsize=1)
def _layout() -> dict:
    data = load("pdf_layout") or {}
    return {
        "heading": [regex.compile(p) for p in data.get("heading_patterns", [])],
        "page_number": [regex.compile(p) for p in data.get("page_number_patterns", [])],
    }


@dataclass
class Line:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    page: int
    split: bool = False  # one of several segments of a physical line (captions)
    first_w: float = 0.0  # width of the line's first unbreakable unit (a number, a word, a char)


def _segments(line: list[Char]) -> list[list[Char]]:
    """Split a physical line at wide gaps (caption lines such as 编制部门：…  单位：元)."""
    out = [[line[0]]]
    for prev, ch in zip(line, line[1:]):
        if ch.x0 - prev.x1 > 5 * max(prev.size, ch.size, 4.0):  # prose blanks (____) stay below this
            out.append([ch])
        else:
            out[-1].append(ch)
    merged: list[list[Char]] = []
    for seg in out:  # "部门：" followed by its value stays one segment
        if merged and merged[-1][-1].c in "：:":
            merged[-1].extend(seg)
        else:
            merged.append(seg)
    return merged


def _first_unit_width(seg: list[Char]) -> float:
    """Width of the leading number / Latin word (a PDF never breaks inside one), else of
    the first char: the previous line ended short only if this unit would have fitted."""
    end = 0
    while end < len(seg) and seg[end].c.isascii() and (seg[end].c.isalnum() or seg[end].c in ".,%-"):
        end += 1
    end = max(end, 1)
    return seg[end - 1].x1 - seg[0].x0


def _make_lines(chars: list[Char], page: int) -> list[Line]:
    lines = []
    for ln in group_lines(chars):
        segs = _segments(ln)
        for seg in segs:
            text = join_chars(seg)
            if not text.strip():
                continue
            lines.append(
                Line(
                    text=text,
                    x0=seg[0].x0,
                    top=min(c.top for c in seg),
                    x1=seg[-1].x1,
                    bottom=max(c.bottom for c in seg),
                    size=statistics.median(c.size for c in seg),
                    page=page,
                    split=len(segs) > 1,
                    first_w=_first_unit_width(seg),
                )
            )
    return lines


def is_heading(text: str) -> bool:
    t = text.lstrip()
    return any(p.match(t) for p in _layout()["heading"])


def _is_page_number(text: str) -> bool:
    t = text.strip()
    return any(p.match(t) for p in _layout()["page_number"])


_DIGITS = regex.compile(r"[0-9]+")


_SENTENCE_END = set("。；！？：;!?:")


@dataclass
class Page:
    number: int
    width: float
    height: float
    items: list  # Line | RuledTable, in reading order


def layout_page(number, width, height, chars, hs, vs) -> Page:
    tables = find_tables(hs, vs)
    # a table must contain some text; nested grids (a box inside a table) are dropped
    kept: list[RuledTable] = []
    for t in tables:
        if any(k.x0 - 1 <= t.x0 and t.x1 <= k.x1 + 1 and k.top - 1 <= t.top and t.bottom <= k.bottom + 1 for k in kept):
            continue
        kept.append(t)
    free: list[Char] = []
    inside: list[list[Char]] = [[] for _ in kept]
    for ch in chars:
        for k, t in enumerate(kept):
            if t.x0 - 0.5 <= ch.cx <= t.x1 + 0.5 and t.top - 0.5 <= ch.cy <= t.bottom + 0.5:
                inside[k].append(ch)
                break
        else:
            free.append(ch)
    items: list = []
    for t, tc in zip(kept, inside):
        t.page = number
        fill_table(t, tc)
        if len(t.rows) >= 1 and (len(t.rows) >= 2 or len(t.rows[0]) >= 2):
            items.append(t)
        else:  # a framed note or a single box: its text is ordinary text
            free.extend(tc)
    items.extend(_make_lines(free, number))
    items.sort(key=lambda it: (round(it.top, 1), it.x0))
    return Page(number, width, height, items)


def drop_page_furniture(pages: list[Page]) -> None:
    """Remove page numbers and running headers/footers in the top/bottom margins."""
    zone_counts: dict[tuple[Optional[str], str], set[int]] = {}
    for p in pages:
        for it in p.items:
            if isinstance(it, Line):
                z = _zone(it, p)
                if z:
                    zone_counts.setdefault((z, _DIGITS.sub("#", it.text.replace(" ", ""))), set()).add(p.number)
    n = len(pages)
    for p in pages:
        keep = []
        lines = [it for it in p.items if isinstance(it, Line)]
        # a bare number as the first / last text of a page, outside any table, is a page number
        edge_first = lines[0] if lines and all(lines[0].bottom <= t.top for t in p.items if isinstance(t, RuledTable)) else None
        edge_last = lines[-1] if lines and all(lines[-1].top >= t.bottom for t in p.items if isinstance(t, RuledTable)) else None
        for it in p.items:
            if isinstance(it, Line):
                z = _zone(it, p)
                if _is_page_number(it.text) and (z or it is edge_first or it is edge_last):
                    continue
                key = (z, _DIGITS.sub("#", it.text.replace(" ", "")))
                if z and n >= 3 and len(zone_counts.get(key, ())) >= max(3, 0.5 * n) and "#" in key[1]:
                    continue  # running footer with a page number in it, e.g. "第#页 共#页"
            keep.append(it)
        p.items = keep


def _norm_text(t: str) -> str:
    return _DIGITS.sub("#", t.replace(" ", ""))


def drop_repeated_captions(pages: list[Page]) -> None:
    """A table continued on the next page under a repeat of its title / caption lines
    (spreadsheet print titles): the repeated lines are dropped so the table can merge."""
    caption: set[str] = set()
    prev_ends_with_table = False
    for p in pages:
        items = p.items
        k = 0
        while k < len(items) and isinstance(items[k], Line):
            k += 1
        if prev_ends_with_table and 0 < k < len(items) and all(_norm_text(items[i].text) in caption for i in range(k)):
            del items[:k]
        for idx, it in enumerate(items):
            if not isinstance(it, RuledTable) or (idx == 0 and prev_ends_with_table):
                continue
            cap: list[str] = []
            j = idx
            while j > 0 and isinstance(items[j - 1], Line) and len(cap) < 4:
                j -= 1
                cap.append(_norm_text(items[j].text))
            caption = set(cap)
        prev_ends_with_table = bool(items) and isinstance(items[-1], RuledTable)


def _zone(line: Line, page: Page) -> Optional[str]:
    if line.bottom <= page.height * MARGIN_ZONE:
        return "top"
    if line.top >= page.height * (1 - MARGIN_ZONE):
        return "bottom"
    return None


def mode_edge(vals: list[float], pick, min_count: int = 1):
    """The most common edge (2 pt bins); among equally common ones the outermost.
    None when no edge occurs `min_count` times."""
    bins = Counter(round(v / 2) for v in vals)
    best = max(bins.values())
    if best < min_count:
        return None
    return pick(b for b, n in bins.items() if n == best) * 2.0


_PROSE_PUNCT = set("，。；、")


def hard_wrapped(para: list[Line], line: Line) -> bool:
    """A prose line broken by hand in mid-sentence (the next line may be short or indented):
    the paragraph so far is prose (has ，。；), its last line ends without punctuation, and
    the next line continues in the same column at the same size."""
    prev = para[-1]
    if prev.split or line.split or line.page != prev.page or is_heading(line.text):
        return False
    last = prev.text[-1:]
    if not last or last in _SENTENCE_END or not (last.isalnum() or is_cjk(last)) or last in "：:）)":
        return False
    if not any(ch in _PROSE_PUNCT for l in para for ch in l.text):
        return False
    size = max(prev.size, line.size, 1.0)
    gap = line.top - prev.bottom
    return (
        abs(prev.size - line.size) <= 0.2 * size
        and -0.2 * size <= gap <= 1.0 * size
        and abs(line.x0 - min(l.x0 for l in para)) <= 2.5 * size
    )


def breaks(prev: Line, line: Line, L: float, R: float, body_size: float) -> bool:
    """True when `line` starts a new paragraph after `prev`."""
    if prev.split or line.split:
        return True
    if is_heading(line.text):
        return True
    size = max(prev.size, line.size, 1.0)
    if abs(prev.size - line.size) > 0.2 * size:
        return True
    gap = line.top - prev.bottom if line.page == prev.page else 0.0
    if (  # a cover title set in large type over several centred lines
        line.page == prev.page == 1
        and min(prev.size, line.size) > 1.2 * body_size
        and abs(prev.size - line.size) <= 0.1 * size
        and 0 <= gap < 2 * size
        and not is_heading(line.text)
    ):
        return False
    if gap > 1.6 * size or gap < -0.2 * size:
        return True
    if prev.x0 > L + 4 * size and not (  # a right-aligned / centred fragment (单位：万元)
        abs((prev.x0 + prev.x1) - (line.x0 + line.x1)) / 2 < 1.5 * size
    ):
        return True
    if (  # a centred title wrapped onto two lines
        line.page == prev.page
        and line.x0 > L + 1.5 * size
        and line.x1 < R - 1.5 * size
        and abs((prev.x0 + prev.x1) - (line.x0 + line.x1)) / 2 < 1.5 * size
        and gap < 1.5 * size
        and prev.text[-1:] not in _SENTENCE_END
    ):
        return False
    if prev.x1 + line.first_w < R - 0.5 * size:  # the next line's first word would have fitted
        return True
    if line.x0 > L + 1.2 * size:  # indented first line / centred title
        return True
    return False
