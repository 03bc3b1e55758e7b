"""The bad-input corpus: every kind of broken, hostile or odd file a crawl brings home,
generated (deterministically) instead of committed as binaries.

    python tests/badinput/generate.py DIR [--big]

writes the files under DIR and returns/prints a manifest: for each file (path relative to
DIR) what a run must make of it:

- ``ok``                 processed, status ok, with table cells
- ``error:<substring>``  status error, the reason containing <substring>
- ``error``              status error with a specific reason (not a crash report)
- ``any``                ok, error with a specific reason, or a duplicate of another input
- ``duplicate``          recognised as the same document as another input
- ``absent``             not a document (a symlink back into the tree, a dangling link's target)

`--big` adds the 100 MB text file (tests make it in a temporary folder).
"""
from __future__ import annotations

import io
import os
import random
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))


def sample_text(i: int) -> str:
    return SAMPLES[i % len(SAMPLES)].read_text(encoding="utf-8")


def sample_variant(i: int, tag: str = "") -> str:
    """Seed i mod 2 with a trailing note that makes its content hash unique, so variants
    are different documents with the seed's tables and narrative."""
    text = sample_text(i)
    return text.rstrip("\n") + f"\n\n附注：测试变体 {tag}{i}。\n"


def _rng(name: str) -> random.Random:
    return random.Random(name)


# --- builders for real formats -------------------------------------------------------

def _docx_bytes(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    d = docx.Document()
    for p in paragraphs:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, v in enumerate(row):
                t.cell(i, j).text = v
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


SANGONG = [
    ["项目", "合计", "一般公共预算财政拨款"],
    ["“三公”经费小计", "4.76", "4.76"],
    ["一、因公出国（境）费", "0.00", "0.00"],
    ["二、公务用车购置及运维费", "4.51", "4.51"],
    ["三、公务接待费", "0.25", "0.25"],
]
PARAS = [
    "秦皇岛市海港区信访局2024年部门预算信息公开情况说明",
    "部门预算财政拨款“三公”经费支出表",
    "单位：万元",
]
NARRATIVE = "2024年，我部门财政拨款“三公”经费预算安排4.76万元，其中：因公出国（境）费0万元，公务接待费0.25万元。"


def good_docx() -> bytes:
    return _docx_bytes(PARAS + [NARRATIVE], SANGONG)


def _pdf_bytes(encrypt=None, image_only=False, pages=2) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt, invariant=1)
    w, h = A4
    for page in range(pages):
        if image_only:
            from PIL import Image, ImageDraw
            from reportlab.lib.utils import ImageReader

            img = Image.new("L", (400, 200), 255)
            dr = ImageDraw.Draw(img)
            for k in range(0, 200, 20):
                dr.line((10, k, 390, k), fill=0)
            c.drawImage(ImageReader(img), 50, h - 400, width=400, height=200)
        else:
            c.setFont("STSong-Light", 14)
            c.drawString(60, h - 60, PARAS[0] if page == 0 else f"第{page + 1}页")
            c.setFont("STSong-Light", 10)
            c.drawString(60, h - 90, NARRATIVE[:40])
            c.drawString(60, h - 105, NARRATIVE[40:])
            c.drawString(60, h - 130, PARAS[1])
            y = h - 150
            x0, widths = 60, [200, 100, 140]
            for _r, row in enumerate(SANGONG):
                x = x0
                for j, v in enumerate(row):
                    c.drawString(x + 4, y - 14, v)
                    x += widths[j]
                c.line(x0, y, x0 + sum(widths), y)
                y -= 20
            c.line(x0, y, x0 + sum(widths), y)
            xs = [x0]
            for wd in widths:
                xs.append(xs[-1] + wd)
            for x in xs:
                c.line(x, h - 150, x, y)
        c.showPage()
    c.save()
    return buf.getvalue()


def _xlsx_bytes() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "三公经费"
    ws.append([PARAS[1]])
    ws.append(["单位：万元"])
    for row in SANGONG:
        ws.append([float(v) if v.replace(".", "").isdigit() else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _package_with(document_xml_chunks, template: bytes, repeat: int = 1) -> bytes:
    """`template` (.docx) with word/document.xml replaced by the chunks, each written
    `repeat` times (a stream, so a huge part never sits in memory)."""
    src = zipfile.ZipFile(io.BytesIO(template))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in src.infolist():
            if info.filename == "word/document.xml":
                with out.open("word/document.xml", "w", force_zip64=True) as fh:
                    head, body, tail = document_xml_chunks
                    fh.write(head)
                    for _ in range(repeat):
                        fh.write(body)
                    fh.write(tail)
            else:
                out.writestr(info, src.read(info.filename))
    return buf.getvalue()


W_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
W_TAIL = b"<w:sectPr/></w:body></w:document>"


def zip_bomb_docx(expanded_mb: int = 120) -> bytes:
    """A few hundred KB that declare and inflate to `expanded_mb` MB of XML."""
    filler = b"<w:p><w:r><w:t>" + b" " * ((1 << 20) - 40) + b"</w:t></w:r></w:p>"
    return _package_with((W_HEAD, filler, W_TAIL), good_docx(), repeat=expanded_mb)


def many_tables_docx(n: int = 3000) -> bytes:
    tbl = ("<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>"
           "<w:tr><w:tc><w:p><w:r><w:t>公务接待费</w:t></w:r></w:p></w:tc>"
           "<w:tc><w:p><w:r><w:t>0.25</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p/>").encode()
    return _package_with((W_HEAD, tbl, W_TAIL), good_docx(), repeat=n)


def zip_bomb_xlsx(expanded_mb: int = 120) -> bytes:
    template = _xlsx_bytes()
    src = zipfile.ZipFile(io.BytesIO(template))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for info in src.infolist():
            if info.filename == "xl/sharedStrings.xml" or info.filename.endswith("sheet1.xml"):
                with out.open(info.filename, "w", force_zip64=True) as fh:
                    chunk = b" " * (1 << 20)
                    fh.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                    for _ in range(expanded_mb):
                        fh.write(chunk)
                    fh.write(b"</worksheet>")
            else:
                out.writestr(info, src.read(info.filename))
    return buf.getvalue()


# --- the corpus ----------------------------------------------------------------------

def generate(out: str | Path, big: bool = False) -> dict[str, str]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, str] = {}

    def put(rel: str, data: bytes | str, expect: str):
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        p.write_bytes(data)
        manifest[rel] = expect

    # good documents: the baseline every bad neighbour must not disturb
    for i in range(4):
        put(f"good/seed_variant_{i}.txt", sample_variant(i, "good"), "ok")
    put("good/seed_like.docx", good_docx(), "ok")
    put("good/seed_like.pdf", _pdf_bytes(), "any")  # a hand-drawn table: structure is the PDF reader's business
    put("good/seed_like.xlsx", _xlsx_bytes(), "any")

    # empty and blank
    for ext in (".txt", ".pdf", ".docx", ".xlsx", ".html"):
        put(f"empty/empty{ext}", b"", "error:empty file")
    put("empty/blank.txt", b" \n\t\r\n   \n", "error:empty")

    # random bytes under document extensions, with and without a plausible magic number
    reasons = {".pdf": "error:not a PDF", ".docx": "error:corrupt .docx", ".xlsx": "error:corrupt .xlsx",
               ".txt": "error"}
    for ext, expect in reasons.items():
        for k in range(15):
            r = _rng(f"{ext}{k}")
            data = bytes(r.getrandbits(8) for _ in range(r.randint(1, 6000)))
            if data[:4] in (b"%PDF", b"PK\x03\x04") or data[:1] in (b"<",):
                data = b"\x01" + data
            put(f"random/random_{k:02d}{ext}", data, expect)
    for k in range(5):
        for ext, magic, expect in ((".pdf", b"%PDF-1.4\n", "error"), (".docx", b"PK\x03\x04", "error:corrupt .docx"),
                                   (".xlsx", b"PK\x03\x04", "error:corrupt .xlsx")):
            r = _rng(f"magic{k}{ext}")
            put(f"random/magic_header_{k}{ext}", magic + bytes(r.getrandbits(8) for _ in range(3000)), expect)

    # truncated PDFs and .docx at many cut points
    pdf = _pdf_bytes()
    for k, frac in enumerate([i / 40 for i in range(1, 40)]):
        put(f"truncated/pdf_cut_{k:02d}.pdf", pdf[: max(1, int(len(pdf) * frac))], "any")
    dx = good_docx()
    for k, frac in enumerate([i / 40 for i in range(1, 40)]):
        put(f"truncated/docx_cut_{k:02d}.docx", dx[: max(1, int(len(dx) * frac))], "error:corrupt .docx")

    # encrypted PDFs, a scan without a text layer
    from reportlab.lib import pdfencrypt

    put("pdf/encrypted_user_password.pdf",
        _pdf_bytes(encrypt=pdfencrypt.StandardEncryption("secret", ownerPassword="owner", strength=128)),
        "error:encrypted")
    put("pdf/encrypted_owner_only.pdf",
        _pdf_bytes(encrypt=pdfencrypt.StandardEncryption("", ownerPassword="owner", canCopy=0, strength=128)), "any")
    put("pdf/image_only_scan.pdf", _pdf_bytes(image_only=True), "error:no text layer")
    put("pdf/html_saved_as.pdf", "<!DOCTYPE html><html><body>404 页面不存在</body></html>", "error:not a PDF")
    put("pdf/many_pages.pdf", _pdf_bytes(pages=3), "any")

    # ZIP packages: a bomb, thousands of tables, a package without a document part
    put("zip/bomb.docx", zip_bomb_docx(), "error:zip bomb")
    put("zip/bomb.xlsx", zip_bomb_xlsx(), "error:zip bomb")
    put("zip/thousands_of_tables.docx", many_tables_docx(3000), "error:table count")
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr("hello.txt", "not a word document")
    put("zip/not_word.docx", b.getvalue(), "error:no word/document.xml")
    put("zip/legacy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, "error:legacy Word .doc")

    # text dumps in every encoding seen on portals, and mixed
    for i, seed in enumerate(("a", "b")):
        text = sample_variant(i, f"enc-{seed}-")
        for enc, bom in (("gb18030", b""), ("gbk", b""), ("utf-16", b""), ("utf-16-le", b""),
                         ("utf-16-be", b""), ("utf-8", b"\xef\xbb\xbf")):
            t = text.replace("测试变体", f"测试变体{enc}")
            put(f"encodings/{seed}_{enc}.txt", bom + t.encode(enc), "ok")
        lines = text.replace("测试变体", "测试变体mixed").split("\n")
        mixed = b"\n".join(ln.encode("utf-8" if k % 3 else "gb18030") for k, ln in enumerate(lines))
        put(f"encodings/{seed}_mixed_utf8_gb18030.txt", mixed, "ok")
        put(f"encodings/{seed}_crlf.txt", text.replace("测试变体", "测试变体crlf").replace("\n", "\r\n"), "ok")
    put("encodings/latin1_garbage.txt", bytes(range(128, 256)) * 40, "any")
    put("encodings/nul_riddled.txt", b"\x00\x01\x02abc\x00" * 3000, "error")

    # Tika dumps with odd structure
    put("tika/only_tabs.txt", "\t\t\t\n" * 5000, "any")
    put("tika/one_huge_row.txt", "标题\n" + "".join(f"\t{k}.00\n" for k in range(20000)), "any")
    put("tika/unclosed_bookmark.txt", "[bookmark: _Toc" * 2000 + "\n部门预算\n", "any")
    put("tika/long_single_line.txt", "预算" * 1_200_000, "error:text longer")
    put("tika/page_numbers_only.txt", "".join(f"- {k} -\n" for k in range(3000)), "any")

    # HTML: deep nesting, unclosed tags, a table in a table in a table
    put("html/deeply_nested.html", "<html><body>" + "<div>" * 100_000 + "部门预算" + "</div>" * 100_000
        + "</body></html>", "any")
    put("html/unclosed.html", "<html><body>" + "<div><span><p>" * 20_000 + "三公经费 4.76 万元", "any")
    put("html/nested_tables.html", "<html><body>" + "<table><tr><td>" * 3000 + "4.76" + "</td></tr></table>" * 3000
        + "</body></html>", "any")
    put("html/good_table.html", "<html><head><meta charset='utf-8'></head><body><p>" + PARAS[1] + "</p><p>单位：万元</p><table>"
        + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in SANGONG)
        + "</table></body></html>", "any")
    put("html/gbk_declared.html", ("<html><head><meta charset='gbk'></head><body><p>" + NARRATIVE
                                   + "</p></body></html>").encode("gbk"), "any")

    # file names
    for k, name in enumerate(["with spaces in name.txt", "中文文件名 预算公开.txt", "new\nline.txt",
                              "  leading and trailing  .txt", "quote's \"double\".txt", "emoji😀.txt",
                              "very_" + "long_" * 40 + "name.txt"]):
        put(f"names/{name}", sample_variant(k, "name"), "ok")

    # a folder with a symlink loop, a dangling link, a link to a file already found
    loop = out / "loop"
    (loop / "inner").mkdir(parents=True, exist_ok=True)
    put("loop/inner/in_loop.txt", sample_variant(2, "loop"), "ok")
    for link, target in (("loop/inner/back_to_loop", ".."), ("loop/self", "."), ("loop/dangling.txt", "nowhere.txt"),
                         ("loop/inner/zz_link_to_good.txt", "in_loop.txt")):
        p = out / link
        if not p.is_symlink():
            os.symlink(target, p)
    manifest["loop/dangling.txt"] = "error:file not found"
    manifest["loop/inner/zz_link_to_good.txt"] = "absent"  # the same file as in_loop.txt: read once

    # the same document twice under different names, and once more in another encoding
    dup = sample_variant(3, "dup")
    put("dups/original.txt", dup, "ok")
    put("dups/renamed copy.txt", dup, "duplicate")
    put("dups/same_text_in_gbk.txt", dup.encode("gb18030"), "duplicate")

    if big:
        chunk = (sample_text(0) * 40).encode("utf-8")[: 1 << 20]
        p = out / "big" / "hundred_mb.txt"
        p.parent.mkdir(exist_ok=True)
        with open(p, "wb") as fh:
            for _ in range(100):
                fh.write(chunk)
        manifest["big/hundred_mb.txt"] = "error:over the"
    return manifest


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    m = generate(args[0] if args else "badinput-corpus", big="--big" in sys.argv)
    for rel, expect in sorted(m.items()):
        print(f"{expect:30}  {rel!r}")
    print(f"{len(m)} files", file=sys.stderr)
