"""The crawler against a hostile server on 127.0.0.1: endless redirects, a response that
never ends (fast, and trickling), a 10 GB Content-Length, links and redirects to a host
outside the configured ones, robots.txt disallowing everything.  Each must be bounded
(in requests, bytes and time), recorded with a reason, and never followed past its limit.

`localhost` and `127.0.0.1` reach the same server under two host names: only the second
is configured, so any request that arrives for the first was an off-host fetch."""
from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from budgetlens.crawler.config import Config
from budgetlens.crawler.crawl import discover, fetch_one
from budgetlens.crawler.fetch import Fetcher
from budgetlens.crawler.links import Link
from budgetlens.crawler.rawstore import RawStore

CAP = 1 << 20  # the crawler's size cap in these tests
TEN_GB = 10 * 1024 ** 3


class Hostile:
    def __init__(self, robots: str = "User-agent: *\nAllow: /\n"):
        self.hits: Counter = Counter()  # (host header name, path) -> n
        self.sent: Counter = Counter()  # path -> body bytes written
        self.stop = threading.Event()
        self.robots = robots
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.handle_error = lambda *a: None  # clients hanging up on us: expected
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self):
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        srv = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _send(self, code, body=b"", ctype="text/html; charset=utf-8", **headers):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k.replace("_", "-"), v)
                self.end_headers()
                self.wfile.write(body)

            def _stream(self, chunk: bytes, pause: float, length: str | None = None):
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                if length:
                    self.send_header("Content-Length", length)
                self.send_header("Connection", "close")
                self.end_headers()
                path = self.path
                try:
                    self.wfile.write(b"%PDF-1.4\n")
                    while not srv.stop.is_set():
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        srv.sent[path] += len(chunk)
                        if pause:
                            time.sleep(pause)
                except OSError:
                    pass  # the client gave up: what it should do

            def do_GET(self):
                host = (self.headers.get("Host") or "").split(":")[0]
                srv.hits[(host, self.path.split("?")[0])] += 1
                p = self.path
                if p == "/robots.txt":
                    return self._send(200, srv.robots.encode(), "text/plain")
                if p == "/index.html":
                    links = [srv.url("/elsewhere/预算.pdf", host="localhost"), "http://example.invalid/决算.pdf",
                             "/loop/0", "/huge.pdf"]
                    body = "".join(f"<a href='{u}'>2024年部门预算公开 {i}</a>" for i, u in enumerate(links))
                    return self._send(200, f"<html><body>{body}</body></html>".encode())
                if p.startswith("/loop/"):
                    n = int(p.rsplit("/", 1)[1])
                    return self._send(302, Location=f"/loop/{n + 1}")
                if p == "/to_elsewhere.pdf":
                    return self._send(302, Location=srv.url("/elsewhere/secret.pdf", host="localhost"))
                if p == "/endless.pdf":
                    return self._stream(b"0" * 65536, 0)
                if p == "/trickle.pdf":
                    return self._stream(b"0", 0.1)
                if p == "/huge.pdf":
                    return self._stream(b"0" * 65536, 0.01, length=str(TEN_GB))
                if p.startswith("/elsewhere/"):
                    return self._send(200, b"%PDF-1.4 should never be fetched", "application/pdf")
                return self._send(404, b"not found")

        return H


@pytest.fixture
def hostile():
    h = Hostile()
    yield h
    h.close()


def config_for(h: Hostile, tmp_path, **kw) -> Config:
    base = dict(sources=[h.url("/index.html")], hosts=[], store_path=tmp_path / "s.duckdb", raw_dir=tmp_path / "raw",
                rate_limit_per_host=0.0, max_bytes=CAP, timeout=2.0, retries=1, backoff=0.01)
    base.update(kw)
    return Config(**base)


def fetch_record(h, tmp_path, path, **kw):
    cfg = config_for(h, tmp_path, **kw)
    with Fetcher(cfg) as f:
        link = Link(h.url(path), "2024年部门预算", "document", h.url("/index.html"))
        return fetch_one(link, cfg, RawStore(cfg.raw_dir), None, f), f.requests


def test_endless_redirects_stop_and_are_recorded(hostile, tmp_path):
    rec, requests = fetch_record(hostile, tmp_path, "/loop/0")
    assert rec.outcome == "error" and "too many redirects" in rec.note
    loops = sum(n for (host, path), n in hostile.hits.items() if path.startswith("/loop/"))
    assert loops <= 2 * 10  # bounded (a few hops, times the retries), not endless
    assert requests <= 2 * 10 + 1


def test_response_that_never_ends_is_cut_at_the_size_cap(hostile, tmp_path):
    t0 = time.monotonic()
    rec, _ = fetch_record(hostile, tmp_path, "/endless.pdf")
    assert rec.outcome == "too_large" and str(CAP) in rec.note
    assert time.monotonic() - t0 < 20
    assert not list((tmp_path / "raw" / "blobs").rglob("*.pdf"))  # nothing half-downloaded is kept


def test_trickling_response_is_bounded_in_time(hostile, tmp_path):
    """One byte every 0.1 s never trips a per-read timeout; only a deadline per response
    (or the size cap, after 12 days at this rate) ends it."""
    result = {}

    def run():
        result["rec"] = fetch_record(hostile, tmp_path, "/trickle.pdf", timeout=1.0, retries=0)[0]

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(15)  # the fetch gives up after 3 s (3 x timeout); 15 s leaves room for a loaded machine
    bounded = not t.is_alive()
    hostile.stop.set()  # end the trickle so the fetch returns either way
    t.join(10)
    assert bounded, "a trickling server kept the fetch open past its deadline"
    assert result["rec"].outcome in ("error", "too_large") and "too slow" in result["rec"].note


def test_ten_gigabyte_content_length_is_refused_before_reading(hostile, tmp_path):
    rec, _ = fetch_record(hostile, tmp_path, "/huge.pdf")
    assert rec.outcome == "too_large" and str(TEN_GB) in rec.note
    assert hostile.sent["/huge.pdf"] <= 4 * CAP  # the client hung up instead of reading 10 GB


def test_redirect_to_another_host_is_not_followed(hostile, tmp_path):
    rec, _ = fetch_record(hostile, tmp_path, "/to_elsewhere.pdf")
    assert rec.outcome == "error" and "off-host" in rec.note
    assert not [k for k in hostile.hits if k[0] == "localhost"]


def test_links_to_other_hosts_are_recorded_not_fetched(hostile, tmp_path):
    cfg = config_for(hostile, tmp_path)
    d = discover(cfg)
    off = [p for p in d.problems if p.outcome == "off_host"]
    assert {p.url for p in off} >= {hostile.url("/elsewhere/预算.pdf", host="localhost"), "http://example.invalid/决算.pdf"}
    assert d.off_host >= 2
    assert not [k for k in hostile.hits if k[0] == "localhost"]


def test_robots_disallowing_everything_is_obeyed_and_recorded(tmp_path):
    h = Hostile(robots="User-agent: *\nDisallow: /\n")
    try:
        rec, requests = fetch_record(h, tmp_path, "/huge.pdf")
        assert rec.outcome == "robots" and "robots" in rec.note
        d = discover(config_for(h, tmp_path))
        assert d.pages == [] and any("robots" in (p.note or "") for p in d.problems)
        assert set(path for _, path in h.hits) == {"/robots.txt"}  # nothing else was asked for
    finally:
        h.close()
