"""report.html: one self-contained page (no CDN) listing documents, their tables and flags."""
from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd


def _e(x) -> str:
    return html.escape("" if x is None or (isinstance(x, float) and pd.isna(x)) else str(x))


def write_report(store, path: str | Path, sources: list[str] | None = None) -> Path:
    path = Path(path)
    docs = store.table("documents")
    flags = store.table("flags")
    cells = store.table("table_cells")
    if sources is not None:
        docs = docs[docs["source"].isin(sources)]
        flags = flags[flags["source"].isin(sources)]
        cells = cells[cells["source"].isin(sources)]
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>budgetlens report</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}.error{color:#b00}.warning{color:#a60}"
        ".info{color:#555}.doc{margin-top:2em;border-top:2px solid #333}</style></head><body>",
        f"<h1>budgetlens report</h1><p>{len(docs)} documents, {int((docs['status'] != 'ok').sum())} errors, "
        f"<span id='flag-count'>{len(flags)}</span> flags.</p>",
        "<table><tr><th>document</th><th>department</th><th>year</th><th>kind</th><th>status</th><th>flags</th></tr>",
    ]
    for _, d in docs.iterrows():
        n = int((flags["doc_id"] == d["doc_id"]).sum())
        parts.append(f"<tr><td><a href='#d-{_e(d['doc_id'])}'>{_e(Path(str(d['source'])).name)}</a></td>"
                     f"<td>{_e(d['department'])}</td><td>{_e(d['year'])}</td><td>{_e(d['doc_kind'])}</td>"
                     f"<td>{_e(d['status'])} {_e(d['error'])}</td><td>{n}</td></tr>")
    parts.append("</table>")
    for _, d in docs.iterrows():
        parts.append(f"<div class='doc' id='d-{_e(d['doc_id'])}'><h2>{_e(Path(str(d['source'])).name)}</h2>")
        if d["status"] != "ok":
            parts.append(f"<p class='error'>error: {_e(d['error'])}</p></div>")
            continue
        fl = flags[flags["doc_id"] == d["doc_id"]]
        for _, f in fl.iterrows():
            ev = "".join(f"<li>{_e(x)}</li>" for x in (f["evidence"] if f["evidence"] is not None else []))
            parts.append(f"<div class='flag {_e(f['severity'])}'><b>[{_e(f['severity'])}] {_e(f['family'])} / "
                         f"{_e(f['rule'])}</b>: {_e(f['message'])}<ul>{ev}</ul></div>")
        tc = cells[cells["doc_id"] == d["doc_id"]]
        if len(tc):
            summary = tc.groupby(["table_id", "table_type", "title", "unit"], dropna=False).size().reset_index(name="cells")
            parts.append("<table><tr><th>table</th><th>type</th><th>unit</th><th>numeric cells</th></tr>")
            for _, t in summary.iterrows():
                parts.append(f"<tr><td>{_e(t['title'])}</td><td>{_e(t['table_type'])}</td><td>{_e(t['unit'])}</td>"
                             f"<td>{_e(t['cells'])}</td></tr>")
            parts.append("</table>")
        parts.append("</div>")
    parts.append("</body></html>")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text("".join(parts), encoding="utf-8")
    os.replace(tmp, path)
    return path
