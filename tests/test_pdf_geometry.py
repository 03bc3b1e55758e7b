"""The PDF reader's geometry, without a PDF: ruling segments, grids with merged cells,
characters into cells and lines, page transforms, and the cross-page stitching of tables.
Shapes are taken from the real disclosures (a 预算收支总表 header with a spanning group, a
three-page table whose last page merges two columns)."""
from __future__ import annotations

import pytest

from budgetlens.readers.pdf.grid import JOIN, RuledTable, fill_table, find_tables, merge_segments
from budgetlens.readers.pdf.layout import mode_edge
from budgetlens.readers.pdf.objects import Transform, compose
from budgetlens.readers.pdf.stitch import continuation_map, join_split_row, spread_row, strip_repeated_header
from budgetlens.readers.pdf.text import Char, group_lines, join_chars, join_lines


def chars(text: str, x: float, top: float, w: float = 10.0, size: float = 10.0, gap: float = 0.0) -> list[Char]:
    """One Char per character, left to right from x on the line at `top`."""
    out = []
    for i, c in enumerate(text):
        x0 = x + i * (w + gap)
        out.append(Char(c, x0, top, x0 + w, top + size, size))
    return out


# --------------------------------------------------------------------------- transforms

@pytest.mark.parametrize("rot, point, expected", [
    (0, (10, 20), (10, 80)),     # y flipped: display origin is top-left
    (90, (10, 20), (20, 10)),
    (180, (10, 20), (190, 20)),
    (270, (10, 20), (80, 190)),
])
def test_transform_rotations(rot, point, expected):
    tf = Transform(200, 100, rot)
    assert tf(*point) == expected
    assert tf.size == ((100, 200) if rot in (90, 270) else (200, 100))


def test_transform_offset_mediabox():
    tf = Transform(200, 100, 0, left=50, bottom=30)
    assert tf(50, 30) == (0, 100)  # the mediabox's bottom-left corner


def test_compose_applies_inner_then_outer():
    scale2 = (2.0, 0.0, 0.0, 2.0, 0.0, 0.0)
    shift = (1.0, 0.0, 0.0, 1.0, 5.0, 7.0)
    a, b, c, d, e, f = compose(scale2, shift)
    x, y = 3.0, 4.0
    assert (a * x + c * y + e, b * x + d * y + f) == (11.0, 15.0)  # (2x + 5, 2y + 7)
    a, b, c, d, e, f = compose(shift, scale2)
    assert (a * x + c * y + e, b * x + d * y + f) == (16.0, 22.0)  # 2(x + 5), 2(y + 7)


# --------------------------------------------------------------------------- rulings → grid

def test_merge_segments_snaps_and_joins():
    segs = [(100.0, 0.0, 50.0), (100.8, 50.0 + JOIN - 0.5, 120.0), (100.4, 200.0, 260.0), (140.0, 0.0, 10.0)]
    out = merge_segments(segs)
    assert len(out) == 3
    joined, apart, other = out
    assert joined[1:] == [0.0, 120.0] and apart[1:] == [200.0, 260.0]
    assert 100.0 <= joined[0] <= 100.8 and joined[0] == apart[0]  # one ruling, two pieces
    assert other == [140.0, 0.0, 10.0]
    assert merge_segments([]) == []


def grid_lines(xs, ys, skip_v=()):
    """Horizontal rulings at every y across the full width; vertical at every x, except
    the (x, row) pieces in skip_v (a merged cell)."""
    hs = [[y, xs[0], xs[-1]] for y in ys]
    vs = []
    for x in xs:
        for r in range(len(ys) - 1):
            if (x, r) not in skip_v:
                vs.append([x, ys[r], ys[r + 1]])
    return merge_segments([tuple(h) for h in hs]), merge_segments([tuple(v) for v in vs])


def test_find_tables_builds_grid_with_a_spanning_cell():
    xs, ys = [0.0, 100.0, 200.0, 300.0], [0.0, 20.0, 40.0, 60.0]
    # top row: no ruling at x=200 → the cell over columns 1-2 spans (财政拨款 over 一般/政府性基金)
    hs, vs = grid_lines(xs, ys, skip_v={(200.0, 0)})
    (t,) = find_tables(hs, vs)
    assert t.xs == pytest.approx(xs) and t.ys == pytest.approx(ys)
    assert (0, 1, 0, 2) in t.cells
    assert len(t.cells) == 3 * 3 - 1


def test_find_tables_ignores_lone_box_and_separate_grids():
    box_h, box_v = grid_lines([0.0, 300.0], [0.0, 40.0])  # one box around text
    assert find_tables(box_h, box_v) == []
    h1, v1 = grid_lines([0.0, 100.0, 200.0], [0.0, 20.0, 40.0])
    h2, v2 = grid_lines([0.0, 100.0, 200.0], [300.0, 320.0, 340.0])
    tables = find_tables(h1 + h2, v1 + v2)
    assert [t.top for t in tables] == pytest.approx([0.0, 300.0])


def test_fill_table_repeats_spanning_text_and_keeps_numbers_once():
    xs, ys = [0.0, 100.0, 200.0, 300.0], [0.0, 20.0, 40.0, 60.0]
    hs, vs = grid_lines(xs, ys, skip_v={(200.0, 0), (200.0, 1)})
    (t,) = find_tables(hs, vs)
    cs = (chars("项目", 10, 5) + chars("财政拨款", 110, 5) + chars("合计", 10, 25) + chars("12.50", 110, 25, w=5)
          + chars("其中", 10, 45) + chars("1.00", 110, 45, w=5) + chars("2.00", 210, 45, w=5))
    fill_table(t, cs)
    # spanning text is repeated into each column; a spanning number is kept once (sums stay right)
    assert t.rows == [["项目", "财政拨款", "财政拨款"], ["合计", "12.50", ""], ["其中", "1.00", "2.00"]]


# --------------------------------------------------------------------------- chars → text

def test_group_lines_and_join_chars():
    line1 = chars("收入", 0, 0) + chars("ABC", 40, 0, w=5) + chars("DE", 60, 0, w=5)  # gap 5 > 0.3·size
    line2 = chars("支出", 0, 30)
    lines = group_lines(list(reversed(line1 + line2)))
    assert [join_chars(ln) for ln in lines] == ["收入ABC DE", "支出"]
    assert join_lines(["一般公共", "预算", "  "]) == "一般公共预算"
    assert join_lines(["Budget", "report"]) == "Budget report"


def test_mode_edge_prefers_outermost_among_most_common():
    assert mode_edge([500.0, 500.5, 520.0, 520.4, 300.0], max) == 520.0
    assert mode_edge([72.0, 72.9, 90.0], min) == 72.0
    assert mode_edge([72.0, 90.0], min, min_count=2) is None


# --------------------------------------------------------------------------- stitching

def ruled(cols: list[float]) -> RuledTable:
    t = RuledTable(cols[0], 0.0, cols[-1], 10.0, list(cols), [0.0, 10.0], [], rows=[["x"] * (len(cols) - 1)])
    t.col_x = list(cols)  # type: ignore[attr-defined]
    return t


def test_continuation_map_same_shifted_and_merged_columns():
    prev = ruled([50.0, 150.0, 250.0, 350.0])
    assert continuation_map(prev, ruled([52.0, 151.0, 249.0, 351.0])) == [(0, 0), (1, 1), (2, 2)]
    assert continuation_map(prev, ruled([80.0, 180.0, 280.0, 380.0])) == [(0, 0), (1, 1), (2, 2)]  # page margin moved
    assert continuation_map(prev, ruled([50.0, 150.0, 350.0])) == [(0, 0), (1, 2)]  # last two merged
    assert continuation_map(prev, ruled([50.0, 120.0, 200.0, 300.0])) is None  # another table


def test_spread_row_over_merged_columns():
    assert spread_row(["其他支出", "3.00"], [(0, 1), (2, 3)], 4) == ["其他支出", "其他支出", "3.00", ""]


def test_strip_repeated_header_and_join_split_row():
    prev = [["科目编码", "科目名称", "金额"], ["201", "一般公共服务", "10.00"], ["20101", "人大事务", "2.00"]]
    nxt = [["科目 编码", "科目名称", "金额"], ["20102", "政协事务", "1.00"]]
    assert strip_repeated_header(prev, nxt) == [["20102", "政协事务", "1.00"]]
    broken_prev = [["科目名称", "金额"], ["行政运行（一般", "5.00"]]
    broken = [["行政单位）", ""], ["机关服务", "1.00"]]
    join_split_row(broken_prev, broken)
    assert broken_prev[-1] == ["行政运行（一般行政单位）", "5.00"]
    assert broken == [["机关服务", "1.00"]]
