"""`budgetlens review` in headless Chromium: open a flag, see the picture of its page,
dismiss it, reload, still dismissed; the list hides it; a re-run keeps the decision; a
document whose text carries `<script>` renders inert in the app and in report.html."""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from cdp import CHROMIUM, Browser, free_port
from conftest import REAL, SEED_000

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")]
SH02 = next(iter(sorted(REAL.glob("SH02_*.pdf"))), None) if REAL.is_dir() else None
INJECTED = "<script>window.__pwned=1</script>"
DOCS_SHOT = Path(__file__).resolve().parents[1] / "docs" / "review-flag.png"


class Server:
    def __init__(self, out: Path):
        import uvicorn

        from budgetlens.review import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(out, reviewer="test"), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started, "review app did not start"

    def json(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.load(r)

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


def run(paths, out, recompute=False):
    from budgetlens.engine.run import run_job

    run_job([str(p) for p in paths], out, quiet=True, skip_known=not recompute)


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "profile")
    yield b
    b.close()


@pytest.mark.real
@pytest.mark.skipif(SH02 is None, reason="../shared/real is not available")
def test_open_flag_see_picture_dismiss_reload_rerun(tmp_path, browser):
    out = tmp_path / "out"
    inputs = [SH02, SEED_000]
    run(inputs, out)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert ".pdf#page=" in report  # each flag's evidence links to its page
    server = Server(out)
    try:
        flags = server.json("/api/flags")["flags"]
        with_page = [f for f in flags if f["page"] and f["file"].endswith(".pdf")]
        assert with_page, "no flag of the PDF carries a page"
        flag = with_page[0]
        fid = flag["flag_id"]

        browser.goto(server.url + "/")
        assert browser.eval(f"!!document.querySelector('tr[data-flag-id=\"{fid}\"]')")
        browser.goto(f"{server.url}/flags/{fid}")
        browser.wait("[...document.querySelectorAll('img.evidence-picture')].length > 0 && "
                     "[...document.querySelectorAll('img.evidence-picture')].every(i => i.complete && i.naturalWidth > 200)")
        assert browser.eval("document.querySelector('mark.fig') !== null")  # the figure highlighted
        assert browser.eval("document.getElementById('decision').textContent") == "open"
        shot = tmp_path / "flag.png"
        browser.screenshot(shot)
        assert shot.stat().st_size > 20_000
        if os.environ.get("BUDGETLENS_UPDATE_DOCS"):
            DOCS_SHOT.parent.mkdir(exist_ok=True)
            shutil.copy(shot, DOCS_SHOT)

        browser.eval("document.getElementById('note').value = 'rounding in the table, not an error'")
        browser.eval("document.getElementById('dismiss').click()")
        browser.wait("document.getElementById('review-status').textContent === 'saved'")
        browser.reload()
        assert browser.eval("document.getElementById('decision').textContent") == "dismissed"
        assert browser.eval("document.querySelector('table.history td:nth-child(4)').textContent") == \
            "rounding in the table, not an error"
        browser.goto(server.url + "/")
        assert browser.eval(f"document.querySelector('tr[data-flag-id=\"{fid}\"]') === null")  # hidden by default
        assert fid in {f["flag_id"] for f in server.json("/api/flags?decision=dismissed")["flags"]}
    finally:
        server.stop()

    # a re-run (everything recomputed) keeps the decision: flag_id is stable
    run(inputs, out, recompute=True)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert f"id=\"f-{fid}\"" not in report and "dismissed by a reviewer" in report
    server = Server(out)
    try:
        assert fid in {f["flag_id"] for f in server.json("/api/flags?decision=dismissed")["flags"]}
        assert fid not in {f["flag_id"] for f in server.json("/api/flags")["flags"]}
        browser.goto(f"{server.url}/flags/{fid}")
        assert browser.eval("document.getElementById('decision').textContent") == "dismissed"
    finally:
        server.stop()


def test_script_in_document_text_renders_inert(tmp_path, browser):
    src = SEED_000.read_text(encoding="utf-8")
    assert "8、暑期慰问3万元" in src
    evil = tmp_path / "in" / "evil.txt"
    evil.parent.mkdir()
    evil.write_text(src.replace("8、暑期慰问3万元", f"8、暑期慰问{INJECTED}3万元", 1), encoding="utf-8")
    out = tmp_path / "out"
    run([evil], out)
    server = Server(out)
    try:
        flags = server.json("/api/flags?decision=all")["flags"]
        hit = [f for f in flags if any(INJECTED in e for e in f["evidence"])]
        assert hit, "the injected text should be quoted in a flag's evidence"
        fid = hit[0]["flag_id"]
        for url in (f"{server.url}/flags/{fid}", server.url + "/?decision=all"):
            browser.goto(url)
            assert browser.eval("window.__pwned === undefined")
        browser.goto(f"{server.url}/flags/{fid}")
        assert browser.eval(f"document.body.textContent.includes({json.dumps(INJECTED)})")  # shown as text
        assert browser.eval("document.querySelectorAll('main script').length") == 0
    finally:
        server.stop()
    browser.goto((out / "report.html").as_uri())
    assert browser.eval("window.__pwned === undefined")
    assert browser.eval(f"document.body.textContent.includes({json.dumps(INJECTED)})")
