"""Characters and the text they make: a line's characters joined (a space only between
Latin words), lines of a cell or paragraph joined, characters grouped into lines by
vertical overlap.  Pure geometry on `Char` boxes in display space (origin top-left)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(slots=True)  # a page makes thousands: slots make each cheaper to create and hold
class Char:
    c: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2


def is_cjk(c: str) -> bool:
    o = ord(c)
    return (
        0x2E80 <= o <= 0x9FFF
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF
        or 0x3000 <= o <= 0x303F
        or 0x2010 <= o <= 0x206F  # dashes, quotes “” ‘’, ellipsis
    )


def _needs_space(a: str, b: str) -> bool:
    """A visible gap between a and b becomes a space only between Latin letters/digits."""
    return not is_cjk(a) and not is_cjk(b) and (a.isalnum() or a in ").%") and (b.isalnum() or b in "(")


def join_chars(chars: list[Char]) -> str:
    """Text of chars on one line (sorted by x)."""
    out: list[str] = []
    prev: Optional[Char] = None
    for ch in chars:
        if prev is not None:
            gap = ch.x0 - prev.x1
            if gap > 0.3 * max(prev.size, ch.size, 1.0) and _needs_space(prev.c, ch.c):
                out.append(" ")
        out.append(ch.c)
        prev = ch
    return "".join(out)


def join_lines(texts: list[str]) -> str:
    """Lines of one cell / paragraph joined: no separator, except between Latin words."""
    out = ""
    for t in texts:
        t = t.strip()
        if not t:
            continue
        if out and out[-1].isascii() and out[-1].isalpha() and t[0].isascii() and t[0].isalpha():
            out += " "
        out += t
    return out


def group_lines(chars: list[Char]) -> list[list[Char]]:
    """Group chars into lines by vertical overlap; lines top-down, chars left-right."""
    if not chars:
        return []
    chars = sorted(chars, key=lambda c: (c.cy, c.x0))
    lines: list[list[Char]] = []
    cur: list[Char] = []
    top = bottom = 0.0
    for ch in chars:
        h = max(ch.bottom - ch.top, 0.1)
        if cur and ch.cy <= bottom - 0.2 * h and ch.cy >= top:
            cur.append(ch)
            top = min(top, ch.top)
            bottom = max(bottom, ch.bottom) if ch.bottom - ch.top < 2 * (bottom - top) else bottom
        else:
            if cur:
                lines.append(cur)
            cur = [ch]
            top, bottom = ch.top, ch.bottom
    if cur:
        lines.append(cur)
    for ln in lines:
        ln.sort(key=lambda c: c.x0)
    return lines
