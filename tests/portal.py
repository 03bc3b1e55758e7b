"""A fixture disclosure portal on 127.0.0.1 (http.server in a thread), for crawler tests.

    /robots.txt                    disallows /private/
    /yjsgk/index.html              list page 1: a detail page, a 404, pagination, off-host links
    /yjsgk/index_1.html            list page 2: the two seed documents, a slow one, a 500 that recovers
    /yjsgk/detail_1.html           detail page: real PDFs (when ../shared/real exists), a .doc,
                                   an HTML page served as .pdf, a file over the size cap, a robots-
                                   disallowed file, a redirect to another host
Documents answer conditional requests (ETag or Last-Modified) with 304.
"""
from __future__ import annotations

import email.utils
import hashlib
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from conftest import REAL, SEED_000, SEED_002

REAL_PICK = ["JS04_江苏省人大常委会办公厅2019年部门预算公开表.pdf", "SH13_上海市财政局2025年单位预算.pdf"]
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "部门预算".encode("utf-16-le") * 40
LAST_MODIFIED = email.utils.formatdate(1700000000, usegmt=True)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients that time out on the slow file reset the connection: expected


def real_pdfs() -> list[Path]:
    return [REAL / n for n in REAL_PICK if (REAL / n).is_file()]


class Portal:
    def __init__(self, max_bytes: int = 2_000_000, slow_seconds: float = 1.5):
        self.hits: Counter = Counter()  # (path, status) -> n
        self.first_seen: Counter = Counter()
        self.slow_seconds = slow_seconds
        self.files: dict[str, tuple[bytes, str, str]] = {}  # path -> (body, content-type, validator kind)
        self.files["/files/2024_000_部门预算.txt"] = (SEED_000.read_bytes(), "text/plain; charset=utf-8", "etag")
        self.files["/files/2022_002_单位预算.txt"] = (SEED_002.read_bytes(), "text/plain; charset=utf-8", "last-modified")
        # the same content at a second URL: stored once
        self.files["/files/copy/2022_002_单位预算.txt"] = (SEED_002.read_bytes(), "text/plain; charset=utf-8", "etag")
        self.files["/files/slow_三公经费.txt"] = (SEED_000.read_bytes().replace("信访局".encode(), "档案局".encode()),
                                                "text/plain; charset=utf-8", "etag")
        self.files["/files/flaky_决算.txt"] = (SEED_002.read_bytes().replace("信访局".encode(), "统计局".encode()),
                                             "text/plain; charset=utf-8", "etag")
        self.files["/files/附件2.doc"] = (OLE, "application/msword", "etag")
        self.files["/files/附件3.pdf"] = ("<!DOCTYPE html><html><body>404 页面不存在</body></html>".encode(), "application/pdf", "etag")
        self.files["/files/big_预算.pdf"] = (b"%PDF-1.4\n" + b"0" * (max_bytes + 10), "application/pdf", "etag")
        self.files["/private/secret_预算.pdf"] = (b"%PDF-1.4 secret", "application/pdf", "etag")
        self.real = real_pdfs()
        for i, p in enumerate(self.real, 1):
            self.files[f"/files/real{i}.pdf"] = (p.read_bytes(), "application/pdf", "etag")
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        # the same server under another host name: must never be contacted
        self.other = f"http://localhost:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # documents the crawl should end up with (readable, distinct content)
    @property
    def expected_documents(self) -> list[str]:
        docs = ["/files/2024_000_部门预算.txt", "/files/2022_002_单位预算.txt", "/files/slow_三公经费.txt",
                "/files/flaky_决算.txt"]
        return docs + [f"/files/real{i}.pdf" for i in range(1, len(self.real) + 1)]

    def downloads(self, path: str) -> int:
        """Full (200) responses for one file."""
        return self.hits[(path, 200)]

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def pages(self) -> dict[str, str]:
        o = self.other
        detail_links = "".join(f'<li><a href="/files/real{i}.pdf">附件{i}.pdf</a></li>' for i in range(1, len(self.real) + 1))
        return {
            "/yjsgk/index.html": f"""<html><head><meta charset="utf-8"><title>预决算公开</title></head><body>
<ul>
<li><a href="detail_1.html">2024年部门预算公开</a></li>
<li><a href="/files/missing_预算.pdf">2023年部门预算（已撤回）</a></li>
<li><a href="/about.html">关于我们</a></li>
<li><a href="{o}/yjsgk/detail_9.html">另一站点的预算公开</a></li>
<li><a href="{o}/files/other_决算.pdf">另一站点的决算.pdf</a></li>
</ul>
<div class="page"><a href="index_1.html">下一页</a> <a href="index_1.html">2</a></div>
</body></html>""",
            "/yjsgk/index_1.html": """<html><head><meta charset="utf-8"></head><body>
<a href="/files/2024_000_部门预算.txt">秦皇岛市海港区信访局2024年部门预算</a>
<a href="/files/2022_002_单位预算.txt">廊坊市信访局2022年单位预算</a>
<a href="/files/copy/2022_002_单位预算.txt">廊坊市信访局2022年单位预算（镜像）</a>
<a href="/files/slow_三公经费.txt">“三公”经费说明</a>
<a href="/files/flaky_决算.txt">2023年决算</a>
<a href="/files/notice.pdf">通知.pdf</a>
<a href="index.html">上一页</a>
</body></html>""",
            "/yjsgk/detail_1.html": f"""<html><head><meta charset="utf-8"></head><body><h1>2024年部门预算公开</h1>
<ul>{detail_links}
<li><a href="/files/附件2.doc">附件2.doc</a></li>
<li><a href="/files/附件3.pdf">附件3.pdf</a></li>
<li><a href="/files/big_预算.pdf">附件4.pdf</a></li>
<li><a href="/private/secret_预算.pdf">内部预算.pdf</a></li>
<li><a href="/files/redirect_预算.pdf">附件5.pdf</a></li>
</ul></body></html>""",
        }

    def _handler(self):
        portal = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, status, body=b"", ctype="text/html; charset=utf-8", headers=None):
                path = unquote(urlsplit(self.path).path)
                portal.hits[(path, status)] += 1
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if body:
                    try:
                        self.wfile.write(body)
                    except (BrokenPipeError, ConnectionResetError):
                        pass

            def do_GET(self):
                host = (self.headers.get("Host") or "").split(":")[0]
                path = unquote(urlsplit(self.path).path)
                portal.first_seen[path] += 1
                n = portal.first_seen[path]
                if host != "127.0.0.1":
                    portal.hits[("OFF-HOST " + path, 200)] += 1
                    return self.send(200, b"<html>other host</html>")
                if path == "/robots.txt":
                    return self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
                pages = portal.pages()
                if path in pages:
                    return self.send(200, pages[path].encode("utf-8"))
                if path == "/files/redirect_预算.pdf":
                    return self.send(302, headers={"Location": portal.other + "/files/moved.pdf"})
                if path == "/files/slow_三公经费.txt" and n == 1:
                    time.sleep(portal.slow_seconds)  # longer than the client timeout, once
                    portal.hits[(path, "late")] += 1
                    self.close_connection = True
                    return
                if path == "/files/flaky_决算.txt" and n == 1:
                    return self.send(500, b"<html>Internal Server Error</html>")
                if path not in portal.files:
                    return self.send(404, b"<html>404</html>")
                body, ctype, kind = portal.files[path]
                etag = '"' + hashlib.md5(body).hexdigest() + '"'
                if kind == "etag":
                    if self.headers.get("If-None-Match") == etag:
                        return self.send(304, headers={"ETag": etag})
                    return self.send(200, body, ctype, {"ETag": etag})
                if self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                    return self.send(304, headers={"Last-Modified": LAST_MODIFIED})
                return self.send(200, body, ctype, {"Last-Modified": LAST_MODIFIED})

        return H


def write_config(tmp: Path, portal: Portal, **extra) -> Path:
    cfg = tmp / "budgetlens.toml"
    tika = f'\n[tika]\nurl = "{extra["tika"]}"\n' if extra.get("tika") else ""
    cfg.write_text(f"""
[crawl]
sources = ["{portal.base}/yjsgk/index.html"]
rate_limit_per_host = {extra.get("rate", 0.0)}
max_bytes = 2000000
timeout = 1.0
retries = 2
backoff = 0.05
user_agent = "budgetlens-test"
schedule = {{ cron = "30 3 * * 1-5", timezone = "Asia/Shanghai" }}

[store]
path = "data/budgetlens.duckdb"
{tika}""", encoding="utf-8")
    return cfg
