"""What a downloaded file really is, from its first bytes (a `.pdf` that is an HTML error
page is not a PDF)."""
from __future__ import annotations

import zipfile
from pathlib import Path


def sniff(path: Path, url_ext: str = "", content_type: str = "") -> str:
    """pdf | docx | xlsx | zip | doc | xls | ole | html | txt | unknown"""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(path).namelist()
        except (zipfile.BadZipFile, OSError):
            return "zip"
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return {".xls": "xls", ".et": "xls", ".doc": "doc", ".wps": "doc"}.get(url_ext, "ole")
    low = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if low.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in low[:512]:
        return "html"
    if url_ext in (".txt",) or content_type.startswith("text/plain"):
        return "txt"
    return "unknown"


EXT_FOR = {"pdf": ".pdf", "docx": ".docx", "xlsx": ".xlsx", "xls": ".xls", "doc": ".doc", "ole": ".doc",
           "txt": ".txt", "zip": ".zip", "html": ".html", "unknown": ".bin"}
READABLE = {"pdf", "docx", "xlsx", "xls", "txt"}
# what each attachment extension may legitimately be
COMPATIBLE = {
    ".pdf": {"pdf"}, ".docx": {"docx"}, ".xlsx": {"xlsx"}, ".xls": {"xls", "xlsx", "html"},
    ".doc": {"doc", "ole", "docx"}, ".wps": {"doc", "ole", "docx", "zip"}, ".et": {"xls", "ole", "xlsx"},
    ".txt": {"txt", "unknown"},
}
TIKA_TYPES = {"doc": "application/msword", "ole": "application/x-tika-msoffice",
              "zip": "application/zip", "unknown": "application/octet-stream"}
