"""A PNG of the page region around each cited cell and sentence, rendered with pypdfium2,
the cell outlined.  Only files the store names are opened."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Optional

import pypdfium2 as pdfium
from PIL import Image, ImageChops, ImageDraw, ImageFont

SCALE = 2.0  # 144 dpi
MARGIN_Y = 60.0  # points of context above and below the region
MARGIN_X = 40.0
OUTLINE = {"cell": (211, 47, 47), "sentence": (239, 143, 0)}


class NoPicture(Exception):
    """The evidence has no page or box (a text dump, a .docx) or its file is gone."""


def _crop_region(items: list[dict], width: float, height: float) -> tuple[float, float, float, float]:
    x0 = min(b["bbox"][0] for b in items)
    top = min(b["bbox"][1] for b in items)
    x1 = max(b["bbox"][2] for b in items)
    bottom = max(b["bbox"][3] for b in items)
    # a cell alone says little: keep the page's width when it is a table row, so the row
    # label and the column header stay in view
    x0, x1 = 0.0, width
    return (max(0.0, x0 - MARGIN_X), max(0.0, top - MARGIN_Y), min(width, x1 + MARGIN_X),
            min(height, bottom + MARGIN_Y))


def render_region(path: Path, page_no: int, items: list[dict]):
    """The region of one page around `items`' boxes, each outlined: (image, rectangles in
    image pixels).  Blank page margins left and right are trimmed."""
    if not path.is_file():
        raise NoPicture(f"{path.name} is no longer at {path.parent}")
    pdf = pdfium.PdfDocument(str(path))
    try:
        if not 1 <= page_no <= len(pdf):
            raise NoPicture(f"page {page_no} is not in {path.name}")
        page = pdf[page_no - 1]
        try:
            width, height = page.get_size()  # as displayed (rotation applied), like the reader's boxes
            region = _crop_region(items, width, height)
            img = page.render(scale=SCALE).to_pil().convert("RGB")
        finally:
            page.close()
    finally:
        pdf.close()
    s = img.width / width  # the bitmap's own scale
    tile = img.crop(tuple(int(round(v * s)) for v in region))
    rects = []
    for it in items:
        bx0, btop, bx1, bbottom = it["bbox"]
        rects.append([(bx0 - region[0]) * s - 3, (btop - region[1]) * s - 3, (bx1 - region[0]) * s + 3,
                      (bbottom - region[1]) * s + 3])
    ink = ImageChops.difference(tile, Image.new("RGB", tile.size, (255, 255, 255))).getbbox()
    if ink:  # trim blank margins, never cutting into an outlined box
        left = max(0, min([ink[0] - 16] + [int(r[0]) - 8 for r in rects]))
        right = min(tile.width, max([ink[2] + 16] + [int(r[2]) + 8 for r in rects]))
        tile = tile.crop((left, 0, right, tile.height))
        rects = [[r[0] - left, r[1], r[2] - left, r[3]] for r in rects]
    draw = ImageDraw.Draw(tile)
    for it, rect in zip(items, rects):
        draw.rectangle(rect, outline=OUTLINE.get(it.get("kind"), (211, 47, 47)), width=4)
    return tile, rects


def render_items(items: list[dict]) -> bytes:
    """One PNG: for each (file, page) of `items` (dicts with file, page, bbox, kind), the
    region around its boxes, boxes outlined; regions stacked top to bottom."""
    usable = [it for it in items if it.get("page") and it.get("file") and it.get("bbox")
              and "://" not in str(it["file"]) and str(it["file"]).lower().endswith(".pdf")]
    if not usable:
        raise NoPicture("no page region to draw")
    groups: dict = {}
    for it in usable:
        groups.setdefault((str(it["file"]), int(it["page"])), []).append(it)
    tiles = []
    for (file, page_no), its in groups.items():
        tile, _rects = render_region(Path(file), page_no, its)
        tiles.append((tile, f"{Path(file).name}  p. {page_no}"))
    bar = 28
    w = max(t.width for t, _ in tiles)
    h = sum(t.height + bar for t, _ in tiles)
    out = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    y = 0
    for tile, caption in tiles:
        draw.rectangle([0, y, w, y + bar - 1], fill=(240, 240, 240))
        draw.text((8, y + 8), caption.encode("ascii", "replace").decode() if not _has_font() else caption,
                  fill=(60, 60, 60), font=_font())
        out.paste(tile, (0, y + bar))
        y += tile.height + bar
    buf = io.BytesIO()
    out.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


_FONT: Optional[object] = None
_FONT_TRIED = False
FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
]


def _font():
    global _FONT, _FONT_TRIED
    if not _FONT_TRIED:
        _FONT_TRIED = True
        for p in FONT_CANDIDATES:
            if Path(p).is_file():
                try:
                    _FONT = ImageFont.truetype(p, 14)
                    break
                except OSError:
                    continue
    return _FONT


def _has_font() -> bool:
    return _font() is not None
