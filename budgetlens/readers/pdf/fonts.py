"""The text layer without a CJK system font: a stand-in face for pdfium's font mapper.

A PDF that does not embed a CJK font (``/SimSun`` with ``/Encoding /GBK-EUC-H`` and no
``/FontFile2``, a common patch font in Word exports) leaves pdfium to substitute a system
font.  Where the machine has no font for the charset (GB2312, Big5, Shift-JIS, Korean),
pdfium falls back to its built-in Latin faces, in which every CJK character has an empty
glyph box.  A text object drawing one such character then has a zero-width bounding box and
pdfium's text page leaves it out entirely: the character is not in FPDFText_CountChars, so
no box, origin or filter of ours ever sees it.  real2/SD03 lost 11 characters that way
(提高正常运转 read 提正常运转, 有效保障 read 效保障, 白蚁防治年限 read 白蚁防治年).

`install()` wraps pdfium's default system font info: every request it answers is passed
through untouched, and only a request for a CJK charset that it cannot answer (MapFont
returns no font) is answered with `METRICS_FONT`, a 660-byte TrueType face mapping every
code point from U+0021 up to one glyph whose outline is a two-point contour from (0, 0) to
(100, 100) of a 1000-unit em: a box that is not empty, so the text page keeps the object,
but encloses no area (rendering draws no ink, as the built-in fallback did not either).

What we read of a character is then independent of that face.  Its Unicode value comes
from the PDF's ToUnicode map or the CID collection's table (Adobe-GB1), never from the
face.  Its loose box (FPDFText_GetLooseCharBox) runs from the origin to the origin plus
the larger of the advance, from the PDF's /W or /DW, and the glyph's right edge, and
vertically over the font descriptor's /Ascent and /Descent: the stand-in's glyph ends at
0.1 em, inside any advance, so the box is the PDF's own advance box.  (A real CJK face can
widen a box where its glyph's ink passes the advance: wqy-microhei's "0" ends at 0.504 em,
past a /W of 0.462 em; real2/SD03's page numbers differ by that much, their text not.)
On a machine with a CJK font the stand-in is never used, so the output is the same as
without this module.  It answers only while `read_pdf` reads (`reading()`): pdfium maps
a document's fonts as its pages load, so a document opened to render evidence pictures
keeps pdfium's built-in fallback, which does draw the Latin characters and dashes of such
fonts (the stand-in draws nothing).

METRICS_FONT was made with fontTools 4.68 (not a dependency: the bytes are below):
    FontBuilder(1000, isTTF=True); glyph order [.notdef, box]; .notdef empty, box = one
    closed contour (0, 0) -> (100, 100); hmtx advance 1000; hhea/OS/2 ascent 880, descent
    -120, ulCodePageRange1 bits 17-21; name BudgetlensCJKMetrics Regular; cmap: one (3, 10)
    format 13 subtable, U+0021..U+D7FF and U+E000..U+10FFFF -> box; head created =
    modified = 0.
"""
from __future__ import annotations

import base64
import ctypes
import logging
from contextlib import contextmanager
from typing import Iterator, Optional

import pypdfium2.raw as pdfium_c

log = logging.getLogger(__name__)

METRICS_FONT = base64.b64decode(
    "AAEAAAAKAIAAAwAgT1MvMkUBRmEAAAEoAAAAYGNtYXAAIrhiAAABkAAAADRnbHlmZMkxnAAAAcwAAAASaGVhZF96"
    "QUQAAACsAAAANmhoZWED1gb2AAAA5AAAACRobXR4A+gAAAAAAYgAAAAGbG9jYQAJAAAAAAHEAAAABm1heHAABAAE"
    "AAABCAAAACBuYW1lASnfRwAAAeAAAACHcG9zdHB+A2IAAAJoAAAAKgABAAAAAQAAn+PmEl8PPPUAAwPoAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAZABkAAAAAwACAAAAAAAAAAEAAANw/4gAAAPoAAADhABkAAEAAAAAAAAAAAAAAAAAAAAB"
    "AAEAAAACAAIAAQAAAAAAAgAAAAAAAAAAAAAAAAAAAAAAAwPoAZAABQAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAPz8/PwAAACH//wNw/4gAAANwAHgAPgAAAAAAAAAAAAAAAAAgAAAD6AAA"
    "AAAAAAAAAAEAAwAKAAAADAANAAAAAAAoAAAAAAAAAAIAAAAhAADX/wAAAAEAAOAAABD//wAAAAEAAAAAAAkAAAAB"
    "AAAAAABkAGQAAQAAMTdkZAAAAAAABAA2AAEAAAAAAAEAFAAAAAEAAAAAAAIABwAUAAMAAQQJAAEAKAAbAAMAAQQJ"
    "AAIADgBDQnVkZ2V0bGVuc0NKS01ldHJpY3NSZWd1bGFyAEIAdQBkAGcAZQB0AGwAZQBuAHMAQwBKAEsATQBlAHQA"
    "cgBpAGMAcwBSAGUAZwB1AGwAYQByAAACAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIAAAECA2JveAAA"
)
FACE_NAME = b"BudgetlensCJKMetrics"

# pdfium's charsets (fpdf_sysfontinfo.h) of the CJK code pages
CJK_CHARSETS = {
    pdfium_c.FXFONT_SHIFTJIS_CHARSET,
    pdfium_c.FXFONT_HANGEUL_CHARSET,
    pdfium_c.FXFONT_GB2312_CHARSET,
    pdfium_c.FXFONT_CHINESEBIG5_CHARSET,
}


class _StandIn:
    """The wrapping FPDF_SYSFONTINFO.  One handle per CJK charset (addresses inside a
    buffer of ours, so that they can never equal a handle of the default font info)."""

    def __init__(self, default) -> None:
        self.default = default  # POINTER(FPDF_SYSFONTINFO), pdfium's own
        d = default.contents
        self._buf = ctypes.create_string_buffer(METRICS_FONT, len(METRICS_FONT))
        base = ctypes.addressof(self._buf)
        self.handles = {base + k: cs for k, cs in enumerate(sorted(CJK_CHARSETS))}
        self.by_charset = {cs: h for h, cs in self.handles.items()}
        self.used: dict[tuple[int, bytes], int] = {}  # (charset, PDF font name) -> times
        self.active = False  # answers only while `reading()`: pictures render as before
        info = pdfium_c.FPDF_SYSFONTINFO()
        info.version = d.version
        t = {name: ftype for name, ftype in pdfium_c.FPDF_SYSFONTINFO._fields_}
        # the Python callables stay referenced from self: pdfium keeps calling them
        self._cbs = {
            "Release": t["Release"](self._release),
            "MapFont": t["MapFont"](self._map_font),
            "GetFont": t["GetFont"](lambda _this, face: d.GetFont(default, face)),
            "GetFontData": t["GetFontData"](self._get_font_data),
            "GetFaceName": t["GetFaceName"](self._get_face_name),
            "GetFontCharset": t["GetFontCharset"](self._get_font_charset),
            "DeleteFont": t["DeleteFont"](self._delete_font),
        }
        if d.version == 1:  # EnumFonts exists in version 1 only
            self._cbs["EnumFonts"] = t["EnumFonts"](lambda _this, mapper: d.EnumFonts(default, mapper))
        for name, cb in self._cbs.items():
            setattr(info, name, cb)
        self.info = info

    def _release(self, _this) -> None:
        d = self.default.contents
        if d.Release:
            d.Release(self.default)

    def _map_font(self, _this, weight, italic, charset, pitch_family, face, exact):
        d = self.default.contents
        got = d.MapFont(self.default, weight, italic, charset, pitch_family, face, exact)
        if got or not self.active or charset not in self.by_charset:
            return got
        key = (charset, ctypes.cast(face, ctypes.c_char_p).value or b"")
        self.used[key] = self.used.get(key, 0) + 1
        return self.by_charset[charset]

    def _get_font_data(self, _this, handle, table, buffer, size):
        if handle in self.handles:
            if table != 0:  # a table by tag ('ttcf' first): not a collection
                return 0
            n = len(METRICS_FONT)
            if buffer and size >= n:
                ctypes.memmove(buffer, self._buf, n)
            return n
        d = self.default.contents
        return d.GetFontData(self.default, handle, table, buffer, size)

    def _get_face_name(self, _this, handle, buffer, size):
        if handle in self.handles:
            n = len(FACE_NAME) + 1
            if buffer and size >= n:
                ctypes.memmove(buffer, FACE_NAME + b"\0", n)
            return n
        d = self.default.contents
        return d.GetFaceName(self.default, handle, buffer, size)

    def _get_font_charset(self, _this, handle):
        if handle in self.handles:
            return self.handles[handle]
        d = self.default.contents
        return d.GetFontCharset(self.default, handle)

    def _delete_font(self, _this, handle):
        if handle in self.handles:
            return None
        d = self.default.contents
        return d.DeleteFont(self.default, handle)


_INSTALLED: Optional[_StandIn] = None


def install(base=None) -> bool:
    """Put the stand-in behind pdfium's system font info, once per process (before any
    document is opened, as pdfium keeps the faces it has mapped).  `base`, a
    POINTER(FPDF_SYSFONTINFO), replaces pdfium's default as the font info wrapped (tests
    use one that knows no CJK font).  False when pdfium has no default font info on this
    platform (nothing changes then)."""
    global _INSTALLED
    if _INSTALLED is not None and base is None:
        return True
    default = base if base is not None else pdfium_c.FPDF_GetDefaultSystemFontInfo()
    if not default:
        log.warning("pdfium has no system font info here: CJK text in non-embedded fonts may be lost")
        return False
    old, _INSTALLED = _INSTALLED, _StandIn(default)
    pdfium_c.FPDF_SetSystemFontInfo(ctypes.byref(_INSTALLED.info))  # pdfium releases `old` in here
    del old
    return True


@contextmanager
def reading() -> Iterator[None]:
    """The stand-in answers while this is open: pdfium maps a document's fonts as its pages
    are loaded, and a document opened outside (the evidence pictures of review/picture.py)
    gets pdfium's own fallback, which draws the Latin characters of a non-embedded CJK font
    that the inkless stand-in would not."""
    si = _INSTALLED
    if si is None:
        yield
        return
    before, si.active = si.active, True
    try:
        yield
    finally:
        si.active = before


def stand_in_used() -> dict[tuple[int, bytes], int]:
    """(charset, font name asked for) -> times the stand-in answered, in this process."""
    return dict(_INSTALLED.used) if _INSTALLED is not None else {}
