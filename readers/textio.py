"""Decoding bytes of text dumps: UTF-8, GB18030/GBK and UTF-16 (with or without BOM)."""
from __future__ import annotations

from .document import ReadError

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
    # UTF-16 without BOM: every other byte of ASCII-range text is NUL.
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 4:
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            if _looks_like_text(text):
                return text, enc
        raise ReadError("binary data, not a text dump")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _looks_like_text(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:200_000]).best()
        if best is not None and best.encoding:
            text = data.decode(best.encoding, errors="replace")
            if _looks_like_text(text):
                return text, best.encoding
    except Exception:  # charset detection is a best effort
        pass
    raise ReadError("cannot decode text: not UTF-8, GB18030/GBK or UTF-16")


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    sample = text[:20000]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\r\n\f") or ch == "\ufffd")
    return bad <= max(2, len(sample) // 200)
