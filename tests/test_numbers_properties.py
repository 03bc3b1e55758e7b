"""Property tests of figures and units (the one parser, budgetlens/document/numbers.py, and
the figures of running text found on top of it, extractors/numbers.py)."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetlens.document.numbers import MONEY, cell_value, from_wan, parse_number, to_chinese, to_wan, wan_factor
from budgetlens.extractors.numbers import find_quantities


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_integer_chinese_round_trip(n):
    assert parse_number(to_chinese(n)) == n


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**8), st.integers(min_value=0, max_value=99))
def test_decimal_chinese_round_trip(i, cents):
    x = float(f"{i}.{cents:02d}")
    assert abs(parse_number(to_chinese(x)) - x) < 1e-6


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_units_agree(d):
    yuan = float(d)
    wan = to_wan(yuan, "元")
    assert abs(to_wan(wan, "万元") - wan) < 1e-9
    assert abs(to_wan(from_wan(wan, "亿元"), "亿元") - wan) < 1e-6
    assert abs(from_wan(wan, "元") - yuan) < 1e-4
    # the same amount written in 元 and in 万元 gives the same value_wan
    a = find_quantities(f"{yuan:.2f}元")[0].value_wan
    b = find_quantities(f"{wan:.6f}万元")[0].value_wan
    assert abs(a - b) < 1e-5


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=99999))
def test_chinese_money_equals_arabic(n):
    a = find_quantities(f"{to_chinese(n)}元")
    assert a and abs(a[0].value_wan - n / 10000) < 1e-9


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_offsets(s):
    for q in find_quantities(s):
        assert 0 <= q.start < q.end <= len(s)
        assert s[q.start:q.end] == q.raw


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_extracts(s):
    from budgetlens.extractors.narrative import extract_text

    for f in extract_text(s, 2024):
        assert f.start is None or 0 <= f.start <= f.end <= len(s)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_a_cell_and_a_figure_read_alike(d):
    """A table cell and the same figure in text give one value; a cell in brackets is negative."""
    s = f"{float(d):.2f}"
    assert cell_value(s) == parse_number(s) == float(s)
    assert cell_value(f"（{s}）") == -float(s)
    assert cell_value(f"{s}%") is None and cell_value("—") is None


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(sorted(MONEY)))
def test_every_money_unit_converts_one_way(n, unit):
    """One conversion to 万元 (元, 千元, 万元, 亿元 from the gazetteer): the text finder, the
    cells' conversion and the factor agree."""
    wan = to_wan(n, unit)
    assert wan == round(n * wan_factor(unit), 10)
    if unit != "万":  # 万 alone is an alias read only after Arabic digits in text
        q = find_quantities(f"共{n}{unit}。")
        assert q and abs(q[0].value_wan - wan) < 1e-6


def test_thousand_yuan_is_a_tenth_of_ten_thousand():
    assert to_wan(1234.5, "千元") == 123.45
    assert to_wan(12, "元") == 0.0012 and to_wan(3, "亿元") == 30000
    assert to_wan(5, None, "万元") == 5 and to_wan(5, "人") is None


def test_a_bare_magnitude_is_a_unit_not_a_number():
    """`单位：万元` above a table (JS07 苏州自然资源和规划局 单位预算, SM03) was read as an amount of
    0 元: a Chinese numeral never starts with 万/亿/千/百."""
    from budgetlens.extractors.numbers import find_quantities

    assert find_quantities("单位：万元") == []
    assert find_quantities("单位:万元") == []
    assert [(q.value, q.unit) for q in find_quantities("预算安排十万元，另有一千二百元")] == [(10.0, "万元"), (1200.0, "元")]


def test_small_numeral_table_reads_and_writes_as_cn2an():
    """Numerals below 100 come from a table (cn2an is imported only beyond it): the table must
    agree with cn2an both ways, in both modes the rules use."""
    import cn2an

    from budgetlens.document.numbers import cn_to_int, int_to_cn
    for n in range(100):
        written = cn2an.an2cn(n)
        assert int_to_cn(n) == written, n
        assert cn_to_int(written, "smart") == n == cn_to_int(written, "strict")
        assert parse_number(written) == float(cn2an.cn2an(written, "smart"))
    # beyond the table: cn2an itself, refusals included
    assert int_to_cn(1234) == cn2an.an2cn(1234) and cn_to_int("一百零五") == 105
    with pytest.raises(ValueError):
        cn_to_int("两百", "strict")
