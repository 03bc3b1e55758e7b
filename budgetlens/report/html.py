"""report.html: the one page a reviewer reads.

Summary (counts, flags by family and by department as inline SVG, every document with
links), then per document its flags grouped by family and severity; each flag shows the
quoted sentences with the figure highlighted beside the table cells it cites.  One
self-contained file: no CDN, no external font, a few lines of inline JS for filtering."""
from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Iterable, Optional

import pandas as pd

from budgetlens.document.numbers import parse_number
from budgetlens.gazetteers import load
from urllib.parse import unquote

SEVERITIES = ["error", "warning", "info"]
SEV_COLOURS = {"error": "#c62828", "warning": "#ef8f00", "info": "#607d8b"}
FAMILIES = ["table.arithmetic", "narrative_vs_table", "narrative.arithmetic", "comparison", "indicator",
            "cross_document", "completeness", "text"]
NUMBER = re.compile(r"\d[\d,，]*(?:\.\d+)?")


def _e(x) -> str:
    if x is None or (isinstance(x, float) and pd.isna(x)) or x is pd.NA:
        return ""
    return html.escape(str(x))


def _missing(x) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _list(x) -> list:
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    try:
        return list(x)  # numpy arrays from DuckDB
    except TypeError:
        return []


def _num(x) -> str:
    if _missing(x):
        return ""
    x = float(x)
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def _labels():
    try:
        return load("report")
    except FileNotFoundError:
        return {"families": {}, "severities": {}, "doc_kinds": {}}


# -- evidence -------------------------------------------------------------------

def split_evidence(evidence: Iterable[str]) -> tuple[list[str], list[tuple[str, str, str, str]]]:
    """Sentences, and cells parsed from `表名 / 行 / 列 = 值`."""
    sentences, cells = [], []
    for ev in evidence:
        ev = str(ev)
        if " = " in ev and ev.count(" / ") >= 2:
            left, value = ev.rsplit(" = ", 1)
            parts = left.split(" / ")
            cells.append((" / ".join(parts[:-2]), parts[-2], parts[-1], value))
        else:
            sentences.append(ev)
    return sentences, cells


def highlight(sentence: str, figures: list[float], primary: Optional[float]) -> str:
    """The sentence, escaped, with the stated figure in <mark class=fig> and the other
    numbers the flag involves in <mark class=val>.  Numbers are matched by value, so 100,
    100.0 and 1,00 all count."""
    out, last, marked_primary = [], 0, False
    for m in NUMBER.finditer(sentence):
        v = parse_number(m.group())
        if v is None:
            continue
        cls = None
        if primary is not None and not marked_primary and abs(v - primary) < 1e-9:
            cls, marked_primary = "fig", True
        elif any(abs(v - f) < 1e-9 for f in figures):
            cls = "val"
        if cls:
            out.append(html.escape(sentence[last:m.start()]))
            out.append(f"<mark class='{cls}'>{html.escape(m.group())}</mark>")
            last = m.end()
    out.append(html.escape(sentence[last:]))
    return "".join(out)


# -- charts ---------------------------------------------------------------------

def bar_chart(counts: pd.DataFrame, title: str, label_width: int = 170, chart_id: str = "") -> str:
    """Horizontal bars stacked by severity; `counts` is indexed by label with one column per
    severity."""
    if counts.empty:
        return f"<figure class='chart'><figcaption>{_e(title)}</figcaption><p class='muted'>no flags</p></figure>"
    row_h, width, bar_w = 22, 640, 640 - label_width - 50
    total = counts.sum(axis=1)
    scale = bar_w / max(float(total.max()), 1.0)
    height = row_h * len(counts) + 30
    parts = [f"<figure class='chart' id='{chart_id}'><figcaption>{_e(title)}</figcaption>"
             f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
             f"aria-label='{_e(title)}'>"]
    for i, (label, row) in enumerate(counts.iterrows()):
        y = 6 + i * row_h
        parts.append(f"<text x='{label_width - 6}' y='{y + 14}' text-anchor='end' class='lbl'>{_e(label)}</text>")
        x = label_width
        for sev in SEVERITIES:
            n = int(row.get(sev, 0))
            if n:
                w = n * scale
                parts.append(f"<rect x='{x:.1f}' y='{y}' width='{w:.1f}' height='{row_h - 6}' fill='{SEV_COLOURS[sev]}'>"
                             f"<title>{_e(label)}: {n} {sev}</title></rect>")
                x += w
        parts.append(f"<text x='{x + 4:.1f}' y='{y + 14}' class='num'>{int(total[label])}</text>")
    ly = height - 8
    for j, sev in enumerate(SEVERITIES):
        parts.append(f"<rect x='{label_width + j * 90}' y='{ly - 9}' width='10' height='10' fill='{SEV_COLOURS[sev]}'/>"
                     f"<text x='{label_width + j * 90 + 14}' y='{ly}' class='lbl'>{sev}</text>")
    parts.append("</svg></figure>")
    return "".join(parts)


def _by(flags: pd.DataFrame, key: pd.Series, order: Optional[list] = None, top: Optional[int] = None) -> pd.DataFrame:
    if flags.empty:
        return pd.DataFrame()
    t = pd.crosstab(key, flags["severity"]).reindex(columns=SEVERITIES, fill_value=0)
    if order:
        t = t.reindex([o for o in order if o in t.index] + [i for i in t.index if i not in order])
    else:
        t = t.loc[t.sum(axis=1).sort_values(ascending=False).index]
    return t.head(top) if top else t


# -- page -------------------------------------------------------------------------

CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1280px;margin:0 auto;padding:1.5em 2em}
h1{margin:.2em 0}h2{margin:.3em 0;font-size:1.25em}h3{margin:1em 0 .3em;font-size:1.05em;border-bottom:1px solid #ddd}
h4{margin:.6em 0 .2em;font-size:.95em}
table{border-collapse:collapse}td,th{border:1px solid #d6d6d6;padding:3px 7px;font-size:13px;vertical-align:top}
th{background:#f0f0f0;text-align:left}.num{font-variant-numeric:tabular-nums;text-align:right}
.muted{color:#777}.pill{display:inline-block;border-radius:9px;padding:0 7px;font-size:12px;color:#fff}
.sev-error .pill,.pill.error{background:#c62828}.sev-warning .pill,.pill.warning{background:#ef8f00}
.sev-info .pill,.pill.info{background:#607d8b}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}.chart{margin:0}.chart figcaption{font-weight:bold;margin-bottom:.3em}
svg .lbl{font-size:12px;fill:#333}svg .num{font-size:12px;fill:#333}
.doc{background:#fff;border:1px solid #ddd;border-radius:6px;margin:1.5em 0;padding:.8em 1.2em}
.flag{border-left:4px solid #999;margin:.6em 0;padding:.3em .8em;background:#fcfcfc}
.flag.sev-error{border-color:#c62828}.flag.sev-warning{border-color:#ef8f00}.flag.sev-info{border-color:#607d8b}
.flag .msg{font-weight:500}.flag .rule{font-family:monospace;font-size:12px;color:#666}
.ev{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1em;margin-top:.4em}
blockquote{margin:.2em 0;padding:.3em .6em;background:#f5f5f0;border-left:3px solid #bbb;white-space:pre-wrap;font-size:14px}
mark.fig{background:#ffd54f;font-weight:bold}mark.val{background:#fff3c4}
.figures{font-size:13px;color:#444}.hidden{display:none}
.filters label{margin-right:1em}nav.top a{margin-right:1em}
"""

JS = """
function applyFilters(){
  const on={};document.querySelectorAll('.filters input').forEach(i=>on[i.value]=i.checked);
  let n=0;document.querySelectorAll('.flag').forEach(f=>{const v=on[f.dataset.severity]!==false;
    f.classList.toggle('hidden',!v);if(v)n++;});
  document.getElementById('flags-shown').textContent=n;
}
document.addEventListener('DOMContentLoaded',()=>{
  document.querySelectorAll('.filters input').forEach(i=>i.addEventListener('change',applyFilters));
  applyFilters();
});
"""


def _doc_name(d) -> str:
    src = str(d["source"])
    name = src.rsplit("/", 1)[-1] if "://" in src else Path(src).name
    try:
        name = unquote(name)
    except Exception:
        pass
    return name or src


def _flag_html(f, labels) -> str:
    sev = f["severity"] if f["severity"] in SEVERITIES else "info"
    evidence = _list(f.get("evidence"))
    sentences, cells = split_evidence(evidence)
    sentence = f.get("sentence")
    if not _missing(sentence) and sentence and sentence not in sentences:
        sentences.insert(0, str(sentence))
    values = [float(v) for v in _list(f.get("values")) if not _missing(v)]
    stated = None if _missing(f.get("stated")) else float(f["stated"])
    figs = values + ([float(f["expected"])] if not _missing(f.get("expected")) else [])
    quotes = "".join(f"<blockquote>{highlight(s, figs, stated)}</blockquote>" for s in sentences) or \
        "<p class='muted'>no sentence quoted</p>"
    if cells:
        rows = "".join(f"<tr><td>{_e(t)}</td><td>{_e(r)}</td><td>{_e(c)}</td><td class='num'>{_e(v)}</td></tr>"
                       for t, r, c, v in cells)
        cell_html = f"<table class='cells'><tr><th>表</th><th>行</th><th>列</th><th>值</th></tr>{rows}</table>"
    else:
        cell_html = "<p class='muted'>no table cells cited</p>"
    nums = []
    for key, label in (("stated", "stated"), ("expected", "expected"), ("difference", "difference")):
        if not _missing(f.get(key)):
            nums.append(f"{label} <b>{_num(f[key])}</b>")
    return (f"<div class='flag sev-{sev}' id='f-{_e(f['flag_id'])}' data-severity='{sev}' data-family='{_e(f['family'])}'>"
            f"<div><span class='pill'>{_e(labels['severities'].get(sev, sev))}</span> "
            f"<span class='msg'>{_e(f['message'])}</span> <span class='rule'>{_e(f['rule'])}</span></div>"
            + (f"<div class='figures'>{' · '.join(nums)}</div>" if nums else "")
            + f"<div class='ev'><div class='quotes'>{quotes}</div><div>{cell_html}</div></div></div>")


def render(docs: pd.DataFrame, flags: pd.DataFrame, cells: pd.DataFrame, title: str = "budgetlens report") -> str:
    labels = _labels()
    fam_label = lambda k: labels["families"].get(k, k)  # noqa: E731
    docs = docs.drop_duplicates("doc_id").copy()  # the same content at two sources is one document
    docs["name"] = [_doc_name(d) for d in docs[["source"]].to_dict("records")]
    dept = docs.set_index("doc_id")["department"].where(docs.set_index("doc_id")["department"].notna(),
                                                        docs.set_index("doc_id")["name"])
    flags = flags[flags["doc_id"].isin(docs["doc_id"])].copy()
    n_flags = len(flags)
    sev_counts = flags["severity"].value_counts() if n_flags else pd.Series(dtype=int)
    n_err_docs = int((docs["status"] != "ok").sum())

    fam_key = flags["family"].map(lambda k: f"{fam_label(k)} ({k})") if n_flags else pd.Series(dtype=str)
    fam_chart = bar_chart(_by(flags, fam_key, [f"{fam_label(k)} ({k})" for k in FAMILIES]), "flags by family",
                          label_width=230, chart_id="chart-family")
    dep_chart = bar_chart(_by(flags, flags["doc_id"].map(dept).fillna("?"), top=15) if n_flags else pd.DataFrame(),
                          "flags by department (top 15)", label_width=230, chart_id="chart-department")

    p = [f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{_e(title)}</title>"
         f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style></head><body><main>",
         f"<h1>{_e(title)}</h1>",
         f"<p class='summary'><b>{len(docs)}</b> documents ({n_err_docs} could not be read), "
         f"<b><span id='flag-count'>{n_flags}</span></b> flags: "
         + ", ".join(f"<span class='pill {s}'>{int(sev_counts.get(s, 0))} {s}</span>" for s in SEVERITIES)
         + ". Shown: <b><span id='flags-shown'>" + str(n_flags) + "</span></b>.</p>",
         "<p class='filters'>" + "".join(f"<label><input type='checkbox' value='{s}' checked> {s}</label>" for s in SEVERITIES)
         + "</p>",
         f"<div class='charts'>{fam_chart}{dep_chart}</div>",
         "<h2>Documents</h2><table class='docs'><tr><th>document</th><th>department</th><th>year</th><th>kind</th>"
         "<th>status</th>" + "".join(f"<th>{s}</th>" for s in SEVERITIES) + "</tr>"]
    per_doc = pd.crosstab(flags["doc_id"], flags["severity"]) if n_flags else pd.DataFrame()
    # one pass to split rows per document (filtering the whole frame per document is quadratic)
    # rows as dicts: the per-document loops below touch every flag and table once
    flags_by_doc: dict = {}
    for f in flags.to_dict("records") if n_flags else ():
        flags_by_doc.setdefault(f["doc_id"], []).append(f)
    if cells is not None and len(cells) and "n" not in cells.columns:
        cells = cells.groupby(["doc_id", "table_id", "table_type", "title", "unit"], dropna=False).size().reset_index(name="n")
    tables_by_doc: dict = {}
    for t in cells.to_dict("records") if cells is not None and len(cells) else ():
        tables_by_doc.setdefault(t["doc_id"], []).append(t)
    per_doc_counts = per_doc.to_dict("index")  # doc_id -> {severity: n}
    order = docs.assign(_n=docs["doc_id"].map(lambda i: int(sum(per_doc_counts[i].values())) if i in per_doc_counts else 0))
    order = order.sort_values(["_n", "name"], ascending=[False, True])
    order_rows = order.to_dict("records")
    for d in order_rows:
        counts = "".join(f"<td class='num'>{int(per_doc_counts[d['doc_id']].get(s, 0)) if d['doc_id'] in per_doc_counts else 0}</td>"
                         for s in SEVERITIES)
        status = _e(d["status"]) + (f" <span class='muted'>{_e(d['error'])}</span>" if not _missing(d.get("error")) else "")
        p.append(f"<tr><td><a href='#doc-{_e(d['doc_id'])}'>{_e(d['name'])}</a></td><td>{_e(d['department'])}</td>"
                 f"<td>{_e(d['year'])}</td><td>{_e(labels['doc_kinds'].get(d['doc_kind'], d['doc_kind']))}</td>"
                 f"<td>{status}</td>{counts}</tr>")
    p.append("</table>")

    sev_rank = {s: i for i, s in enumerate(SEVERITIES)}
    fam_rank = {f: i for i, f in enumerate(FAMILIES)}
    for d in order_rows:
        src = str(d["source"])
        link = f" <a class='muted' href='{_e(src)}'>{_e(src)}</a>" if "://" in src else f" <span class='muted'>{_e(src)}</span>"
        p.append(f"<section class='doc' id='doc-{_e(d['doc_id'])}'><h2>{_e(d['name'])}</h2>"
                 f"<p>{_e(d['department'])} · {_e(d['year'])} · {_e(labels['doc_kinds'].get(d['doc_kind'], d['doc_kind']))}"
                 f" · {_e(d['scope'])}{link}</p>")
        if d["status"] != "ok":
            p.append(f"<p class='sev-error'><span class='pill error'>not read</span> {_e(d['error'])}</p></section>")
            continue
        fl = flags_by_doc.get(d["doc_id"], [])
        if not fl:
            p.append("<p class='muted'>no flags</p>")
        for fam in sorted(dict.fromkeys(f["family"] for f in fl), key=lambda f: fam_rank.get(f, 99)):
            ff = [f for f in fl if f["family"] == fam]
            p.append(f"<h3>{_e(fam_label(fam))} <span class='muted'>{_e(fam)} · {len(ff)}</span></h3>")
            for sev in sorted(dict.fromkeys(f["severity"] for f in ff), key=lambda s: sev_rank.get(s, 9)):
                fs = [f for f in ff if f["severity"] == sev]
                p.append(f"<h4>{_e(sev)} ({len(fs)})</h4>")
                for f in fs:
                    p.append(_flag_html(f, labels))
        summary = tables_by_doc.get(d["doc_id"])
        if summary:
            rows = "".join(f"<tr><td>{_e(t['title'])}</td><td>{_e(t['table_type'])}</td><td>{_e(t['unit'])}</td>"
                           f"<td class='num'>{int(t['n'])}</td></tr>" for t in summary)
            p.append(f"<details><summary>{len(summary)} tables, {int(sum(t['n'] for t in summary))} numeric cells</summary><table>"
                     f"<tr><th>table</th><th>type</th><th>unit</th><th>cells</th></tr>{rows}</table></details>")
        p.append("<p><a href='#'>↑ summary</a></p></section>")
    p.append(f"</main><script>{JS}</script></body></html>")
    return "".join(p)


def write_report(store, path: str | Path, sources: list[str] | None = None) -> Path:
    path = Path(path)
    docs = store.table("documents")
    flags = store.table("flags")
    # per-table cell counts only: the report never needs every cell in memory
    cells = store.con.execute(
        'SELECT doc_id, source, table_id, table_type, title, unit, count(*) AS n FROM table_cells '
        'GROUP BY ALL').df()
    if sources is not None:
        docs = docs[docs["source"].isin(sources)]
        flags = flags[flags["source"].isin(sources)]
        cells = cells[cells["source"].isin(sources)]
    page = render(docs, flags, cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(page)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path
