"""Raw files, content-addressed, with a manifest of every fetch.

    raw/blobs/ab/ab12…ef.pdf       one file per distinct content (sha256), whatever its URLs
    raw/blobs/ab/ab12…ef.tika.txt  Tika's text of a format the readers do not handle
    raw/manifest.jsonl             one JSON line per fetch: url, fetched_at, sha256, status, …

The manifest is append-only; the latest line for a URL is its current state (the
validators for the next conditional request, and the file `process` reads)."""
from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Optional


@dataclass
class FetchRecord:
    url: str
    fetched_at: str
    status: Optional[int]  # HTTP status of the final response (None: no response)
    outcome: str  # new | unchanged | not_modified | unsupported | not_a_document | too_large | error | robots
    sha256: Optional[str] = None
    bytes: Optional[int] = None
    path: Optional[str] = None  # blob path relative to the raw dir
    text_path: Optional[str] = None  # Tika text beside the blob
    format: Optional[str] = None  # sniffed: pdf, docx, xlsx, xls, doc, txt, html …
    content_type: Optional[str] = None
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    referrer: Optional[str] = None
    link_text: Optional[str] = None
    note: Optional[str] = None
    attempts: int = 1

    @property
    def has_content(self) -> bool:
        return self.sha256 is not None and self.outcome in ("new", "unchanged", "not_modified", "unsupported")


@dataclass
class Current:
    """What the raw store holds for one URL."""
    url: str
    sha256: str
    path: Path  # the file to read (Tika text when there is one)
    format: Optional[str]
    outcome: str
    fetched_at: str
    link_text: Optional[str] = None
    urls: list[str] = field(default_factory=list)  # every URL that served this content


class RawStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.manifest_path = self.root / "manifest.jsonl"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    # -- blobs ---------------------------------------------------------------
    def blob_path(self, sha: str, ext: str) -> Path:
        return self.blobs / sha[:2] / f"{sha}{ext}"

    def has_blob(self, sha: str) -> Optional[Path]:
        d = self.blobs / sha[:2]
        if not d.is_dir():
            return None
        for p in d.glob(f"{sha}.*"):
            if not p.name.endswith((".tika.txt", ".tmp")) and ".tmp-" not in p.name:
                return p
        return None

    def put_file(self, tmp: Path, sha: str, ext: str) -> tuple[Path, bool]:
        """Move a downloaded temp file into place; (path, stored_now).  The same content
        already present is kept and the temp file dropped: stored once."""
        existing = self.has_blob(sha)
        if existing:
            tmp.unlink(missing_ok=True)
            return existing, False
        final = self.blob_path(sha, ext)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
        return final, True

    def put_bytes(self, data: bytes, ext: str) -> tuple[str, Path, bool]:
        sha = hashlib.sha256(data).hexdigest()
        tmp = self.tmp_path()
        tmp.write_bytes(data)
        path, new = self.put_file(tmp, sha, ext)
        return sha, path, new

    def put_text_beside(self, blob: Path, text: str) -> Path:
        out = blob.with_name(blob.name.split(".")[0] + ".tika.txt")
        tmp = out.with_name(out.name + f".tmp-{os.getpid()}-{threading.get_ident()}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
        return out

    def tmp_path(self) -> Path:
        d = self.root / "tmp"
        d.mkdir(parents=True, exist_ok=True)
        return d / f"dl-{os.getpid()}-{threading.get_ident()}-{os.urandom(4).hex()}.tmp"

    def rel(self, p: Path) -> str:
        return str(Path(p).resolve().relative_to(self.root.resolve()))

    # -- manifest ------------------------------------------------------------
    def append(self, records: Iterable[FetchRecord]) -> None:
        lines = "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in records)
        if not lines:
            return
        with self._lock, open(self.manifest_path, "a", encoding="utf-8") as fh:
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())

    def records(self) -> list[FetchRecord]:
        if not self.manifest_path.exists():
            return []
        out = []
        with open(self.manifest_path, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    out.append(FetchRecord(**json.loads(line)))
                except (json.JSONDecodeError, TypeError):
                    continue  # a line cut by a crash mid-write
        return out

    def latest(self) -> dict[str, FetchRecord]:
        """URL → its latest record that carries content (validators and file), else its latest."""
        latest: dict[str, FetchRecord] = {}
        for r in self.records():
            prev = latest.get(r.url)
            if r.has_content or prev is None or not prev.has_content:
                latest[r.url] = r
        return latest

    def validators(self) -> dict[str, dict]:
        """URL → {etag, last_modified, sha256, path} for conditional requests."""
        out = {}
        for url, r in self.latest().items():
            if r.has_content and (self.root / r.path).exists():
                out[url] = {"etag": r.etag, "last_modified": r.last_modified, "sha256": r.sha256,
                            "path": r.path, "text_path": r.text_path, "format": r.format}
        return out

    def current(self) -> list[Current]:
        """The documents to process: one per distinct content, in first-seen order."""
        by_sha: dict[str, Current] = {}
        for url, r in self.latest().items():
            if not r.has_content or not r.path:
                continue
            path = self.root / (r.text_path or r.path)
            if not path.exists():
                continue
            if r.sha256 in by_sha:
                by_sha[r.sha256].urls.append(url)
                continue
            by_sha[r.sha256] = Current(url, r.sha256, path, r.format, r.outcome, r.fetched_at, r.link_text, [url])
        return list(by_sha.values())
