"""The `facts` record: one extracted statement (see the contract in README.md)."""
from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Optional

FACT_COLUMNS = [
    "source", "doc_id", "kind", "subject", "value", "unit", "value_wan", "per", "comparator",
    "year", "base_year", "direction", "parent", "group", "origin", "section", "sentence",
    "start", "end",
    # additions beyond the contract
    "code", "path", "qualifier", "text_value", "amount_from", "amount_to", "level", "project",
    "table_id", "row", "is_target", "raw",
    # additions of the narrative extractors (issue 4; see extractors/narrative.py)
    "term", "role", "total_group", "item", "list_no",
]


@dataclass
class Fact:
    kind: str  # amount | rate | count | percent | comparison | staffing | indicator
    subject: Optional[str]
    value: Optional[float]
    unit: Optional[str]
    value_wan: Optional[float] = None
    per: Optional[str] = None
    comparator: Optional[str] = None
    year: Optional[int] = None
    base_year: Optional[int] = None
    direction: Optional[str] = None  # increase | decrease | flat
    parent: Optional[str] = None
    group: Optional[str] = None
    origin: str = "narrative"
    section: str = ""
    sentence: str = ""
    start: Optional[int] = None  # span of the figure in Document.text
    end: Optional[int] = None
    source: str = ""
    doc_id: str = ""
    # additions
    code: Optional[str] = None  # 功能分类 / 经济分类 code the subject names
    path: Optional[str] = None  # 功能分类 path, "类 > 款 > 项"
    qualifier: Optional[str] = None  # e.g. "约" for approximations, "执行数" / "预算数"
    text_value: Optional[str] = None  # qualitative indicator value ("有效保障")
    amount_from: Optional[float] = None  # comparison: the base amount when stated (in unit)
    amount_to: Optional[float] = None  # comparison: the current amount when stated
    level: Optional[str] = None  # indicator: "一级 > 二级 > 三级" path
    project: Optional[str] = None  # project / programme the figure belongs to
    table_id: Optional[str] = None  # origin == "table": table and row it came from
    row: Optional[int] = None
    is_target: Optional[bool] = None  # staffing / indicator: a target rather than a fact
    raw: Optional[str] = None  # the matched text
    # additions of the narrative extractors (see extractors/narrative.py)
    term: Optional[str] = None  # canonical gazetteer term of the subject (gazetteers/terms.yaml key)
    role: Optional[str] = None  # itemisation: "total" | "item" | "detail"
    total_group: Optional[str] = None  # the group this fact is the total of
    item: Optional[str] = None  # id shared by a list item's amount and its details (quantity, rate, duration)
    list_no: Optional[str] = None  # the item's list number as written ("7", kept when duplicated)

    def as_row(self) -> dict:
        # a shallow read: dataclasses.asdict deep-copies and was ~10% of extraction time;
        # every column is a field, read by one attrgetter
        return dict(zip(FACT_COLUMNS, _COLUMN_VALUES(self)))


_COLUMN_VALUES = attrgetter(*FACT_COLUMNS)


def copy_fact(f: Fact) -> Fact:
    """A shallow copy of a fact (its fields are plain values), with any mark it carries."""
    c = Fact.__new__(Fact)
    c.__dict__.update(f.__dict__)
    return c
