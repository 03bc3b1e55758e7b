"""A crawl: visit the configured portal pages (and their pagination and detail pages),
collect disclosure documents, download each into the raw store.

Split in two steps so an orchestrator can run the second per host in parallel while the
rate limit stays per host: `discover(config)` → links, `fetch_documents(links, …)` →
manifest records.  `crawl(config)` runs both in a plain loop."""
from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable, Optional

from .config import Config
from .fetch import Fetcher, now_iso
from .links import Link, extract_links, host_of, url_ext
from .rawstore import FetchRecord, RawStore
from .sniff import COMPATIBLE, EXT_FOR, READABLE, TIKA_TYPES, sniff
from .tika import TikaError, tika_text


@dataclass
class Discovery:
    documents: list[Link] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # pages visited
    problems: list[FetchRecord] = field(default_factory=list)  # pages that failed, off-host links …
    off_host: int = 0
    requests: int = 0


def discover(config: Config, fetcher: Optional[Fetcher] = None, max_depth: int = 2) -> Discovery:
    """Breadth-first over each source: list pages, their pagination (same host) and detail
    pages whose link says 预算/决算/公开/三公, up to `max_pages` pages per source."""
    own = fetcher is None
    fetcher = fetcher or Fetcher(config)
    out = Discovery()
    docs: "OrderedDict[str, Link]" = OrderedDict()
    visited: set[str] = set()
    try:
        for source in config.sources:
            queue = deque([(source, 0, False)])
            pages = 0
            while queue and pages < config.max_pages:
                url, depth, detail = queue.popleft()
                if url in visited:
                    continue
                visited.add(url)
                resp = fetcher.get(url)
                pages += 1
                if not resp.ok or resp.body is None:
                    out.problems.append(FetchRecord(url, now_iso(), resp.status, "error", note=resp.error or "no body",
                                                    attempts=resp.attempts))
                    continue
                out.pages.append(url)
                ctype = resp.headers.get("content-type", "")
                if "html" not in ctype and not resp.body.lstrip()[:1] == b"<":
                    continue
                for link in extract_links(resp.body, resp.url, on_detail_page=detail):
                    if not fetcher.host_allowed(link.url):
                        out.off_host += 1
                        out.problems.append(FetchRecord(link.url, now_iso(), None, "off_host", referrer=url,
                                                        link_text=link.text, note="not a configured host: not fetched"))
                        continue
                    if link.kind == "document":
                        docs.setdefault(link.url, link)
                    elif link.kind == "pagination":
                        queue.append((link.url, depth, detail))
                    elif depth < max_depth:
                        queue.append((link.url, depth + 1, True))
    finally:
        out.requests = fetcher.requests
        if own:
            fetcher.close()
    out.documents = list(docs.values())
    return out


def by_host(links: list[Link]) -> dict[str, list[Link]]:
    out: dict[str, list[Link]] = {}
    for link in links:
        out.setdefault(host_of(link.url), []).append(link)
    return out


def fetch_documents(links: list[Link], config: Config, raw: RawStore, validators: dict[str, dict],
                    fetcher: Optional[Fetcher] = None,
                    on_done: Optional[Callable[[FetchRecord], None]] = None) -> list[FetchRecord]:
    """Download each link once into the raw store.  A URL fetched before is asked
    conditionally (If-None-Match / If-Modified-Since): a 304 downloads nothing."""
    own = fetcher is None
    fetcher = fetcher or Fetcher(config)
    out = []
    try:
        for link in links:
            rec = fetch_one(link, config, raw, validators.get(link.url), fetcher)
            out.append(rec)
            if on_done:
                on_done(rec)
    finally:
        if own:
            fetcher.close()
    return out


def fetch_one(link: Link, config: Config, raw: RawStore, prev: Optional[dict], fetcher: Fetcher) -> FetchRecord:
    tmp = raw.tmp_path()
    resp = fetcher.get(link.url, to_file=tmp, validators=prev)
    base = dict(url=link.url, fetched_at=now_iso(), status=resp.status, referrer=link.referrer,
                link_text=link.text, attempts=resp.attempts,
                etag=resp.headers.get("etag"), last_modified=resp.headers.get("last-modified"),
                content_type=resp.headers.get("content-type"))
    if resp.status == 304 and prev:
        tmp.unlink(missing_ok=True)
        return FetchRecord(**{**base, "etag": base["etag"] or prev.get("etag"),
                              "last_modified": base["last_modified"] or prev.get("last_modified")},
                           outcome="not_modified", sha256=prev["sha256"], path=prev["path"],
                           text_path=prev.get("text_path"), format=prev.get("format"))
    if resp.error or not resp.ok or resp.file is None:
        tmp.unlink(missing_ok=True)
        outcome = "too_large" if resp.error and resp.error.startswith("too large") else \
            "robots" if resp.error and "robots" in resp.error else "error"
        return FetchRecord(**base, outcome=outcome, note=resp.error or f"HTTP {resp.status}")
    ext = url_ext(link.url)
    fmt = sniff(tmp, ext, base["content_type"] or "")
    if fmt not in COMPATIBLE.get(ext, {fmt}) or fmt == "html" and ext not in (".xls",):
        tmp.unlink(missing_ok=True)
        return FetchRecord(**base, outcome="not_a_document", sha256=resp.sha256, bytes=resp.size, format=fmt,
                           note=f"served as {ext or 'a document'} but the content is {fmt}")
    path, stored_now = raw.put_file(tmp, resp.sha256, EXT_FOR.get(fmt, ext or ".bin"))
    rec = FetchRecord(**base, outcome="new" if stored_now else "unchanged", sha256=resp.sha256, bytes=resp.size,
                      path=raw.rel(path), format=fmt)
    if fmt not in READABLE:
        convert(rec, path, config, raw)
    return rec


def convert(rec: FetchRecord, path, config: Config, raw: RawStore) -> None:
    """Tika text for a format the readers do not handle; without Tika, `unsupported` (kept
    in the raw store and the manifest, and reported as such by `process`)."""
    if not config.tika_url:
        rec.note = f"{rec.format}: no reader for this format and no [tika] url configured"
        rec.outcome = "unsupported" if rec.outcome == "new" or rec.outcome == "unchanged" else rec.outcome
        return

    try:
        text = tika_text(config.tika_url, path, TIKA_TYPES.get(rec.format, "application/octet-stream"))
    except TikaError as exc:
        rec.note = str(exc)
        rec.outcome = "unsupported"
        return
    rec.text_path = raw.rel(raw.put_text_beside(path, text))
    rec.note = "converted to text by Tika"


@dataclass
class CrawlSummary:
    pages: int
    documents: int
    new: int
    not_modified: int
    unchanged: int
    unsupported: int
    failed: int
    off_host: int
    requests: int
    records: list[FetchRecord]

    def line(self) -> str:
        return (f"{self.pages} pages, {self.documents} documents: {self.new} new, {self.not_modified} not modified, "
                f"{self.unchanged} unchanged, {self.unsupported} unsupported, {self.failed} failed; "
                f"{self.off_host} off-host links skipped; {self.requests} HTTP requests")


def summarise(disc: Discovery, records: list[FetchRecord], requests: int) -> CrawlSummary:
    count = lambda *o: sum(1 for r in records if r.outcome in o)  # noqa: E731
    return CrawlSummary(len(disc.pages), len(records), count("new"), count("not_modified"), count("unchanged"),
                        count("unsupported"), count("error", "too_large", "not_a_document", "robots"),
                        disc.off_host, requests, records)


def crawl(config: Config, raw: Optional[RawStore] = None, progress=None) -> CrawlSummary:
    """The whole crawl in one process (the CLI without an orchestrator, tests)."""
    raw = raw or RawStore(config.raw_dir)
    with Fetcher(config) as fetcher:
        disc = discover(config, fetcher)
        if progress:
            progress.total = len(disc.documents)
        validators = raw.validators()
        records = fetch_documents(disc.documents, config, raw, validators, fetcher,
                                  on_done=(lambda r: progress.update(1, 0)) if progress else None)
        raw.append(disc.problems + records)
        return summarise(disc, records, fetcher.requests)
