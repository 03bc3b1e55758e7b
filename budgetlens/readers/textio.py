"""Decoding bytes of text dumps: UTF-8, GB18030/GBK and UTF-16 (with or without BOM), and
dumps that mix UTF-8 and GB18030 line by line (files concatenated from two sources)."""
from __future__ import annotations

import re
from typing import Optional

from .blocks import ReadError

_BOMS = [
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
]


def decode_text(data: bytes) -> tuple[str, str]:
    """Return (text, encoding).  Raises ReadError for empty or binary data."""
    if not data or not data.strip():
        raise ReadError("empty file")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise ReadError(f"text declares {enc} by its byte-order mark but does not decode: {exc.reason}") from None
    decoded = _utf16_without_bom(data) or _utf8(data)
    if decoded is not None:
        return decoded
    mixed = _decode_mixed(data)
    if mixed is not None:
        return mixed, "utf-8+gb18030"
    try:
        text = data.decode("gb18030")
        if _looks_like_text(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        guess = from_bytes(data[:200_000]).best()
        if guess is not None and guess.encoding:
            text = data.decode(guess.encoding, errors="replace")
            if _looks_like_text(text):
                return text, guess.encoding
    except Exception:  # charset detection is a best effort
        pass
    raise ReadError("cannot decode text: not UTF-8, GB18030/GBK or UTF-16")


def _utf16_without_bom(data: bytes) -> Optional[tuple[str, str]]:
    """UTF-16 without BOM: ASCII-range characters (digits, tabs, newlines) carry a NUL byte.
    The byte order that reads as more Chinese text wins; mostly NULs and neither → binary."""
    head = data[:4096]
    if head.count(b"\x00") <= len(head) // 16:
        return None
    best: Optional[tuple[float, str, str]] = None
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            score = _cjk_share(text)
            if best is None or score > best[0]:
                best = (score, text, enc)
    if best is not None:
        return best[1], best[2]
    if head.count(b"\x00") > len(head) // 4:
        raise ReadError("binary data, not a text dump")
    return None


def _utf8(data: bytes) -> Optional[tuple[str, str]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # short GBK text can be valid UTF-8 by accident ("预" is D4 A4, UTF-8 for "Ԥ"):
    # prefer GB18030 when it reads as plainer Chinese text than UTF-8 does
    odd = _implausible(text)
    if odd:
        try:
            gb = data.decode("gb18030")
            if _implausible(gb) < odd and _looks_like_text(gb):
                return gb, "gb18030"
        except UnicodeDecodeError:
            pass
    return text, "utf-8"


def _decode_mixed(data: bytes):
    """Line-by-line UTF-8 / GB18030, when a real share of the non-ASCII lines is UTF-8
    (a GBK line passes as UTF-8 only by rare accident).  None when not mixed."""
    lines = data.split(b"\n")
    utf8 = other = 0
    for ln in lines:
        if ln.isascii():
            continue
        try:
            ln.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            other += 1
    if utf8 < 3 or other == 0 or utf8 < 0.1 * (utf8 + other):
        return None
    out = []
    for ln in lines:
        try:
            out.append(ln.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                out.append(ln.decode("gb18030"))
            except UnicodeDecodeError:
                return None
    text = "\n".join(out)
    return text if _looks_like_text(text) else None


def _plausible(ch: str) -> bool:
    o = ord(ch)
    return (o < 0x250 or 0x2000 <= o < 0x2BFF or 0x3000 <= o < 0xA000 or 0xF900 <= o < 0xFB00
            or 0xFE30 <= o < 0xFFF0 or 0x20000 <= o < 0x30000)


_IMPLAUSIBLE = re.compile("[^\x00-\u024f\u2000-\u2bfe\u3000-\u9fff\uf900-\ufaff\ufe30-\uffef"
                          "\U00020000-\U0002ffff]")


def _implausible(text: str) -> int:
    """Characters a Chinese disclosure hardly ever holds (Cyrillic, Armenian, Arabic,
    private use …): the mark of text decoded with the wrong codec.  (The same ranges as
    `_plausible`, as one regex: a per-character loop was a profiled hot spot.)"""
    sample = text[:20000]
    if sample.isascii():
        return 0
    return len(_IMPLAUSIBLE.findall(sample))


def _cjk_share(text: str) -> float:
    sample = text[:20000]
    return sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff") / max(1, len(sample))


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    sample = text[:20000]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n\f") or ch == "\ufffd")
    return bad <= max(2, len(sample) // 200)
