"""The crawler against a real HTTP server on 127.0.0.1 (no mocks of httpx), and
incremental processing of what it fetched — all without Prefect."""
from __future__ import annotations

import time

import duckdb
import pytest
from portal import Portal, write_config


@pytest.fixture
def portal():
    p = Portal().start()
    yield p
    p.stop()


def test_crawl_fetches_each_document_once_then_nothing_new(portal, tmp_path):
    from budgetlens.crawler import RawStore, load_config
    from budgetlens.crawler.crawl import crawl

    config = load_config(write_config(tmp_path, portal))
    first = crawl(config)
    by_path = {r.url.split(str(portal.port), 1)[1]: r for r in first.records}
    for path in portal.expected_documents:
        assert by_path[path].outcome == "new", (path, by_path[path])
        assert portal.downloads(path) == 1, path
    # the same content at a second URL is stored once
    assert by_path["/files/copy/2022_002_单位预算.txt"].outcome == "unchanged"
    assert by_path["/files/copy/2022_002_单位预算.txt"].path == by_path["/files/2022_002_单位预算.txt"].path
    # a 500 that recovers and a response slower than the timeout are retried
    assert by_path["/files/flaky_决算.txt"].attempts == 2 and portal.hits[("/files/flaky_决算.txt", 500)] == 1
    assert by_path["/files/slow_三公经费.txt"].attempts == 2
    # failures are recorded, not fatal
    assert by_path["/files/missing_预算.pdf"].outcome == "error" and by_path["/files/missing_预算.pdf"].status == 404
    assert by_path["/files/附件3.pdf"].outcome == "not_a_document"  # an HTML page served as .pdf
    assert by_path["/files/big_预算.pdf"].outcome == "too_large"
    assert by_path["/private/secret_预算.pdf"].outcome == "robots"
    assert portal.hits[("/private/secret_预算.pdf", 200)] == 0
    assert by_path["/files/附件2.doc"].outcome == "unsupported"  # no Tika configured: kept, not dropped
    # never another host: neither links nor redirects to localhost:<port> were followed
    assert not [k for k in portal.hits if str(k[0]).startswith("OFF-HOST")]
    assert first.off_host == 2 and "off-host" in by_path["/files/redirect_预算.pdf"].note
    # a link without a disclosure word on a list page is not a document
    assert "/files/notice.pdf" not in by_path

    raw = RawStore(config.raw_dir)
    blobs = [p for p in raw.blobs.rglob("*") if p.is_file()]
    assert len(blobs) == len(portal.expected_documents) + 1  # + the .doc
    manifest = raw.records()
    assert {"url", "fetched_at", "sha256", "status"} <= set(vars(manifest[0]))

    second = crawl(config)
    assert second.new == 0 and second.not_modified == len(portal.expected_documents) + 2
    for path in portal.expected_documents:
        assert portal.downloads(path) == 1, path  # conditional requests: 304, no body
    assert portal.hits[("/files/2022_002_单位预算.txt", 304)] == 1  # Last-Modified validator
    assert portal.hits[("/files/2024_000_部门预算.txt", 304)] == 1  # ETag validator
    assert len([p for p in raw.blobs.rglob("*") if p.is_file()]) == len(blobs)


def test_process_after_crawl_skips_unchanged(portal, tmp_path):
    from budgetlens.crawler import load_config
    from budgetlens.crawler.crawl import crawl
    from budgetlens.crawler.inputs import process_raw

    config = load_config(write_config(tmp_path, portal))
    crawl(config)
    s1 = process_raw(config)
    n = len(portal.expected_documents) + 1
    assert s1.processed == n and s1.skipped == 0
    crawl(config)
    s2 = process_raw(config)
    assert s2.processed == 0 and s2.skipped == n
    con = duckdb.connect(str(config.store_path), read_only=True)
    rows = dict(con.execute("SELECT source, status FROM documents").fetchall())
    err = con.execute("SELECT error FROM documents WHERE source LIKE '%.doc'").fetchone()[0]
    n_docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    con.close()
    assert n_docs == n  # re-processing never duplicates
    assert all(s.startswith(portal.base) for s in rows)  # rows carry the document's URL
    assert "unsupported" in err and "Tika" in err
    assert (tmp_path / "data" / "report.html").is_file()


def test_process_of_an_unchanged_crawl_parses_nothing(portal, tmp_path, monkeypatch):
    """A scheduled `process` pairs the raw store's files from the profiles the store
    remembers: an unchanged crawl parses no file (each run used to read every file of the
    raw store to pair it), and the first run parses each file once."""
    from budgetlens import readers
    from budgetlens.crawler import load_config
    from budgetlens.crawler.crawl import crawl
    from budgetlens.crawler.inputs import process_raw

    parsed: list = []
    real = readers._dispatch
    monkeypatch.setattr(readers, "_dispatch", lambda path, fmt, lim: parsed.append(path) or real(path, fmt, lim))
    config = load_config(write_config(tmp_path, portal))
    crawl(config)
    s1 = process_raw(config)
    assert s1.processed == len(portal.expected_documents) + 1
    assert parsed and len(parsed) == len(set(parsed))  # each file once: pairing's read is the document's
    parsed.clear()
    crawl(config)
    s2 = process_raw(config)
    assert s2.processed == 0 and parsed == []
    assert not list(config.store_path.parent.glob(".read-ahead*"))


def test_changed_document_is_fetched_and_reprocessed(portal, tmp_path):
    from budgetlens.crawler import load_config
    from budgetlens.crawler.crawl import crawl
    from budgetlens.crawler.inputs import process_raw

    config = load_config(write_config(tmp_path, portal))
    crawl(config)
    process_raw(config)
    path = "/files/2024_000_部门预算.txt"
    body, ctype, kind = portal.files[path]
    portal.files[path] = (body.replace("信访局".encode(), "信访办".encode()), ctype, kind)
    s = crawl(config)
    assert s.new == 1
    p = process_raw(config)
    assert p.processed == 1
    con = duckdb.connect(str(config.store_path), read_only=True)
    deps = [r[0] for r in con.execute("SELECT department FROM documents WHERE source LIKE '%2024_000%'").fetchall()]
    con.close()
    assert len(deps) == 1 and "信访办" in (deps[0] or "")  # replaced, not added


def test_tika_hand_off(portal, tmp_path):
    """A .doc goes to the configured Tika server and comes back as text in the seeds' format."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from conftest import SEED_002

    from budgetlens.crawler import load_config
    from budgetlens.crawler.crawl import crawl
    from budgetlens.crawler.inputs import process_raw

    seen = []

    class Tika(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_PUT(self):
            data = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers.get("Accept"), data[:8]))
            body = SEED_002.read_bytes().replace("信访局".encode(), "民政局".encode())
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Tika)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        config = load_config(write_config(tmp_path, portal, tika=f"http://127.0.0.1:{srv.server_address[1]}"))
        s = crawl(config)
        doc = [r for r in s.records if r.url.endswith(".doc")][0]
        assert seen and seen[0][0] == "/tika" and "text/plain" in seen[0][1] and seen[0][2].startswith(b"\xd0\xcf")
        assert doc.text_path and doc.text_path.endswith(".tika.txt")
        process_raw(config)
        con = duckdb.connect(str(config.store_path), read_only=True)
        status = con.execute("SELECT status FROM documents WHERE source LIKE '%.doc'").fetchone()[0]
        con.close()
        assert status == "ok"
    finally:
        srv.shutdown()
        srv.server_close()


def test_rate_limit_is_per_host():
    from budgetlens.crawler.fetch import RateLimiter

    rl = RateLimiter(0.5)
    t0 = time.monotonic()
    for _ in range(3):
        rl.wait("a.example")
    rl.wait("b.example")  # another host does not wait for a.example (a shared limit would make it 1.5 s)
    assert 0.95 <= time.monotonic() - t0 < 1.4


def test_links_and_config(tmp_path):
    from budgetlens.crawler.config import ConfigError, load_config
    from budgetlens.crawler.links import extract_links

    html = """<a href="/a/2024年部门预算.pdf">下载</a><a href="x.docx">三公经费说明</a><a href="y.pdf">招聘公告附件</a>
    <a href="list_2.html">2</a><a href="https://elsewhere.example/juesuan/1.html">决算</a><a href="news.html">新闻</a>"""
    links = {l.url.rsplit("/", 1)[1]: l.kind for l in extract_links(html.encode(), "http://a.example/gk/index.html")}
    assert links == {"2024年部门预算.pdf": "document", "x.docx": "document", "list_2.html": "pagination",
                     "1.html": "page"}  # an attachment without a disclosure word on a list page is skipped
    detail = extract_links(html.encode(), "http://a.example/gk/detail.html", on_detail_page=True)
    assert "y.pdf" in {l.url.rsplit("/", 1)[1] for l in detail if l.kind == "document"}
    cfg = tmp_path / "c.toml"
    cfg.write_text('[crawl]\nsources = ["ftp://x"]\n')
    with pytest.raises(ConfigError):
        load_config(cfg)
    with pytest.raises(ConfigError):
        load_config(tmp_path / "missing.toml")
    cfg.write_text('[crawl]\nsources = ["https://a.example/x"]\nhosts=["cdn.example"]\n'
                   'schedule = { cron = "0 3 * * *", timezone = "Asia/Shanghai" }\n[store]\npath = "s/b.duckdb"\n')
    c = load_config(cfg)
    assert c.allowed_hosts == {"a.example", "cdn.example"} and c.raw_dir == tmp_path / "s" / "raw"
    assert c.schedule.cron == "0 3 * * *"
