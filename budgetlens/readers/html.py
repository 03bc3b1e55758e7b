"""HTML reader: paragraphs and <table>s in document order (BeautifulSoup + lxml).

Tables are resolved into a true grid: colspan / rowspan text is repeated into every grid
cell it covers (a number is kept once, top-left), like the PDF and spreadsheet readers.
Block-level elements (p, div, h1–h6, li, br-separated lines …) become paragraphs; scripts,
styles and navigation chrome are skipped.
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

import regex

from budgetlens.readers.blocks import Block, ReadError

_NUMERIC = regex.compile(r"^[-+−]?[0-9][0-9,，]*(\.[0-9]+)?%?$")
_BLOCK_TAGS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "blockquote", "pre",
    "section", "article", "header", "footer", "center", "caption", "td", "th", "tr", "title",
    "ul", "ol", "dl", "table", "body", "html", "main", "form", "figure", "figcaption", "address",
}
_SKIP_TAGS = {"script", "style", "noscript", "template", "head", "nav", "iframe", "object", "svg", "button", "select", "option"}


def _text(el) -> str:
    """Visible text of an element, whitespace collapsed; <br> becomes a line break."""
    parts: list[str] = []
    for node in el.descendants:
        name = getattr(node, "name", None)
        if name == "br":
            parts.append("\n")
        elif name is None:
            if any(p.name in _SKIP_TAGS for p in node.parents if getattr(p, "name", None)):
                continue
            if type(node).__name__ in ("Comment", "Doctype", "ProcessingInstruction", "Declaration", "CData"):
                continue
            parts.append(str(node))
    text = "".join(parts).replace("\u3000", " ").replace("\xa0", " ")
    lines = [" ".join(l.split()) for l in text.split("\n")]
    return _cjk_join("\n".join(l for l in lines if l))


_CJK_SPACE = regex.compile(r"(?<=[\p{Han}，。；：、（）“”])\s+(?=[\p{Han}，。；：、（）“”0-9])|(?<=[0-9])\s+(?=[\p{Han}])")


def _cjk_join(t: str) -> str:
    return _CJK_SPACE.sub("", t)


def _span(cell, attr: str) -> int:
    try:
        return max(1, min(int(str(cell.get(attr, 1)).strip() or 1), 1000))
    except ValueError:
        return 1


def _table_rows(table) -> list[list[str]]:
    rows_el = []
    for tr in table.find_all("tr"):
        if tr.find_parent("table") is table:
            rows_el.append(tr)
    grid: dict[tuple[int, int], str] = {}
    nrows = 0
    width = 0
    for r, tr in enumerate(rows_el):
        c = 0
        for cell in tr.find_all(["td", "th"], recursive=False):
            while (r, c) in grid:
                c += 1
            text = _text(cell).replace("\n", "")
            cs, rs = _span(cell, "colspan"), _span(cell, "rowspan")
            numeric = bool(_NUMERIC.match(text))
            for dr in range(rs):
                for dc in range(cs):
                    grid[(r + dr, c + dc)] = text if (not numeric or (dr == 0 and dc == 0)) else ""
            c += cs
            width = max(width, c)
        nrows = max(nrows, r + 1)
    rows = [[grid.get((r, c), "") for c in range(width)] for r in range(nrows)]
    rows = [row for row in rows if any(row)]
    if rows:
        keep = [c for c in range(width) if any(row[c] for row in rows)]
        rows = [[row[c] for c in keep] for row in rows]
    return rows


def read_html(path: Union[str, Path]) -> list[Block]:
    from bs4 import BeautifulSoup

    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("empty HTML file")
    try:
        soup = BeautifulSoup(data, "lxml")
    except Exception as e:
        raise ReadError(f"cannot parse HTML ({e})") from e
    body = soup.body or soup
    blocks: list[Block] = []
    for t in body.find_all(_SKIP_TAGS):
        t.decompose()

    def walk(el):
        # an element that holds tables or other blocks is walked; a leaf block is a paragraph
        for child in el.children:
            name = getattr(child, "name", None)
            if name is None:
                text = _cjk_join(" ".join(str(child).split()))
                if text and type(child).__name__ == "NavigableString":
                    blocks.append(Block(kind="para", text=text))
                continue
            if name == "table":
                cap = child.find("caption")
                if cap is not None and _text(cap):
                    blocks.append(Block(kind="para", text=_text(cap).replace("\n", "")))
                rows = _table_rows(child)
                if rows:
                    blocks.append(Block(kind="table", rows=rows, grid=True))
                continue
            if child.find(["table", "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "section", "article"]) is not None:
                walk(child)
                continue
            text = _text(child)
            if not text:
                continue
            if name in _BLOCK_TAGS or name in ("span", "font", "b", "strong", "a", "em", "i", "u"):
                for line in text.split("\n"):
                    if line.strip():
                        blocks.append(Block(kind="para", text=line.strip()))

    walk(body)
    # inline runs split by markup (<span>…</span><span>…</span>) are glued back when they
    # were siblings inside one paragraph: handled by _text on the paragraph element itself.
    if not blocks:
        raise ReadError("HTML page has no text")
    return blocks
