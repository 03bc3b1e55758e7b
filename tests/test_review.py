"""Reviewers' decisions: the API, the token, the journal that survives a store rebuild,
decisions that lapse when a flag's figures change, stable flag ids, and the export."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import SAMPLES, SEED_000, SEED_002


def run(paths, out, recompute=False):
    from budgetlens.engine.run import run_job

    run_job([str(p) for p in paths], out, quiet=True, skip_known=not recompute)


@pytest.fixture
def out(tmp_path):
    d = tmp_path / "out"
    run([SAMPLES], d)
    return d


def client(out, **kw):
    from starlette.testclient import TestClient

    from budgetlens.review import create_app

    return TestClient(create_app(out, **kw), base_url="http://127.0.0.1")


def test_api_lists_reviews_and_hides_dismissed(out):
    c = client(out)
    flags = c.get("/api/flags").json()["flags"]
    assert len(flags) >= 2 and all(f["decision"] == "open" for f in flags)
    a, b = flags[0]["flag_id"], flags[1]["flag_id"]
    r = c.post(f"/api/flags/{a}/review", json={"decision": "dismissed", "note": "读过原文，无误"})
    assert r.status_code == 200 and r.json()["decision"] == "dismissed" and r.json()["stored"] is True
    assert c.post(f"/api/flags/{b}/review", json={"decision": "confirmed"}).status_code == 200
    ids = lambda q: {f["flag_id"] for f in c.get("/api/flags" + q).json()["flags"]}  # noqa: E731
    assert a not in ids("") and b in ids("")
    assert ids("?decision=dismissed") == {a} and ids("?decision=confirmed") == {b}
    assert a in ids("?decision=all") and b not in ids("?decision=open")
    assert a not in c.get("/").text and a in c.get("/?decision=dismissed").text
    # bad requests
    assert c.post(f"/api/flags/{a}/review", json={"decision": "maybe"}).status_code == 400
    assert c.post("/api/flags/nope/review", json={"decision": "dismissed"}).status_code == 404
    assert c.post(f"/api/flags/{a}/review", content=json.dumps({"decision": "dismissed"}),
                  headers={"content-type": "text/plain"}).status_code == 415  # what a cross-site form sends
    assert c.post(f"/api/flags/{a}/review", json={"decision": "dismissed"},
                  headers={"origin": "http://evil.example"}).status_code == 403
    assert c.get("/", headers={"host": "evil.example"}).status_code == 400  # DNS rebinding
    # history is kept, never overwritten
    c.post(f"/api/flags/{a}/review", json={"decision": "confirmed", "note": "on second thoughts"})
    page = c.get(f"/flags/{a}").text
    assert "读过原文，无误" in page and "on second thoughts" in page
    assert a in ids("?decision=confirmed")


def test_tika_flag_shows_quoted_text_instead_of_picture(out):
    c = client(out)
    fid = c.get("/api/flags").json()["flags"][0]["flag_id"]
    page = c.get(f"/flags/{fid}")
    assert page.status_code == 200 and "no page in this format" in page.text and "evidence-picture" not in page.text
    assert "Content-Security-Policy" in page.headers
    assert c.get(f"/api/flags/{fid}/evidence.png").status_code == 404


def test_token_refusal_and_writes_need_the_token(out, monkeypatch):
    from budgetlens.review.app import RefusedToStart, check_bind

    with pytest.raises(RefusedToStart):
        check_bind("0.0.0.0", None)
    with pytest.raises(RefusedToStart):
        check_bind("192.168.1.20", "")
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("0.0.0.0", "s3cret")
    monkeypatch.delenv("BUDGETLENS_REVIEW_TOKEN", raising=False)
    res = subprocess.run([sys.executable, "-m", "budgetlens.pipelines.cli", "review", str(out), "--host", "0.0.0.0"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "token" in res.stderr and "Traceback" not in res.stderr

    c = client(out, token="s3cret", loopback=False)
    fid = c.get("/api/flags").json()["flags"][0]["flag_id"]
    body = {"decision": "dismissed"}
    assert c.post(f"/api/flags/{fid}/review", json=body).status_code == 403
    assert c.post(f"/api/flags/{fid}/review", json=body, headers={"x-review-token": "wrong"}).status_code == 403
    assert c.post(f"/api/flags/{fid}/review", json=body, headers={"x-review-token": "s3cret"}).status_code == 200
    c.get("/login?token=s3cret")  # the cookie a browser keeps
    assert c.post(f"/api/flags/{fid}/review", json={"decision": "confirmed"}).status_code == 200


def test_decisions_survive_rerun_and_rebuild_and_lapse_when_figures_change(out):
    from budgetlens.review import ReviewStore
    from budgetlens.store import Store

    c = client(out)
    fid = c.get("/api/flags").json()["flags"][0]["flag_id"]
    c.post(f"/api/flags/{fid}/review", json={"decision": "dismissed", "note": "n"})
    journal = out / "reviews.jsonl"
    assert json.loads(journal.read_text(encoding="utf-8").splitlines()[-1])["flag_id"] == fid

    run([SAMPLES], out, recompute=True)  # a re-run: same flag_id, same figures
    assert fid in set(ReviewStore(out).flags(decision="dismissed")["flag_id"])
    assert f"id=\"f-{fid}\"" not in (out / "report.html").read_text(encoding="utf-8")

    (out / "budgetlens.duckdb").unlink()  # the store rebuilt from the inputs: the journal brings decisions back
    for stale in out.glob("budgetlens.duckdb.wal"):
        stale.unlink()
    run([SAMPLES], out)
    with Store(out / "budgetlens.duckdb", read_only=True) as s:
        assert s.con.execute("SELECT count(*) FROM reviews WHERE flag_id = ?", [fid]).fetchone()[0] == 1
    assert fid in set(ReviewStore(out).flags(decision="dismissed")["flag_id"])

    with Store(out / "budgetlens.duckdb") as s:  # the flag's figures change: it is open again
        s.con.execute("UPDATE flags SET stated = coalesce(stated, 0) + 1 WHERE flag_id = ?", [fid])
    flags = ReviewStore(out).flags()
    row = flags[flags["flag_id"] == fid]
    assert len(row) == 1 and row.iloc[0]["decision"] == "open" and bool(row.iloc[0]["changed"])


def test_flag_ids_do_not_depend_on_run_order(tmp_path):
    from budgetlens.store import Store

    def ids(d):
        with Store(d / "budgetlens.duckdb", read_only=True) as s:
            return sorted(s.con.execute("SELECT doc_id, flag_id FROM flags").fetchall())

    a, b = tmp_path / "a", tmp_path / "b"
    run([SEED_000, SEED_002], a)
    run([SEED_002], b)
    run([SEED_000], b)
    assert ids(a) and ids(a) == ids(b)


def test_export_reviewed_csv_and_xlsx(out, tmp_path):
    import openpyxl
    import pandas as pd

    c = client(out)
    flags = c.get("/api/flags").json()["flags"]
    c.post(f"/api/flags/{flags[0]['flag_id']}/review", json={"decision": "confirmed", "note": "进审计底稿"})
    c.post(f"/api/flags/{flags[1]['flag_id']}/review", json={"decision": "dismissed"})
    dest = tmp_path / "audit"
    res = subprocess.run([sys.executable, "-m", "budgetlens.pipelines.cli", "export", "--store", str(out),
                          "--reviewed", "--out", str(dest)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    csv = pd.read_csv(dest / "reviewed_findings.csv", encoding="utf-8-sig")
    assert list(csv["flag_id"]) == [flags[0]["flag_id"]] and csv["note"][0] == "进审计底稿"
    assert csv["evidence"][0].startswith(flags[0]["evidence"][0][:20])
    wb = openpyxl.load_workbook(dest / "reviewed_findings.xlsx")
    assert wb.sheetnames == ["findings", "evidence"]
    assert wb["findings"].cell(2, 1).value == flags[0]["flag_id"]
    assert wb["evidence"].max_row == 1 + len(flags[0]["evidence"])


def test_report_leaves_out_dismissed_flags_whatever_the_chunk(out, monkeypatch):
    """report.html reads each document's flags, tables and verdicts from the store a chunk
    of documents at a time: the page is the same with one document per chunk as with all
    in one, and a dismissed flag is left out of both the sections and the counts."""
    import re

    from budgetlens.report import html as report_html
    from budgetlens.store.duck import Store

    c = client(out)
    flags = c.get("/api/flags").json()["flags"]
    a, b = flags[0]["flag_id"], flags[1]["flag_id"]

    def page(chunk: int) -> str:
        monkeypatch.setattr(report_html, "CHUNK_DOCS", chunk)
        with Store(out / "budgetlens.duckdb", read_only=True) as store:
            return report_html.write_report(store, out / f"r{chunk}.html").read_text(encoding="utf-8")

    before = page(1000)
    n_before = int(re.search(r"<span id=\"flag-count\">(\d+)<", before).group(1))
    assert f'id="f-{a}"' in before and f'id="f-{b}"' in before and "dismissed by a reviewer" not in before
    assert c.post(f"/api/flags/{a}/review", json={"decision": "dismissed"}).status_code == 200
    assert c.post(f"/api/flags/{b}/review", json={"decision": "confirmed"}).status_code == 200
    whole, chunked = page(1000), page(1)
    assert whole == chunked
    assert f'id="f-{a}"' not in whole and f'id="f-{b}"' in whole
    assert "1 flag dismissed by a reviewer is not shown" in whole
    assert int(re.search(r"<span id=\"flag-count\">(\d+)<", whole).group(1)) == n_before - 1
