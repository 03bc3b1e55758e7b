"""How a flag cites what it saw: table cells as `表名 / 行 / 列 = 值`, sentences verbatim."""
from __future__ import annotations

import functools
import re
from typing import Optional

from budgetlens.document.model import Document, Row, Table
from budgetlens.document.tables import row_label_for


def _clean(s: Optional[str]) -> str:
    return clean_ws(s)


def table_name(t: Table) -> str:
    return _clean(t.title) or t.table_type


def cell(t: Table, r: Row, j: int) -> str:
    """`表名 / 行 / 列 = 值` for one cell (the value as written)."""
    label = _clean(row_label_for(t, r, j) or r.label or f"第{r.index + 1}行")
    if r.code and r.code not in label:
        label = f"{r.code} {label}"
    col = _clean(t.columns[j]) if j < len(t.columns) and t.columns[j] else f"第{j + 1}列"
    raw = r.cells[j].strip() if j < len(r.cells) else ""
    return f"{table_name(t)} / {label} / {col} = {raw}"


def cell_key(t: Table, r: Row, j: int) -> str:
    return f"{t.table_id}:{r.index}:{j}"


def sentence_at(doc: Document, offset: Optional[int]) -> Optional[str]:
    if offset is None:
        return None
    s = doc.sentence_at(offset)
    return s.text.strip() if s else None


def quote(text: Optional[str], limit: int = 400) -> str:
    """A sentence verbatim (trimmed only of surrounding white space; long cell texts cut)."""
    t = (text or "").strip()
    return t if len(t) <= limit else t[:limit] + "…"


def fmt(v: Optional[float]) -> str:
    if v is None:
        return "—"
    if abs(v - round(v)) < 1e-9:
        return f"{int(round(v))}"
    return f"{v:.4f}".rstrip("0").rstrip(".")


_WS = re.compile(r"\s+")


@functools.lru_cache(maxsize=50_000)
def clean_ws(s: Optional[str]) -> str:
    """Without whitespace; memoised (labels and cells recur per table)."""
    return _WS.sub("", s or "")
