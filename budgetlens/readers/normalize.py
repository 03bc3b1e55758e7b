"""One normalisation step for every format.

Full-width digits, decimal points and percent signs become ASCII, thousands separators
inside numbers go, and exotic spaces become plain spaces.  Chinese punctuation that
carries meaning (，。；：（）) is kept, so a quoted sentence still says what the
document says.
"""
from __future__ import annotations

import functools
import re

_FULLWIDTH_DIGITS = {ord("０") + i: ord("0") + i for i in range(10)}
_TRANSLATE: dict[int, int | str | None] = dict(_FULLWIDTH_DIGITS)
_TRANSLATE.update({
    ord("％"): "%",
    ord("\u00a0"): " ",  # no-break space
    ord("\u2002"): " ",
    ord("\u2003"): " ",
    ord("\u2009"): " ",
    ord("\u200b"): None,  # zero-width space
    ord("\ufeff"): None,
    ord("＋"): "+",
    ord("－"): "-",
    ord("＜"): "<",
    ord("＞"): ">",
    ord("＝"): "=",
    ord("／"): "/",
    ord("～"): "~",
})

# a full-width point between digits; the class first so the scan jumps to candidates
# (the same matches as `(?<=\d)[．。·](?=\d)`)
_FW_POINT = re.compile(r"[．。·](?<=\d[．。·])(?=\d)")
# any character _TRANSLATE maps: text without one is returned by translate unchanged
_TRANSLATABLE = re.compile("[" + "".join(re.escape(chr(k)) for k in _TRANSLATE) + "]")
_FW_COMMA_IN_NUMBER = re.compile(r"(?<=\d)[，,](?=\d{3}(?:\D|$))")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)")
_SPACES_IN_NUMBER = re.compile(r"(?<=\d)[ \u3000](?=[\d.])|(?<=\.)[ ](?=\d)")


def normalize_text(text: str) -> str:
    if not text:
        return ""
    if _TRANSLATABLE.search(text):
        text = text.translate(_TRANSLATE)
    text = _FW_POINT.sub(".", text)
    if "," in text:  # thousands separators (no comma, no match)
        text = _THOUSANDS.sub(lambda m: m.group(0).replace(",", ""), text)
    text = text.replace("\u3000", " ")
    return text


@functools.lru_cache(maxsize=100_000)
def normalize_cell(text: str) -> str:
    """Cells additionally lose internal spaces inside numbers (`1 234.50`) and
    full-width commas used as thousands separators.  Memoised (cell texts recur: codes,
    dashes, column headings, amounts)."""
    return _normalize_cell(text)


def _normalize_cell(text: str) -> str:
    if text and text.isascii() and "," not in text and " " not in text:
        return text.strip()  # nothing to translate, no separator, no space inside a number
    text = normalize_text(text or "").strip()
    if any(ch.isdigit() for ch in text):
        text = _FW_COMMA_IN_NUMBER.sub("", text)
        text = _SPACES_IN_NUMBER.sub("", text)
    return text
