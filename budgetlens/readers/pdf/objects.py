"""Object walking: the page's characters (inside the page and their clip path) and the
ruling lines drawn by its path objects, form XObjects included, through pypdfium2.
`Transform` and `compose` map PDF user space to display space (origin top-left)."""
from __future__ import annotations

import ctypes
from typing import Optional

import pypdfium2.raw as pdfium_c

from .text import Char

THIN = 3.0  # a filled rectangle thinner than this is a ruling line


MIN_LINE = 2.0  # shorter segments are ignored (dots, glyph-like marks)


class Transform:
    """PDF user space (origin bottom-left, unrotated) -> display space (origin top-left)."""

    def __init__(self, w: float, h: float, rotation: int, left: float = 0.0, bottom: float = 0.0):
        self.w, self.h, self.rot = w, h, rotation % 360
        self.left, self.bottom = left, bottom

    def __call__(self, x: float, y: float) -> tuple[float, float]:
        x -= self.left
        y -= self.bottom
        if self.rot == 90:
            return y, x
        if self.rot == 180:
            return self.w - x, y
        if self.rot == 270:
            return self.h - y, self.w - x
        return x, self.h - y

    @property
    def size(self) -> tuple[float, float]:
        return (self.h, self.w) if self.rot in (90, 270) else (self.w, self.h)


def _clip_box(obj) -> Optional[tuple[float, float, float, float]]:
    """Bounding box (PDF space) of the intersection of an object's clip paths, if any."""
    raw = pdfium_c
    cp = raw.FPDFPageObj_GetClipPath(obj)
    if not cp:
        return None
    box = None
    px, py = ctypes.c_float(), ctypes.c_float()
    for k in range(raw.FPDFClipPath_CountPaths(cp)):
        xs, ys = [], []
        nseg = raw.FPDFClipPath_CountPathSegments(cp, k)
        # an axis-aligned rectangle (the usual clip) is known from two opposite corners
        idx = (0, 1, 2) if nseg in (4, 5) else range(nseg)
        for s in idx:
            seg = raw.FPDFClipPath_GetPathSegment(cp, k, s)
            if seg and raw.FPDFPathSegment_GetPoint(seg, px, py):
                xs.append(px.value)
                ys.append(py.value)
        if not xs:
            continue
        if len(xs) == 3 and not (abs(xs[0] - xs[1]) < 0.01 or abs(ys[0] - ys[1]) < 0.01):
            for s in range(3, nseg):  # not a rectangle after all: read every point
                seg = raw.FPDFClipPath_GetPathSegment(cp, k, s)
                if seg and raw.FPDFPathSegment_GetPoint(seg, px, py):
                    xs.append(px.value)
                    ys.append(py.value)
        b = (min(xs), min(ys), max(xs), max(ys))
        box = b if box is None else (max(box[0], b[0]), max(box[1], b[1]), min(box[2], b[2]), min(box[3], b[3]))
    return box


def page_chars(textpage, tf: Transform, page_box: tuple[float, float, float, float]) -> list[Char]:
    """Visible characters of a page: inside the page box and inside their clip path."""
    raw = pdfium_c
    tp = textpage.raw
    n = raw.FPDFText_CountChars(tp)
    out: list[Char] = []
    append = out.append
    rect = raw.FS_RECTF()
    clips: dict[int, Optional[tuple[float, float, float, float]]] = {}
    pl, pb, pr, pt = page_box
    band_b, band_t = pb + 0.15 * (pt - pb), pt - 0.15 * (pt - pb)
    band_l, band_r = pl + 0.1 * (pr - pl), pr - 0.1 * (pr - pl)
    # per character: three calls into pdfium and a Char; the functions are bound once, and an
    # unrotated page's transform (Transform.__call__: x - left, h - (y - bottom)) is written out here
    get_unicode, is_generated = raw.FPDFText_GetUnicode, raw.FPDFText_IsGenerated
    get_box, get_object = raw.FPDFText_GetLooseCharBox, raw.FPDFText_GetTextObject
    skip = (0xA0, 0x3000, 0xFFFE, 0xFEFF, 0x200B)
    upright = tf.rot == 0
    left, bottom, h = tf.left, tf.bottom, tf.h
    for i in range(n):
        u = get_unicode(tp, i)
        if u <= 32 or u in skip:
            continue
        if is_generated(tp, i) == 1:
            continue
        if not get_box(tp, i, rect):
            continue
        x0, x1, y0, y1 = rect.left, rect.right, rect.top, rect.bottom
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        if not (pl <= cx <= pr and pb <= cy <= pt):
            continue  # drawn outside the page (text flowing on from another page)
        # clipped-away text (spreadsheet cells overflowing the print area) sits in the page
        # margins; the clip path is only looked up there, as it costs ~15 µs per object
        if cy < band_b or cy > band_t or cx < band_l or cx > band_r:
            obj = get_object(tp, i)
            if obj:
                key = ctypes.cast(obj, ctypes.c_void_p).value or 0
                if key not in clips:
                    clips[key] = _clip_box(obj)
                cb = clips[key]
                if cb is not None and not (cb[0] - 1 <= cx <= cb[2] + 1 and cb[1] - 1 <= cy <= cb[3] + 1):
                    continue  # clipped away: invisible
        try:
            c = chr(u)
        except ValueError:
            continue
        if upright:
            ax, ay = x0 - left, h - (y0 - bottom)
            bx, by = x1 - left, h - (y1 - bottom)
        else:
            ax, ay = tf(x0, y0)
            bx, by = tf(x1, y1)
        size = abs(by - ay)  # FPDFText_GetFontSize ignores the text matrix; the box height does not
        append(Char(c, min(ax, bx), min(ay, by), max(ax, bx), max(ay, by), float(size)))
    return out


def _matrix(obj) -> tuple[float, float, float, float, float, float]:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def compose(inner, outer):
    """Matrix applying `inner` then `outer` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _visible(obj, fill: bool, stroke: bool) -> bool:
    r, g, b, a = (ctypes.c_uint() for _ in range(4))
    get = pdfium_c.FPDFPageObj_GetStrokeColor if stroke else pdfium_c.FPDFPageObj_GetFillColor
    if not get(obj, r, g, b, a):
        return True
    if a.value == 0:
        return False
    return not (r.value > 235 and g.value > 235 and b.value > 235)  # white lines draw nothing


def _path_segments(obj, mtx, tf: Transform, hs: list, vs: list) -> None:
    raw = pdfium_c
    fillmode, stroke = ctypes.c_int(), ctypes.c_int()
    if not raw.FPDFPath_GetDrawMode(obj, fillmode, stroke):
        return
    fill, strk = fillmode.value != 0, bool(stroke.value)
    if not fill and not strk:
        return
    if not _visible(obj, fill and not strk, strk):
        return
    a, b, c, d, e, f = mtx
    n = raw.FPDFPath_CountSegments(obj)
    px, py = ctypes.c_float(), ctypes.c_float()
    subpaths: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    closed: list[bool] = []
    bezier = False
    for i in range(n):
        seg = raw.FPDFPath_GetPathSegment(obj, i)
        raw.FPDFPathSegment_GetPoint(seg, px, py)
        x, y = px.value, py.value
        pt = tf(a * x + c * y + e, b * x + d * y + f)
        t = raw.FPDFPathSegment_GetType(seg)
        if t == raw.FPDF_SEGMENT_MOVETO:
            if cur:
                subpaths.append(cur)
                closed.append(False)
            cur = [pt]
        elif t == raw.FPDF_SEGMENT_BEZIERTO:
            bezier = True
            cur.append(pt)
        else:
            cur.append(pt)
        if raw.FPDFPathSegment_GetClose(seg) and cur:
            subpaths.append(cur)
            closed.append(True)
            cur = []
    if cur:
        subpaths.append(cur)
        closed.append(False)
    if bezier:  # curves: rounded boxes, logos; not table rulings
        return
    for pts, cl in zip(subpaths, closed):
        if len(pts) < 2:
            continue
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        w, h = x1 - x0, y1 - y0
        is_rect = (cl or (len(pts) >= 4 and pts[0] == pts[-1])) and len(pts) in (4, 5) and all(
            abs(p[0] - x0) < 0.5 or abs(p[0] - x1) < 0.5 for p in pts
        )
        if fill and not strk and is_rect:
            if w <= THIN and h > MIN_LINE:
                vs.append(((x0 + x1) / 2, y0, y1))
                continue
            if h <= THIN and w > MIN_LINE:
                hs.append(((y0 + y1) / 2, x0, x1))
                continue
        if is_rect and (w > THIN and h > THIN):
            # a stroked (or filled) box: its four edges
            hs.append((y0, x0, x1))
            hs.append((y1, x0, x1))
            vs.append((x0, y0, y1))
            vs.append((x1, y0, y1))
            continue
        seq = pts + ([pts[0]] if cl else [])
        for (ax, ay), (bx, by) in zip(seq, seq[1:]):
            if abs(ay - by) < 1.0 and abs(ax - bx) >= MIN_LINE:
                hs.append(((ay + by) / 2, min(ax, bx), max(ax, bx)))
            elif abs(ax - bx) < 1.0 and abs(ay - by) >= MIN_LINE:
                vs.append(((ax + bx) / 2, min(ay, by), max(ay, by)))


def walk_objects(container, count_fn, get_fn, mtx_outer, tf, hs, vs, images: list, depth=0):
    raw = pdfium_c
    for i in range(count_fn(container)):
        obj = get_fn(container, i)
        t = raw.FPDFPageObj_GetType(obj)
        if t == raw.FPDF_PAGEOBJ_PATH:
            m = _matrix(obj)
            if mtx_outer is not None:
                m = compose(m, mtx_outer)
            _path_segments(obj, m, tf, hs, vs)
        elif t == raw.FPDF_PAGEOBJ_IMAGE:
            images.append(1)
        elif t == raw.FPDF_PAGEOBJ_FORM and depth < 4:
            m = _matrix(obj)
            if mtx_outer is not None:
                m = compose(m, mtx_outer)
            walk_objects(obj, raw.FPDFFormObj_CountObjects, raw.FPDFFormObj_GetObject, m, tf, hs, vs, images, depth + 1)
