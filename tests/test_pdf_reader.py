"""readers/pdf.py on small PDFs generated here with reportlab (content taken from the real
SH12 上海市普陀区财政局 2025 budget), so the tests need no external files."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("reportlab")
pytest.importorskip("pypdfium2")

from reportlab.lib import colors  # noqa: E402
from reportlab.lib.pagesizes import A4, landscape  # noqa: E402
from reportlab.lib.styles import ParagraphStyle  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.cidfonts import UnicodeCIDFont  # noqa: E402
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle  # noqa: E402

from budgetlens.readers.blocks import ReadError  # noqa: E402
from budgetlens.readers.pdf import read_pdf  # noqa: E402

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

NARRATIVE = (
    "2025年，上海市普陀区财政局收入预算3,121.42万元，其中：财政拨款收入3,121.42万元，"
    "比2024年预算增加107.62万元；事业收入0万元；事业单位经营收入0万元；其他收入0万元。"
    "支出预算3,121.42万元，其中：财政拨款支出预算3,121.42万元，比2024年预算增加107.62万元。"
)
ITEM = "（一）贯彻执行国家和本市有关财政工作的法律、法规、规章和方针、政策；研究拟订本区财政发展战略、规划、政策和改革方案并组织实施。"

HEADER = [["项目", "", "", "", "支出预算", "", ""], ["功能分类科目编码", "", "", "功能分类科目名称", "合计", "基本支出", "项目支出"], ["类", "款", "项", "", "", "", ""]]
BASE_ROWS = [
    ["201", "", "", "一般公共服务支出", "22,186,440.80", "16,093,326.00", "6,093,114.80"],
    ["201", "06", "", "财政事务", "22,186,440.80", "16,093,326.00", "6,093,114.80"],
    ["201", "06", "01", "行政运行", "16,231,840.80", "16,093,326.00", "138,514.80"],
    ["201", "06", "02", "一般行政管理事务", "100,000.00", "", "100,000.00"],
    ["208", "05", "05", "机关事业单位基本养老保险缴费支出", "1,748,327.00", "1,748,327.00", ""],
    ["221", "02", "01", "住房公积金", "2,049,197.00", "2,049,197.00", ""],
]


def _styles():
    body = ParagraphStyle("body", fontName=FONT, fontSize=12, leading=20, firstLineIndent=24, wordWrap="CJK")
    head = ParagraphStyle("head", fontName=FONT, fontSize=12, leading=20, wordWrap="CJK")
    title = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=24, alignment=1)
    return body, head, title


def _footer(canvas, doc):
    canvas.saveState()
    canvas.setFont(FONT, 9)
    canvas.drawCentredString(doc.pagesize[0] / 2, 10 * mm, f"- {doc.page} -")
    canvas.restoreState()


def make_budget_pdf(path: Path, n_rows: int = 60) -> Path:
    body, head, title = _styles()
    rows = [r[:] for r in HEADER]
    data_rows = []
    for i in range(n_rows):
        r = BASE_ROWS[i % len(BASE_ROWS)][:]
        data_rows.append(r)
    rows += data_rows + [["合计", "", "", "", "31,214,205.80", "25,121,091.00", "6,093,114.80"]]
    table = LongTable(rows, repeatRows=3, colWidths=[14 * mm, 14 * mm, 14 * mm, 70 * mm, 35 * mm, 35 * mm, 35 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("SPAN", (0, 0), (3, 0)),
                ("SPAN", (4, 0), (6, 0)),
                ("SPAN", (0, 1), (2, 1)),
                ("SPAN", (3, 1), (3, 2)),
                ("SPAN", (4, 1), (4, 2)),
                ("SPAN", (5, 1), (5, 2)),
                ("SPAN", (6, 1), (6, 2)),
                ("SPAN", (0, -1), (3, -1)),
                ("ALIGN", (4, 3), (-1, -1), "RIGHT"),
            ]
        )
    )
    story = [
        Paragraph("2025年部门预算编制说明", title),
        Paragraph("一、部门主要职能", head),
        Paragraph(ITEM, head),
        Paragraph(NARRATIVE, body),
        Paragraph("财政拨款支出主要内容如下：", body),
        Spacer(1, 10),
        Paragraph("2025年部门支出预算总表", title),
        Paragraph("单位：元", head),
        table,
    ]
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), topMargin=20 * mm, bottomMargin=22 * mm)
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return path


@pytest.fixture(scope="module")
def budget_pdf(tmp_path_factory) -> Path:
    return make_budget_pdf(tmp_path_factory.mktemp("pdf") / "budget.pdf")


@pytest.fixture(scope="module")
def budget_blocks(budget_pdf):
    return read_pdf(budget_pdf)


def test_generated_pdf_spans_pages(budget_pdf):
    import pypdfium2 as pdfium

    assert len(pdfium.PdfDocument(str(budget_pdf))) >= 3


def test_paragraph_joined_across_lines(budget_blocks):
    paras = [b.text for b in budget_blocks if b.kind == "para"]
    assert NARRATIVE in paras
    assert "比2024年预算增加107.62万元；" in NARRATIVE
    assert ITEM in paras


def test_heading_starts_a_paragraph(budget_blocks):
    paras = [b.text for b in budget_blocks if b.kind == "para"]
    assert "一、部门主要职能" in paras
    assert "财政拨款支出主要内容如下：" in paras


def test_page_numbers_dropped(budget_blocks):
    texts = [b.text for b in budget_blocks if b.kind == "para"]
    assert not any(t.strip("- ").isdigit() for t in texts)


def test_table_merged_across_pages_with_header_dropped(budget_blocks):
    tables = [b for b in budget_blocks if b.kind == "table"]
    assert len(tables) == 1
    t = tables[0]
    assert t.grid
    # 3 header rows once, 60 data rows, the 合计 row
    assert len(t.rows) == 3 + 60 + 1
    assert sum(1 for r in t.rows if r[0] == "功能分类科目编码") == 1  # repeated header dropped
    assert t.rows[-1][0] == "合计" and t.rows[-1][4] == "31,214,205.80"


def test_spanning_header_cells_repeated(budget_blocks):
    t = next(b for b in budget_blocks if b.kind == "table")
    assert t.rows[0][:4] == ["项目"] * 4
    assert t.rows[0][4:] == ["支出预算"] * 3
    assert t.rows[1][:3] == ["功能分类科目编码"] * 3
    assert t.rows[1][3] == t.rows[2][3] == "功能分类科目名称"  # rowspan repeated down


def test_numbers_with_thousands_separators_whole(budget_blocks):
    t = next(b for b in budget_blocks if b.kind == "table")
    row = next(r for r in t.rows if r[3] == "行政运行")
    assert row[:3] == ["201", "06", "01"]
    assert row[4:] == ["16,231,840.80", "16,093,326.00", "138,514.80"]


def test_caption_lines_before_table(budget_blocks):
    i = next(i for i, b in enumerate(budget_blocks) if b.kind == "table")
    before = [b.text for b in budget_blocks[max(0, i - 3) : i]]
    assert "2025年部门支出预算总表" in before
    assert "单位：元" in before


def test_continuation_without_repeated_header(tmp_path):
    """A table continued on the next page without repeating its header is appended."""
    rows = [["科目编码", "科目名称", "金额"]] + [[f"30{i % 10}", "工资福利支出", f"{i},000.00"] for i in range(1, 70)]
    table = LongTable(rows, repeatRows=0, colWidths=[30 * mm, 60 * mm, 40 * mm])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 10), ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    path = tmp_path / "cont.pdf"
    SimpleDocTemplate(str(path), pagesize=A4).build([table])
    blocks = read_pdf(path)
    tables = [b for b in blocks if b.kind == "table"]
    assert len(tables) == 1
    assert len(tables[0].rows) == 70
    assert tables[0].rows[-1] == ["309", "工资福利支出", "69,000.00"]


def test_scan_without_text_layer(tmp_path):
    from PIL import Image
    from reportlab.pdfgen import canvas

    img = tmp_path / "scan.png"
    Image.new("RGB", (200, 280), "white").save(img)
    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(2):
        c.drawImage(str(img), 0, 0, width=A4[0], height=A4[1])
        c.showPage()
    c.save()
    with pytest.raises(ReadError, match="no text layer; OCR is not supported"):
        read_pdf(path)


def test_garbage_bytes(tmp_path):
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"\x00\x01garbage that is not a pdf" * 10)
    with pytest.raises(ReadError, match="not a PDF"):
        read_pdf(path)


def test_html_saved_as_pdf(tmp_path):
    path = tmp_path / "error.pdf"
    path.write_text("<html><body>404 Not Found</body></html>", encoding="utf-8")
    with pytest.raises(ReadError, match="not a PDF"):
        read_pdf(path)


def test_truncated_pdf(tmp_path, budget_pdf):
    data = budget_pdf.read_bytes()
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReadError, match="truncated"):
        read_pdf(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(ReadError, match="empty"):
        read_pdf(path)


def test_encrypted_pdf(tmp_path):
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    path = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(path), encrypt=StandardEncryption("secret", ownerPassword="owner"))
    c.setFont(FONT, 12)
    c.drawString(100, 700, "2025年部门预算")
    c.save()
    with pytest.raises(ReadError, match="encrypted PDF"):
        read_pdf(path)


def test_max_pages(budget_pdf):
    with pytest.raises(ReadError, match="more than the limit of 2"):
        read_pdf(budget_pdf, max_pages=2)
