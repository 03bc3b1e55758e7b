"""Hand formats the readers do not handle (.doc, .wps, …) to a Tika server the user
already runs.  Tika's plain-text output of an Office file is the seeds' format (tables as
tab-indented cells, one per line), which `readers/tika.py` reads."""
from __future__ import annotations

from pathlib import Path

import httpx


class TikaError(Exception):
    pass


def tika_text(url: str, path: Path, content_type: str, timeout: float = 120.0) -> str:
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        r = httpx.put(f"{url.rstrip('/')}/tika", content=data, timeout=timeout,
                      headers={"Accept": "text/plain; charset=UTF-8", "Content-Type": content_type})
    except httpx.HTTPError as exc:
        raise TikaError(f"Tika unreachable: {type(exc).__name__}: {exc}") from None
    if r.status_code != 200:
        raise TikaError(f"Tika answered HTTP {r.status_code}")
    r.encoding = r.encoding or "utf-8"
    text = r.text
    if not text.strip():
        raise TikaError("Tika returned no text")
    return text
