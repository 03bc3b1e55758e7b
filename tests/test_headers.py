"""Header trees on small synthetic header grids (no PDF needed), and the corpus of real
header examples (budgetlens/document/corpus/headers.yaml)."""
from budgetlens.document.tables import structure_table


def _table(headers, data, grid=True, title="表"):
    return structure_table(headers + data, table_id="x:t1", title=title, table_type="unknown", grid=grid)


def rel(t):
    return {c.label: (c.relation, c.parent, c.children) for c in t.column_info}


def test_parent_total_is_not_summed_with_its_children():
    # GZ06-like: 总计 = 财政拨款/合计 + 财政专户拨款 + 其他资金
    h = [["科目编码", "科目名称", "总计", "财政拨款", "财政拨款", "财政拨款", "财政专户拨款", "其他资金"],
         ["科目编码", "科目名称", "总计", "合计", "一般公共预算", "政府性基金预算", "财政专户拨款", "其他资金"]]
    d = [["201", "一般公共服务", "10.00", "8.00", "6.00", "2.00", "1.00", "1.00"]]
    t = _table(h, d)
    cols = t.column_info
    assert [c.relation for c in cols[:2]] == ["code", "label"]
    assert cols[2].relation == "total" and cols[2].children == [3, 6, 7]
    assert cols[3].relation == "total" and cols[3].children == [4, 5] and cols[3].parent == 2
    assert cols[4].fund == "general_public" and cols[5].fund == "gov_fund" and cols[3].fund == "fiscal"


def test_of_which_and_subset_are_never_addends():
    h = [["功能分类科目", "功能分类科目", "预算数", "预算数", "预算数", "预算数", "预算数"],
         ["科目编码", "科目名称", "合计", "基本支出", "项目支出", "项目支出", "其中：政府采购"],
         ["科目编码", "科目名称", "合计", "基本支出", "项目支出总数", "扣除基建项目后预算数", "其中：政府采购"]]
    d = [["201", "一般公共服务", "10.00", "4.00", "6.00", "5.00", "1.00"]]
    cols = _table(h, d).column_info
    assert cols[2].children == [3, 4]
    assert cols[5].relation == "subset" and cols[5].parent == 4
    assert cols[6].relation == "of_which"
    assert all(c.measure == "budget" for c in cols[2:])
    assert cols[3].part == "basic" and cols[4].part == "project"


def test_index_column_is_never_an_amount():
    h = [["项目", "行次", "金额"]]
    d = [["一般公共预算财政拨款收入", "1", "12.00"], ["政府性基金预算财政拨款收入", "2", "0.00"],
         ["国有资本经营预算财政拨款收入", "3", "0.00"]]
    cols = _table(h, d).column_info
    assert [c.relation for c in cols] == ["label", "index", "amount"]


def test_years_measures_and_changes():
    from budgetlens.document.tables import resolve_roles

    h = [["科目", "上年预算数", "本年预算数", "增减", "增减%"]]
    d = [["合计", "10.00", "12.00", "2.00", "20.00"]]
    t = _table(h, d)
    resolve_roles(t, 2026, "budget")
    cols = t.column_info
    assert [(c.year, c.measure) for c in cols[1:]] == [(2025, "budget"), (2026, "budget"), (None, "change"), (None, "change_rate")]
    assert all(c.relation == "amount" for c in cols[1:])


def test_named_total_covers_its_subject_only():
    # JS01 p.22: 会议费 and 培训费 are not parts of the 三公 total
    h = [["“三公”经费合计", "因公出国（境）费", "公务用车购置及运行维护费", "公务用车购置及运行维护费", "公务用车购置及运行维护费", "公务接待费", "会议费", "培训费"],
         ["“三公”经费合计", "因公出国（境）费", "小计", "公务用车购置费", "公务用车运行维护费", "公务接待费", "会议费", "培训费"]]
    d = [["6.00", "1.00", "3.00", "1.00", "2.00", "2.00", "5.00", "4.00"]]
    cols = _table(h, d).column_info
    assert cols[0].children == [1, 2, 5] and cols[2].children == [3, 4]
    assert cols[6].relation == "amount" and cols[7].relation == "amount"


def test_total_rows_and_levels():
    h = [["科目编码", "科目名称", "合计"]]
    d = [["", "合计", "10.00"], ["201", "一般公共服务", "10.00"], ["20101", "人大事务", "10.00"], ["2010101", "行政运行", "10.00"]]
    t = _table(h, d)
    assert [r.is_total for r in t.rows] == [True, False, False, False]
    assert [r.level for r in t.rows] == [None, 1, 2, 3]


# --- the corpus of real header trees ------------------------------------------------------

import pathlib  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402

from budgetlens.document.tables import resolve_roles  # noqa: E402

CORPUS = pathlib.Path(__file__).resolve().parents[1] / "budgetlens" / "document" / "corpus" / "headers.yaml"
EXAMPLES = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))["examples"]


@pytest.mark.parametrize("ex", EXAMPLES, ids=[f"{e['file'][:4]}-p{e['page']}" for e in EXAMPLES])
def test_real_header_tree(ex):
    """Each example is a table's header grid and first rows as printed (file, page); the
    tree must give every listed column its relation, parent, children and roles."""
    t = structure_table([list(r) for r in ex["headers"]] + [list(r) for r in ex["rows"]],
                        table_id="c:t1", title=ex["title"], table_type=ex.get("type", "unknown"), grid=True)
    resolve_roles(t, ex.get("year"), ex.get("kind"))
    by_label = {c.label: c for c in t.column_info}
    for label, want in ex["columns"].items():
        assert label in by_label, (label, list(by_label))
        c = by_label[label]
        got = {"relation": c.relation}
        if c.parent is not None:
            got["parent"] = t.column_info[c.parent].label
        if c.children:
            got["children"] = [t.column_info[k].label for k in c.children]
        for k in ("year", "measure", "fund", "part"):
            if getattr(c, k) is not None:
                got[k] = getattr(c, k)
        assert got == want, label


def test_tika_colspans_align_with_the_row_below():
    # Tika prints a spanning cell once; a cell spanning rows leaves an empty cell below it
    h = [["科目编码", "科目名称", "预算数"], ["", "", "合计", "基本支出", "项目支出"]]
    d = [["201", "一般公共服务", "10.00", "4.00", "6.00"]]
    cols = _table(h, d, grid=False).column_info
    assert [c.path for c in cols] == [("科目编码",), ("科目名称",), ("预算数", "合计"), ("预算数", "基本支出"), ("预算数", "项目支出")]
    assert cols[2].children == [3, 4] and cols[2].measure == "budget"


def test_split_codes_take_their_class_from_the_rows_above():
    from budgetlens.document.tables import full_codes

    h = [["科目编码", "科目编码", "科目编码", "科目名称", "合计"], ["类", "款", "项", "科目名称", "合计"]]
    d = [["", "", "", "合计", "3.00"], ["201", "", "", "一般公共服务支出", "3.00"], ["", "08", "", "审计事务", "3.00"],
         ["", "", "01", "行政运行", "1.00"], ["", "", "04", "审计业务", "2.00"]]
    t = _table(h, d)
    codes = full_codes(t)
    assert [codes.get(r.index) for r in t.rows] == [None, "201", "20108", "2010801", "2010804"]
    assert [r.level for r in t.rows] == [None, 1, 2, 3, 3]
    assert t.rows[0].is_total


def test_cross_header_adds_up_per_dimension():
    # SH02 p.17 layout: item × measure
    h = [["合计", "合计", "因公出国（境）费", "因公出国（境）费", "公务接待费", "公务接待费"],
         ["预算数", "决算数", "预算数", "决算数", "预算数", "决算数"]]
    d = [["3.00", "2.00", "1.00", "1.00", "2.00", "1.00"]]
    cols = _table(h, d).column_info
    assert cols[0].children == [2, 4] and cols[1].children == [3, 5]
    assert (cols[0].measure, cols[1].measure) == ("budget", "final")


def test_a_recurring_header_tree_is_a_fresh_copy_per_table():
    """Header trees are memoised per (paths, kinds): each table still owns its columns."""
    h = [["科目编码", "科目名称", "总计", "财政拨款", "财政拨款", "财政专户拨款"],
         ["科目编码", "科目名称", "总计", "合计", "一般公共预算", "财政专户拨款"]]
    d = [["201", "一般公共服务", "10.00", "8.00", "8.00", "2.00"]]
    a, b = _table([list(r) for r in h], [list(r) for r in d]), _table([list(r) for r in h], [list(r) for r in d])
    assert [c.children for c in a.column_info] == [c.children for c in b.column_info]
    assert a.column_info[2].children == [3, 5]
    a.column_info[2].children.append(99)
    a.column_info[3].relation = "amount"
    a.column_info[3].year = 1999
    c = _table([list(r) for r in h], [list(r) for r in d])
    assert c.column_info[2].children == [3, 5] and b.column_info[2].children == [3, 5]
    assert c.column_info[3].relation == "total" and c.column_info[3].year != 1999


def test_build_document_options_give_the_same_table():
    """build_document's call (cells already stripped, roles resolved later) makes the table
    the public call makes, once the roles are resolved."""
    from budgetlens.document.tables import numeric_cells
    h = [["序号", "项目", "本年预算数", "上年预算数"]]
    d = [["1", "行政运行", "10.00", "9.00"], ["2", "一般行政管理事务", "-", "1.00"], ["3", "合计", "10.00", "10.00"]]
    plain = structure_table(h + d, table_id="x:t1", title="2026年支出表", table_type="unknown")
    fast = structure_table(h + d, table_id="x:t1", title="2026年支出表", table_type="unknown",
                           roles=False, stripped=True)
    resolve_roles(fast, None, None)
    assert repr(plain) == repr(fast)
    assert [(r.index, j, v) for r, j, v in numeric_cells(plain)] == \
        [(r.index, j, v) for r, j, v in numeric_cells(fast)] == [(0, 2, 10.0), (0, 3, 9.0), (1, 3, 1.0), (2, 2, 10.0),
                                                                 (2, 3, 10.0)]
    assert plain.column_info[0].relation == "index" and plain.rows[2].is_total
