"""The PDF text layer does not depend on the machine's CJK fonts (readers/pdf/fonts.py).

Where a PDF does not embed a CJK font and the machine has none, pdfium's built-in fallback
gives every CJK glyph an empty box and its text page drops the text objects drawing them:
real2/SD03 read 提正常运转 for 提高正常运转.  The stand-in face answers exactly those font
requests.  The real-PDF tests simulate a machine without CJK fonts in a subprocess (a font
info that answers no CJK charset; the font mapper is per process), so they fail on this
machine without the stand-in even though it has wqy-microhei installed."""
from __future__ import annotations

import ctypes
import json
import subprocess
import sys

import pytest

pytest.importorskip("pypdfium2")

import pypdfium2.raw as pdfium_c  # noqa: E402

from budgetlens.readers.pdf import fonts  # noqa: E402


def test_metrics_font_box_lies_inside_any_advance():
    """The stand-in glyph: a non-empty box (so pdfium keeps the text object) that ends at
    0.1 em (so a loose char box is the PDF's own advance, never the glyph), no ink, and
    every code point from U+0021 on mapped to it."""
    ttlib = pytest.importorskip("fontTools.ttLib")
    import io

    f = ttlib.TTFont(io.BytesIO(fonts.METRICS_FONT))
    assert f["head"].unitsPerEm == 1000
    cmap = f.getBestCmap()
    for ch in ("高", "有", "限", "〇", "≥", "0", "A", "\u9fa5", "\U00020000", "\U0002a6d6"):
        assert cmap.get(ord(ch)) == "box", ch
    assert ord(" ") not in cmap  # a space keeps an empty box, as in any font
    g = f["glyf"]["box"]
    g.recalcBounds(f["glyf"])
    assert (g.xMin, g.yMin, g.xMax, g.yMax) == (0, 0, 100, 100)
    coords, ends, _flags = g.getCoordinates(f["glyf"])
    assert len(coords) == 2 and list(ends) == [1]  # one contour of two points: encloses nothing
    assert f["hmtx"]["box"][0] == 1000
    assert f["glyf"][".notdef"].numberOfContours == 0


def _fake_font_info(known: dict):
    """An FPDF_SYSFONTINFO answering MapFont from `known` {(charset, face): handle}."""
    t = dict(pdfium_c.FPDF_SYSFONTINFO._fields_)
    calls: list = []

    def map_font(_this, weight, italic, charset, pitch, face, exact):
        name = ctypes.cast(face, ctypes.c_char_p).value
        calls.append(("MapFont", charset, name))
        return known.get((charset, name))

    def get_font_data(_this, handle, table, buf, size):
        calls.append(("GetFontData", handle))
        return 7

    def get_face_name(_this, handle, buf, size):
        calls.append(("GetFaceName", handle))
        return 0

    def get_font_charset(_this, handle):
        calls.append(("GetFontCharset", handle))
        return 0

    def delete_font(_this, handle):
        calls.append(("DeleteFont", handle))

    info = pdfium_c.FPDF_SYSFONTINFO()
    info.version = 1
    cbs = {
        "Release": t["Release"](lambda _this: None),
        "EnumFonts": t["EnumFonts"](lambda _this, mapper: None),
        "MapFont": t["MapFont"](map_font),
        "GetFont": t["GetFont"](lambda _this, face: None),
        "GetFontData": t["GetFontData"](get_font_data),
        "GetFaceName": t["GetFaceName"](get_face_name),
        "GetFontCharset": t["GetFontCharset"](get_font_charset),
        "DeleteFont": t["DeleteFont"](delete_font),
    }
    for k, v in cbs.items():
        setattr(info, k, v)
    return info, cbs, calls


def test_stand_in_answers_only_cjk_requests_the_machine_cannot():
    GB, ANSI, BIG5 = pdfium_c.FXFONT_GB2312_CHARSET, pdfium_c.FXFONT_ANSI_CHARSET, pdfium_c.FXFONT_CHINESEBIG5_CHARSET
    info, _cbs, calls = _fake_font_info({(GB, b"SimHei"): 4242, (ANSI, b"Arial"): 4343})
    s = fonts._StandIn(ctypes.pointer(info))  # not installed: pdfium's own mapper is untouched
    me = ctypes.byref(s.info)

    def map_font(charset, face):
        return s.info.MapFont(me, 400, 0, charset, 0, face, None)

    assert not map_font(GB, b"SimSun")  # outside read_pdf (evidence pictures): pdfium's own fallback
    s.active = True
    assert map_font(GB, b"SimHei") == 4242  # the machine's CJK font: passed through
    assert map_font(ANSI, b"Arial") == 4343
    assert not map_font(ANSI, b"SimSun")  # Latin requests stay with pdfium's fallback
    h = map_font(GB, b"SimSun")  # no CJK font for it: the stand-in
    hb = map_font(BIG5, b"MingLiU")
    assert h and hb and h != hb and {h, hb} <= set(s.handles)
    assert s.used == {(GB, b"SimSun"): 1, (BIG5, b"MingLiU"): 1}

    n = s.info.GetFontData(me, h, 0, None, 0)
    assert n == len(fonts.METRICS_FONT)
    buf = (ctypes.c_ubyte * n)()
    assert s.info.GetFontData(me, h, 0, buf, n) == n and bytes(buf) == fonts.METRICS_FONT
    assert s.info.GetFontData(me, h, 0x74746366, None, 0) == 0  # 'ttcf': not a collection
    name = ctypes.create_string_buffer(64)
    assert s.info.GetFaceName(me, h, name, 64) == len(fonts.FACE_NAME) + 1
    assert name.value == fonts.FACE_NAME
    assert s.info.GetFontCharset(me, h) == GB and s.info.GetFontCharset(me, hb) == BIG5
    s.info.DeleteFont(me, h)
    # the stand-in's handles never reach the wrapped font info; its own handles do
    assert not [c for c in calls if c[0] != "MapFont" and c[1] in s.handles]
    assert s.info.GetFontData(me, 4242, 0, None, 0) == 7
    s.info.DeleteFont(me, 4242)
    assert ("GetFontData", 4242) in calls and ("DeleteFont", 4242) in calls


# Run in a fresh process: pdfium maps each font once per process, and the system font info
# is process-wide.  mode "bare": a font info that maps no CJK charset and hands out no
# installed CJK font by name, as on a server without desktop fonts (it reads SD03 exactly
# as pdfium did with wqy-microhei hidden by a tmpfs mount); "stand-in": the same with the
# stand-in over it.
_CHILD = r"""
import ctypes, json, sys
import pypdfium2.raw as c
from budgetlens.readers.pdf import fonts, read_pdf

CJK = {c.FXFONT_SHIFTJIS_CHARSET, c.FXFONT_HANGEUL_CHARSET, c.FXFONT_GB2312_CHARSET, c.FXFONT_CHINESEBIG5_CHARSET}
real = c.FPDF_GetDefaultSystemFontInfo()
d = real.contents
t = dict(c.FPDF_SYSFONTINFO._fields_)


def get_font(this, face):  # pdfium asks for an installed CJK font by name when MapFont fails
    h = d.GetFont(real, face)
    if h and d.GetFontCharset(real, h) in CJK:
        d.DeleteFont(real, h)
        return None
    return h


info = c.FPDF_SYSFONTINFO()
info.version = d.version
cbs = {
    "Release": t["Release"](lambda this: d.Release(real)),
    "MapFont": t["MapFont"](lambda this, w, i, cs, p, face, e: None if cs in CJK else d.MapFont(real, w, i, cs, p, face, e)),
    "GetFont": t["GetFont"](get_font),
    "GetFontData": t["GetFontData"](lambda this, h, tb, b, n: d.GetFontData(real, h, tb, b, n)),
    "GetFaceName": t["GetFaceName"](lambda this, h, b, n: d.GetFaceName(real, h, b, n)),
    "GetFontCharset": t["GetFontCharset"](lambda this, h: d.GetFontCharset(real, h)),
    "DeleteFont": t["DeleteFont"](lambda this, h: d.DeleteFont(real, h)),
}
if d.version == 1:
    cbs["EnumFonts"] = t["EnumFonts"](lambda this, m: d.EnumFonts(real, m))
for k, v in cbs.items():
    setattr(info, k, v)
no_cjk = ctypes.pointer(info)
if sys.argv[2] == "bare":
    c.FPDF_SetSystemFontInfo(no_cjk)
else:
    fonts.install(no_cjk)
blocks = read_pdf(sys.argv[1])
json.dump({"blocks": [[b.kind, b.text, b.rows] for b in blocks], "used": len(fonts.stand_in_used())}, sys.stdout,
          ensure_ascii=False)
"""


def _read_without_cjk_fonts(path, mode):
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout)


def _sd03(real2_dir):
    got = sorted(real2_dir.glob("SD03_*.pdf"))
    if not got:
        pytest.skip("real2/SD03 is not available")
    return got[0]


def _cells(blocks) -> set:
    return {cell for kind, _text, rows in blocks if kind == "table" for row in rows for cell in row}


@pytest.mark.real
def test_sd03_performance_cells_read_fully_without_cjk_fonts(real2_dir):
    """SD03's 绩效目标表 draws 高, 有, 限, 处, 天, 次 ... in a non-embedded /SimSun
    (GBK-EUC-H): without a CJK font they were lost; with the stand-in they are read, and
    the whole document reads as it does on a machine with a CJK font."""
    from budgetlens.readers.pdf import read_pdf

    path = _sd03(real2_dir)
    bare = _read_without_cjk_fonts(path, "bare")
    cells = _cells(bare["blocks"])
    # the machine without CJK fonts, as before: the simulation reproduces the loss
    assert "提正常运转" in cells and "效保障" in cells and "提高正常运转" not in cells

    fixed = _read_without_cjk_fonts(path, "stand-in")
    cells = _cells(fixed["blocks"])
    for text in ("提高正常运转", "有效保障", "有效减少", "白蚁防治年限", "资金支付时限", "故障处理及时率", "≤2天", "=12次"):
        assert text in cells, text
    assert "提正常运转" not in cells and "效保障" not in cells
    assert fixed["used"] >= 1

    here = [[b.kind, b.text, b.rows] for b in read_pdf(path)]  # this machine's fonts, whatever they are
    assert fixed["blocks"] == here
