"""Property tests of the reading layer: sentence splitting, Tika-dump parsing, text
decoding and normalisation, on arbitrary Unicode.  (Number parsing and unit conversion
have their own property tests with the extractors.)"""
from __future__ import annotations

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from budgetlens.document.build import build_document, split_sentences
from budgetlens.readers.blocks import Block, ReadError
from budgetlens.readers.normalize import normalize_cell, normalize_text
from budgetlens.readers.textio import decode_text
from budgetlens.readers.tika import parse_tika_text

SETTINGS = settings(max_examples=int(__import__("os").environ.get("PROPERTY_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

# text that looks like a disclosure: Han, digits, full-width forms, the punctuation the
# splitter and the normaliser care about, and whitespace of every kind
DISCLOSURE_CHARS = st.sampled_from(list(
    "预算支出收入万元经费公务接待费增加减少持平一二三四五六七八九十" "0123456789０１２３４５６７８９"
    ".,，。；;！？!?：:（）()%％、．·-－+＋~～/／<>＝= \u3000\xa0\u2002\u200b\ufeff\t\n\r"))
TEXT = st.one_of(st.text(), st.text(alphabet=DISCLOSURE_CHARS, max_size=300))


@SETTINGS
@given(TEXT, st.integers(min_value=0, max_value=10_000))
@example("。", 0)
@example("  \n ", 5)
@example("增加10%；减少5万元！？", 0)
def test_sentence_spans_lie_inside_the_text_in_order(text, base):
    spans = split_sentences(text, base)
    prev_end = base
    for a, b in spans:
        assert base <= a < b <= base + len(text)
        assert a >= prev_end  # ordered, never overlapping
        prev_end = b
        s = text[a - base:b - base]
        assert s == s.strip() and s  # trimmed, never empty
    # nothing but whitespace is left out
    covered = set()
    for a, b in spans:
        covered.update(range(a - base, b - base))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)


@SETTINGS
@given(TEXT)
def test_normalisation_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    cell = normalize_cell(text)
    assert normalize_cell(cell) == cell


@SETTINGS
@given(st.text(alphabet=DISCLOSURE_CHARS, max_size=200))
def test_normalisation_keeps_han_text(text):
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    assert [c for c in normalize_text(text) if "\u4e00" <= c <= "\u9fff"] == han


@SETTINGS
@given(st.one_of(st.text(), st.lists(st.one_of(st.text(alphabet=DISCLOSURE_CHARS, max_size=20),
                                              st.sampled_from(["[bookmark: _Toc1]", "\t", "\n\n", "- 3 -"])),
                                    max_size=40).map("".join)))
def test_tika_parser_never_fails_and_keeps_cells_verbatim(text):
    blocks = parse_tika_text(text)
    norm = text.replace("\r\n", "\n").replace("\r", "\n")
    for b in blocks:
        assert b.kind in ("para", "table")
        if b.kind == "para":
            assert b.text and b.text == b.text.strip() and "\n" not in b.text
        else:
            assert b.rows and all(isinstance(c, str) for r in b.rows for c in r)
            for r in b.rows:
                for c in r:
                    for part in c.split("\n"):
                        assert part in norm or "[bookmark:" in norm


# a cell or a paragraph that the Tika format can carry: no tab, no line break, trimmed
CELL = st.text(alphabet=DISCLOSURE_CHARS.filter(lambda c: c not in "\t\n\r"), max_size=12).map(str.strip)
PARA = st.text(alphabet=DISCLOSURE_CHARS.filter(lambda c: c not in "\t\n\r"), min_size=1, max_size=40).map(
    lambda s: "说明" + s.strip())  # a Han start: never a page number or a cell continuation
TABLE = st.lists(st.lists(CELL, min_size=1, max_size=5), min_size=1, max_size=5)


def tika_dump(blocks) -> str:
    out = []
    for kind, value in blocks:
        if kind == "para":
            out.append(value + "\n")
        else:
            for row in value:
                out.append("".join(f"\t{c}\n" for c in row) + "\n")
            out.append("\n")
    return "".join(out)


@SETTINGS
@given(st.lists(st.one_of(st.tuples(st.just("para"), PARA), st.tuples(st.just("table"), TABLE)), max_size=8))
def test_tika_dump_round_trips(blocks):
    # two tables in a row are one table in a dump: merge them as Tika would show them
    expected = []
    for kind, value in blocks:
        if kind == "table" and expected and expected[-1][0] == "table":
            expected[-1] = ("table", expected[-1][1] + value)
        else:
            expected.append((kind, value))
    parsed = parse_tika_text(tika_dump(blocks))
    got = [("para", b.text) if b.kind == "para" else ("table", b.rows) for b in parsed]
    assert got == expected


@SETTINGS
@given(st.binary(max_size=3000))
@example("预算".encode("gb18030"))
def test_decoding_arbitrary_bytes_returns_text_or_read_error(data):
    try:
        text, enc = decode_text(data)
    except ReadError as exc:
        assert str(exc)
    else:
        assert isinstance(text, str) and enc


@SETTINGS
@given(st.text(alphabet=DISCLOSURE_CHARS.filter(lambda c: c not in "\ufeff"), min_size=1, max_size=400),
       st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_decoding_round_trips_in_each_encoding(text, enc):
    """Round-trips whenever the bytes are unambiguous; GB18030 bytes that are also valid
    UTF-8 (short texts can be) may be read either way."""
    assume(text.strip())
    data = text.encode(enc)
    got = decode_text(data)[0]
    if enc == "gb18030":
        try:
            alt = data.decode("utf-8")
        except UnicodeDecodeError:
            alt = None
        assert got in (text, alt)
    else:
        assert got == text


@SETTINGS
@given(st.lists(st.one_of(st.builds(lambda t: Block(kind="para", text=t), TEXT),
                          st.builds(lambda rows: Block(kind="table", rows=rows), TABLE)), max_size=6))
def test_document_offsets_point_at_their_text(blocks):
    doc = build_document(blocks, "x.txt", "txt")
    for s in doc.sentences:
        assert 0 <= s.start < s.end <= len(doc.text)
        assert doc.text[s.start:s.end] == s.text
    for t in doc.tables:
        for r in t.rows:
            for (a, b), c in zip(r.spans, r.cells):
                assert doc.text[a:b] == c
