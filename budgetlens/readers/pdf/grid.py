"""Grid from rulings: collinear ruling segments snapped and joined, connected groups of
crossing lines turned into grids with merged cells, and the characters inside a grid put
into its cells.  Pure geometry: testable with hand-made segments, without a PDF."""
from __future__ import annotations

import bisect
import statistics
from dataclasses import dataclass, field
from typing import Optional

import regex

from .text import Char, group_lines, join_chars, join_lines

# geometry tolerances, in PDF points
SNAP = 2.0  # coordinates closer than this are the same ruling line


JOIN = 3.0  # collinear segments with a gap up to this are one line


def merge_segments(segs: list[tuple[float, float, float]]) -> list[list[float]]:
    """Collinear segments (pos, a, b) snapped and joined: [[pos, a, b], ...]."""
    if not segs:
        return []
    segs = sorted(segs)
    clusters: list[list[tuple[float, float, float]]] = [[segs[0]]]
    for s in segs[1:]:
        if s[0] - clusters[-1][-1][0] <= SNAP:
            clusters[-1].append(s)
        else:
            clusters.append([s])
    out: list[list[float]] = []
    for cl in clusters:
        pos = statistics.fmean(s[0] for s in cl)
        spans = sorted((s[1], s[2]) for s in cl)
        a, b = spans[0]
        for sa, sb in spans[1:]:
            if sa <= b + JOIN:
                b = max(b, sb)
            else:
                out.append([pos, a, b])
                a, b = sa, sb
        out.append([pos, a, b])
    return out


@dataclass
class RuledTable:
    x0: float
    top: float
    x1: float
    bottom: float
    xs: list[float]
    ys: list[float]
    cells: list[tuple[int, int, int, int]]  # (r0, c0, r1, c1) inclusive grid spans
    rows: list[list[str]] = field(default_factory=list)
    page: int = 0
    # per row of `rows`, per cell: (page, x0, top, x1, bottom) of the cell, for drawing it
    boxes: list[list] = field(default_factory=list)


def _cluster_values(vals: list[float], tol: float) -> list[float]:
    vals = sorted(vals)
    out: list[list[float]] = []
    for v in vals:
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [statistics.fmean(c) for c in out]


def find_tables(hs: list[list[float]], vs: list[list[float]]) -> list[RuledTable]:
    """Connected groups of crossing ruling lines -> grids with merged cells."""
    hs = [h for h in hs if h[2] - h[1] >= 4]
    vs = [v for v in vs if v[2] - v[1] >= 4]
    if not hs or not vs:
        return []
    n_h = len(hs)
    parent = list(range(n_h + len(vs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    tol = SNAP + 1
    for i, (y, hx0, hx1) in enumerate(hs):
        for j, (x, vy0, vy1) in enumerate(vs):
            if hx0 - tol <= x <= hx1 + tol and vy0 - tol <= y <= vy1 + tol:
                a, b = find(i), find(n_h + j)
                if a != b:
                    parent[a] = b
    groups: dict[int, tuple[list, list]] = {}
    for i in range(n_h):
        groups.setdefault(find(i), ([], []))[0].append(hs[i])
    for j in range(len(vs)):
        groups.setdefault(find(n_h + j), ([], []))[1].append(vs[j])
    tables = []
    for gh, gv in groups.values():
        if len(gh) < 2 or len(gv) < 2:
            continue
        t = _grid(gh, gv)
        if t is not None:
            tables.append(t)
    tables.sort(key=lambda t: (t.top, t.x0))
    return tables


def _grid(gh: list[list[float]], gv: list[list[float]]) -> Optional[RuledTable]:
    x0 = min(min(h[1] for h in gh), min(v[0] for v in gv))
    x1 = max(max(h[2] for h in gh), max(v[0] for v in gv))
    top = min(min(v[1] for v in gv), min(h[0] for h in gh))
    bottom = max(max(v[2] for v in gv), max(h[0] for h in gh))
    if x1 - x0 < 20 or bottom - top < 8:
        return None
    xs = _cluster_values([v[0] for v in gv] + [x0, x1], SNAP + 0.5)
    ys = _cluster_values([h[0] for h in gh] + [top, bottom], SNAP + 0.5)
    if len(xs) < 2 or len(ys) < 2:
        return None
    nr, nc = len(ys) - 1, len(xs) - 1

    def covered(segs, pos, a, b, is_x):
        need = 0.5 * (b - a)
        got = 0.0
        for p, s0, s1 in segs:
            if abs(p - pos) <= SNAP + 0.5:
                got += max(0.0, min(s1, b) - max(s0, a))
        return got >= need

    # boundary present between column c-1 and c in row r (vertical line at xs[c])
    vb = [[covered(gv, xs[c], ys[r], ys[r + 1], True) for c in range(1, nc)] for r in range(nr)]
    # boundary present between row r-1 and r in column c (horizontal line at ys[r])
    hb = [[covered(gh, ys[r], xs[c], xs[c + 1], False) for c in range(nc)] for r in range(1, nr)]
    parent = list(range(nr * nc))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(nr):
        for c in range(1, nc):
            if not vb[r][c - 1]:
                parent[find(r * nc + c)] = find(r * nc + c - 1)
    for r in range(1, nr):
        for c in range(nc):
            if not hb[r - 1][c]:
                parent[find(r * nc + c)] = find((r - 1) * nc + c)
    spans: dict[int, list[int]] = {}
    for r in range(nr):
        for c in range(nc):
            k = find(r * nc + c)
            s = spans.get(k)
            if s is None:
                spans[k] = [r, c, r, c]
            else:
                s[0], s[1], s[2], s[3] = min(s[0], r), min(s[1], c), max(s[2], r), max(s[3], c)
    cells = [tuple(s) for s in spans.values()]
    if len(cells) < 2:  # a single box around text: not a table
        return None
    return RuledTable(x0, top, x1, bottom, xs, ys, cells)  # type: ignore[arg-type]


NUMERIC = regex.compile(r"^[-+−]?[0-9][0-9,，]*(\.[0-9]+)?%?$|^[-+−]?\.[0-9]+$")


def fill_table(t: RuledTable, chars: list[Char]) -> None:
    """Put the chars inside `t` into its cells; build `t.rows` on the grid."""
    nr, nc = len(t.ys) - 1, len(t.xs) - 1
    owner = {}
    for idx, (r0, c0, r1, c1) in enumerate(t.cells):
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                owner[(r, c)] = idx
    buckets: list[list[Char]] = [[] for _ in t.cells]
    for ch in chars:
        r = bisect.bisect_right(t.ys, ch.cy) - 1
        c = bisect.bisect_right(t.xs, ch.cx) - 1
        r = min(max(r, 0), nr - 1)
        c = min(max(c, 0), nc - 1)
        buckets[owner[(r, c)]].append(ch)
    texts = [join_lines([join_chars(ln) for ln in group_lines(b)]) for b in buckets]
    grid = [["" for _ in range(nc)] for _ in range(nr)]
    boxes: list[list] = [[None] * nc for _ in range(nr)]  # each grid slot's cell box, for drawing
    for (r0, c0, r1, c1), text in zip(t.cells, texts):
        if not text:
            continue
        box = (t.page, t.xs[c0], t.ys[r0], t.xs[c1 + 1], t.ys[r1 + 1])
        if NUMERIC.match(text):
            grid[r0][c0] = text
            boxes[r0][c0] = box
            continue
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                grid[r][c] = text
                boxes[r][c] = box
    # drop empty rows, and empty sliver columns (double rulings)
    keep_c = [c for c in range(nc) if t.xs[c + 1] - t.xs[c] >= 6 or any(grid[r][c] for r in range(nr))]
    keep_r = [r for r in range(nr) if any(grid[r][c] for c in keep_c)]
    t.rows = [[grid[r][c] for c in keep_c] for r in keep_r]
    t.boxes = [[boxes[r][c] for c in keep_c] for r in keep_r]
    t.col_x = [t.xs[c] for c in keep_c] + ([t.xs[keep_c[-1] + 1]] if keep_c else [])  # type: ignore[attr-defined]
