"""Polite HTTP: robots.txt, a per-host rate limit, retries with backoff on 5xx and
timeouts, conditional requests, a size cap, redirects checked against the allowed hosts."""
from __future__ import annotations

import hashlib
import random
import threading
import time
import urllib.robotparser
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional
from urllib.parse import urljoin, urlsplit

import httpx

from .config import Config

RETRY_STATUS = {429, 500, 502, 503, 504}
REDIRECTS = {301, 302, 303, 307, 308}


class OffHost(Exception):
    pass


class TooLarge(Exception):
    pass


class Disallowed(Exception):
    pass


@dataclass
class Response:
    url: str  # final URL after redirects
    status: Optional[int]
    headers: dict = field(default_factory=dict)
    body: Optional[bytes] = None  # pages
    file: Optional[Path] = None  # documents (streamed to disk)
    sha256: Optional[str] = None
    size: int = 0
    attempts: int = 1
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RateLimiter:
    """At most one request per `interval` seconds to each host (shared by threads)."""

    def __init__(self, interval: float):
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str, interval: Optional[float] = None):
        gap = self.interval if interval is None else interval
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(host, 0.0))
            self._next[host] = slot + gap
        if slot > now:
            time.sleep(slot - now)


class Fetcher:
    def __init__(self, config: Config, client: Optional[httpx.Client] = None):
        self.config = config
        self.allowed = config.allowed_hosts
        self.client = client or httpx.Client(
            headers={"User-Agent": config.user_agent, "Accept-Language": "zh-CN,zh;q=0.9"},
            timeout=httpx.Timeout(config.timeout, connect=min(config.timeout, 10.0)),
            follow_redirects=False,
        )
        self.limiter = RateLimiter(config.rate_limit_per_host)
        self._robots: dict[str, Optional[urllib.robotparser.RobotFileParser]] = {}
        self._robots_lock = threading.Lock()
        self.requests = 0  # HTTP requests sent (robots.txt included)

    def close(self):
        self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- policy --------------------------------------------------------------
    def host_allowed(self, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower() in self.allowed

    def robots(self, url: str) -> Optional[urllib.robotparser.RobotFileParser]:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:
            if origin in self._robots:
                return self._robots[origin]
        rp = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        try:
            self.limiter.wait(parts.hostname or "")
            self.requests += 1
            r = self.client.get(origin + "/robots.txt")
            if r.status_code in (401, 403):
                rp.disallow_all = True
            elif r.status_code >= 500:
                rp.disallow_all = True  # a failing server: treat as "do not crawl" for this run
            elif r.status_code >= 400:
                rp.allow_all = True
            else:
                rp.parse(r.text.splitlines())
        except httpx.HTTPError:
            rp.allow_all = True  # unreachable robots.txt: the page fetch will report the failure
        with self._robots_lock:
            self._robots[origin] = rp
        return rp

    def can_fetch(self, url: str) -> bool:
        rp = self.robots(url)
        return rp is None or rp.can_fetch(self.config.user_agent, url)

    def _interval(self, url: str) -> float:
        rp = self.robots(url)
        delay = None
        if rp is not None:
            try:
                delay = rp.crawl_delay(self.config.user_agent)
            except Exception:
                delay = None
        return max(self.config.rate_limit_per_host, float(delay or 0))

    # -- requests ------------------------------------------------------------
    def get(self, url: str, *, to_file: Optional[Path] = None, validators: Optional[dict] = None) -> Response:
        """GET with retries.  Pages come back in `body`; with `to_file` the body is streamed
        there and hashed.  Never raises for HTTP trouble: see `Response.error`."""
        if not self.host_allowed(url):
            return Response(url, None, error="off-host: not in the configured hosts", attempts=0)
        if not self.can_fetch(url):
            return Response(url, None, error="disallowed by robots.txt", attempts=0)
        headers = {}
        if validators:
            if validators.get("etag"):
                headers["If-None-Match"] = validators["etag"]
            if validators.get("last_modified"):
                headers["If-Modified-Since"] = validators["last_modified"]
        attempts = 0
        last_error = None
        for attempt in range(self.config.retries + 1):
            attempts += 1
            try:
                resp = self._get_following(url, headers, to_file)
                resp.attempts = attempts
                if resp.status in RETRY_STATUS and attempt < self.config.retries:
                    self._backoff(attempt, resp.headers.get("retry-after"))
                    last_error = f"HTTP {resp.status}"
                    continue
                if resp.status is not None and resp.status >= 400 and not resp.error:
                    resp.error = f"HTTP {resp.status}"
                return resp
            except (OffHost, Disallowed) as exc:
                return Response(url, None, error=str(exc), attempts=attempts)
            except TooLarge as exc:
                return Response(url, 200, error=str(exc), attempts=attempts)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last_error = f"{type(exc).__name__}: {exc}".strip()
                if attempt < self.config.retries:
                    self._backoff(attempt, None)
                    continue
            except httpx.HTTPError as exc:  # invalid URL and the like: no point retrying
                return Response(url, None, error=f"{type(exc).__name__}: {exc}", attempts=attempts)
        return Response(url, None, error=f"gave up after {attempts} attempts: {last_error}", attempts=attempts)

    def _backoff(self, attempt: int, retry_after: Optional[str]):
        delay = self.config.backoff * (2 ** attempt) * (0.5 + random.random())
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), 60.0))
        time.sleep(delay)

    def _get_following(self, url: str, headers: dict, to_file: Optional[Path]) -> Response:
        current = url
        for _ in range(6):
            if not self.host_allowed(current):
                raise OffHost(f"off-host: redirected to {urlsplit(current).hostname}, not a configured host")
            if current != url and not self.can_fetch(current):
                raise Disallowed("disallowed by robots.txt (after a redirect)")
            self.limiter.wait(urlsplit(current).hostname or "", self._interval(current))
            self.requests += 1
            with self.client.stream("GET", current, headers=headers) as r:
                if r.status_code in REDIRECTS and r.headers.get("location"):
                    current = urljoin(current, r.headers["location"])
                    continue
                hdrs = {k.lower(): v for k, v in r.headers.items()}
                if r.status_code == 304 or r.status_code >= 300:
                    return Response(current, r.status_code, hdrs)
                return self._read_body(current, r, hdrs, to_file)
        return Response(url, None, error="too many redirects")

    def _read_body(self, url, r: httpx.Response, hdrs: dict, to_file: Optional[Path]) -> Response:
        cap = self.config.max_bytes
        declared = hdrs.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise TooLarge(f"too large: {declared} bytes declared, cap {cap}")
        h = hashlib.sha256()
        size = 0
        chunks: list[bytes] = []
        # a per-read timeout never fires on a server that trickles a byte at a time
        budget = self.config.max_seconds or 3 * self.config.timeout
        deadline = time.monotonic() + budget
        fh = open(to_file, "wb") if to_file else None
        try:
            for chunk in r.iter_bytes():  # as received: a fixed chunk size would wait for it to fill
                size += len(chunk)
                if size > cap:
                    raise TooLarge(f"too large: more than {cap} bytes")
                if time.monotonic() > deadline:
                    raise TooLarge(f"too slow: response not complete after {budget:.0f} s ({size} bytes)")
                h.update(chunk)
                if fh:
                    fh.write(chunk)
                else:
                    chunks.append(chunk)
        except TooLarge:
            if fh:
                fh.close()
                fh = None
                to_file.unlink(missing_ok=True)
            raise
        finally:
            if fh:
                fh.close()
        return Response(url, r.status_code, hdrs, body=None if to_file else b"".join(chunks),
                        file=to_file, sha256=h.hexdigest(), size=size)
