"""report.html: the one page a reviewer reads.

Summary (counts, flags by family and by department as inline SVG, every document with
links), then per document its flags grouped by family and severity; each flag shows the
quoted sentences with the figure highlighted beside the table cells it cites, each linked
to its page (`FILE.pdf#page=N`).  Flags a reviewer dismissed (`budgetlens review`) are
left out while their figures stay the same.  One self-contained file: no CDN, no external
font, a few lines of inline JS for filtering.

The page is a Jinja2 template (`templates/`, autoescaped); this module only prepares the
values it shows."""
from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Optional
from urllib.parse import quote as url_quote
from urllib.parse import unquote

import duckdb
import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from budgetlens.document.numbers import parse_number
from budgetlens.gazetteers import load

from .reviewed import decide
from .values import missing
from .verdicts import ordered_facts_query, summarise, verdict_summary

if TYPE_CHECKING:
    import pandas as pd

SEVERITIES = ["error", "warning", "info"]
SEV_COLOURS = {"error": "#c62828", "warning": "#ef8f00", "info": "#607d8b"}
FAMILIES = ["table.arithmetic", "narrative_vs_table", "narrative.arithmetic", "comparison", "indicator",
            "cross_document", "completeness", "text"]
NUMBER = re.compile(r"\d[\d,，]*(?:\.\d+)?")


def _e(x) -> str:
    if x is None or (isinstance(x, float) and x != x) or type(x).__name__ == "NAType":
        return ""
    return html.escape(str(x))


_missing = missing


def _list(x) -> list:
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    if hasattr(x, "tolist"):  # numpy (masked) arrays from DuckDB: masked -> None
        v = x.tolist()
        return v if isinstance(v, list) else [v]
    try:
        return list(x)
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
    return Markup("".join(out))


# -- templates --------------------------------------------------------------------

class _Environment(Environment):
    """Jinja's `x.name` tries `getattr(x, "name")` first, which on a dict raises (and
    catches) an AttributeError before it looks up the key; the page's values are dicts, so
    for a dict (a `_DocView`) the key is looked up first.  The same value either way: a
    name that is an attribute of the class (`items`, `complete`) goes Jinja's way."""

    def getattr(self, obj, attribute):
        plain = _PLAIN_NAMES.get(type(obj))
        if plain is not None and attribute not in plain:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


ENV = _Environment(loader=PackageLoader("budgetlens.report", "templates"),
                  autoescape=select_autoescape(default=True, default_for_string=True),
                  extensions=["jinja2.ext.loopcontrols"], trim_blocks=False)


def _asset(name: str) -> Markup:
    """A packaged CSS / JS file, inlined (our own code: not escaped)."""
    return Markup(ENV.loader.get_source(ENV, name)[0])


# -- charts ---------------------------------------------------------------------

Counts = list[tuple[str, list[int]]]  # (label, flags per severity in SEVERITIES' order), in chart order


def chart_data(counts: Counts, title: str, label_width: int = 170, chart_id: str = "") -> dict:
    """Horizontal bars stacked by severity; `counts`: (label, [n per severity]) per bar."""
    row_h, width, bar_w = 22, 640, 640 - label_width - 50
    chart = {"id": chart_id, "title": title, "rows": [], "label_width": label_width, "row_h": row_h,
             "width": width, "height": 0, "legend": [], "legend_y": 0}
    if not counts:
        return chart
    scale = bar_w / max(float(max(sum(ns) for _, ns in counts)), 1.0)
    height = row_h * len(counts) + 30
    for i, (label, ns) in enumerate(counts):
        y = 6 + i * row_h
        x = float(label_width)
        segs = []
        for sev, n in zip(SEVERITIES, ns):
            if n:
                w = n * scale
                segs.append({"x": x, "w": w, "n": n, "severity": sev, "colour": SEV_COLOURS[sev]})
                x += w
        chart["rows"].append({"label": label, "y": y, "segments": segs, "end": x, "total": sum(ns)})
    chart["height"] = height
    chart["legend_y"] = height - 8
    chart["legend"] = [{"x": label_width + j * 90, "severity": sev, "colour": SEV_COLOURS[sev]}
                       for j, sev in enumerate(SEVERITIES)]
    return chart


def bar_chart(counts: Counts, title: str, label_width: int = 170, chart_id: str = "") -> str:
    return ENV.get_template("macros.html.j2").module.bar_chart(chart_data(counts, title, label_width, chart_id))


def _by(keys: list, severities: list, order: Optional[list] = None, top: Optional[int] = None) -> Counts:
    """Flags per key and severity (one key and severity per flag), as pandas' crosstab gave
    them: keys sorted, then in `order`'s order, or by total, most first, ties in the order
    of pandas' (unstable) quicksort, which is numpy's."""
    table: dict = {}
    for k, sev in zip(keys, severities):
        if missing(k) or missing(sev):
            continue
        row = table.setdefault(k, [0] * len(SEVERITIES))
        if sev in SEVERITIES:
            row[SEVERITIES.index(sev)] += 1
    labels = sorted(table)
    if order:
        labels = [o for o in order if o in table] + [k for k in labels if k not in order]
    elif labels:
        # Series.sort_values(ascending=False): reversed, quicksort, reversed back
        totals = np.array([sum(table[k]) for k in labels], dtype=np.int64)
        idx = np.arange(len(labels))[::-1]
        labels = [labels[i] for i in idx[totals[::-1].argsort(kind="quicksort")][::-1]]
    rows = [(k, table[k]) for k in labels]
    return rows[:top] if top else rows


# -- values shown -------------------------------------------------------------------

def _doc_name(d) -> str:
    src = str(d["source"])
    name = src.rsplit("/", 1)[-1] if "://" in src else Path(src).name
    try:
        name = unquote(name)
    except Exception:
        pass
    return name or src


def page_href(file, page, base: Optional[Path] = None) -> Optional[str]:
    """`FILE.pdf#page=N`: the file relative to `base` (the report's folder) when it is a
    local path, as is when it is a URL.  None without a page or file."""
    if _missing(page) or not page or _missing(file) or not file:
        return None
    ref = _file_ref(str(file), base)
    return None if ref is None else f"{ref}#page={int(page)}"


def _file_ref(file: str, base: Optional[Path]) -> Optional[str]:
    if "://" in file:
        if not file.lower().startswith(("http://", "https://")):
            return None
        return file
    path = Path(file)
    if base is not None:
        try:
            rel = os.path.relpath(path.resolve(), Path(base).resolve())
        except ValueError:  # another drive
            rel = str(path.resolve())
        return url_quote(rel.replace(os.sep, "/"))
    return path.resolve().as_uri()


_page_href = page_href


class _Hrefs:
    """`page_href` for one report: each file resolved once."""

    def __init__(self, base: Optional[Path]):
        self.base = base
        self.refs: dict[str, Optional[str]] = {}

    def __call__(self, file, page, base=None) -> Optional[str]:
        if _missing(page) or not page or _missing(file) or not file:
            return None
        file = str(file)
        ref = self.refs.get(file, self)
        if ref is self:
            ref = self.refs[file] = _file_ref(file, self.base)
        return None if ref is None else f"{ref}#page={int(page)}"


def flag_view(f, labels, base: Optional[Path] = None, hrefs=None) -> dict:
    """What the templates show of one flag (a row of the flags table, with its decision).
    `hrefs`: a `_Hrefs` for `base` (page links of many flags)."""
    page_href = hrefs or _page_href
    sev = f["severity"] if f["severity"] in SEVERITIES else "info"
    evidence = [str(e) for e in _list(f.get("evidence"))]
    pages = _list(f.get("evidence_pages"))
    files = _list(f.get("evidence_files"))
    try:
        boxes = json.loads(f.get("evidence_bboxes") or "[]") if not _missing(f.get("evidence_bboxes")) else []
    except (TypeError, ValueError):
        boxes = []
    where = {}
    for i, ev in enumerate(evidence):
        page = pages[i] if i < len(pages) and not _missing(pages[i]) else None
        file = files[i] if i < len(files) and not _missing(files[i]) else None
        where.setdefault(ev, (int(page) if page else None, file, boxes[i] if i < len(boxes) else None, i))
    sentences, cells = split_evidence(evidence)
    sentence = f.get("sentence")
    if not _missing(sentence) and sentence and sentence not in sentences:
        sentences.insert(0, str(sentence))
    values = [float(v) for v in _list(f.get("values")) if not _missing(v)]
    stated = None if _missing(f.get("stated")) else float(f["stated"])
    figs = values + ([float(f["expected"])] if not _missing(f.get("expected")) else [])
    primary_page = None if _missing(f.get("page")) else int(f["page"])
    primary_file = None if _missing(f.get("file")) else f.get("file")
    quotes = []
    for s in sentences:
        page, file, box, idx = where.get(s, (None, None, None, None))
        if page is None and s == sentence:
            page, file = primary_page, primary_file
        quotes.append({"text": s, "html": highlight(s, figs, stated), "page": page,
                       "href": page_href(file, page, base), "bbox": box, "index": idx})
    cell_views = []
    for ev in evidence:
        parsed = split_evidence([ev])[1]
        if not parsed:
            continue
        t, r, c, v = parsed[0]
        page, file, box, idx = where.get(ev, (None, None, None, None))
        cell_views.append({"table": t, "row": r, "column": c, "value": v, "page": page,
                           "href": page_href(file, page, base), "bbox": box, "index": idx, "text": ev})
    nums = [(label, _num(f[key])) for key, label in (("stated", "stated"), ("expected", "expected"),
                                                       ("difference", "difference")) if not _missing(f.get(key))]
    decision = f.get("decision") if not _missing(f.get("decision")) else "open"
    return {
        "flag_id": str(f["flag_id"]), "doc_id": f.get("doc_id"), "severity": sev,
        "severity_label": labels["severities"].get(sev, sev), "family": f["family"], "rule": f["rule"],
        "message": f["message"], "nums": nums, "quotes": quotes, "cells": cell_views,
        "page": primary_page, "file": primary_file, "href": page_href(primary_file, primary_page, base),
        "decision": decision, "note": None if _missing(f.get("note")) else f.get("note"),
        "changed": bool(f.get("changed")) if not _missing(f.get("changed")) else False,
    }


VERDICT_COLUMNS = ["figures", "verified", "contradicted", "unverifiable"]


def render(docs: pd.DataFrame, flags: pd.DataFrame, cells: pd.DataFrame, title: str = "budgetlens report",
           base: Optional[Path] = None, n_dismissed: int = 0, facts: Optional[pd.DataFrame] = None) -> str:
    """The page of DataFrames (what `write_report` writes of the store)."""
    if cells is not None and len(cells) and "n" not in cells.columns:
        cells = cells.groupby(["doc_id", "table_id", "table_type", "title", "unit"], dropna=False).size().reset_index(name="n")
    tables = _records(cells[["doc_id", "title", "table_type", "unit", "n"]]) if cells is not None and len(cells) else []
    flag_rows = _records(flags)
    flags_by_doc = _by_doc(flag_rows)
    tables_by_doc = _tables_by_doc(tables)
    verdict_by_doc = verdict_summary(facts)
    return "".join(_generate(_records(docs), list(docs.columns), [_flag_key(f) for f in flag_rows],
                             lambda ids: (flags_by_doc, tables_by_doc, verdict_by_doc),
                             title=title, base=base, n_dismissed=n_dismissed))


def _records(df: pd.DataFrame) -> list[dict]:
    """A frame's rows as dicts, in order (what `iterrows` gives, without a Series per row)."""
    cols = list(df.columns)
    return [dict(zip(cols, r)) for r in zip(*(df[c].tolist() for c in cols))] if len(df) else []


FlagKey = tuple  # (doc_id, family, severity) of a flag the page shows


def _flag_key(f: dict) -> FlagKey:
    return f["doc_id"], f["family"], f["severity"]


def _by_doc(rows: Iterable[dict]) -> dict[str, list[dict]]:
    """Rows grouped by document, each group in the rows' order (one pass: filtering the
    whole table per document is quadratic)."""
    out: dict[str, list[dict]] = {}
    for r in rows:
        out.setdefault(r["doc_id"], []).append(r)
    return out


def _tables_by_doc(summaries: Iterable[dict]) -> dict[str, list[dict]]:
    """Per-table cell counts (rows of `table_summaries`) as the page shows them, by document."""
    out: dict[str, list[dict]] = {}
    for t in summaries:
        out.setdefault(t["doc_id"], []).append(
            {"title": _v(t["title"]), "table_type": _v(t["table_type"]), "unit": _v(t["unit"]), "n": int(t["n"])})
    return out


# (flags_by_doc, tables_by_doc, verdict_by_doc) of the given documents (or of more)
Details = tuple[dict, dict, dict]
CHUNK_DOCS = 250  # documents whose flags, tables and verdicts the page holds at once


class _Details:
    """A document's shown flags, table summaries and verdict summary, fetched `chunk`
    documents at a time in page order (`fetch(doc_ids) -> Details`): the page holds one
    chunk's rows, whatever the number of documents."""

    def __init__(self, fetch: Callable[[list], Details], order: list, chunk: Optional[int] = None):
        self.fetch, self.order, self.chunk = fetch, order, chunk or CHUNK_DOCS
        self.index = {d: i for i, d in enumerate(order)}
        self.at, self.data = -1, ({}, {}, {})

    def __call__(self, doc_id) -> tuple[list[dict], Optional[list[dict]], Optional[dict]]:
        k = self.index[doc_id] // self.chunk
        if k != self.at:
            self.data = ({}, {}, {})  # the previous chunk goes before the next comes
            self.data, self.at = self.fetch(self.order[k * self.chunk:(k + 1) * self.chunk]), k
        flags, tables, verdicts = self.data
        return flags.get(doc_id, []), tables.get(doc_id), verdicts.get(doc_id)


def _generate(docs: list[dict], doc_columns: list[str], flag_keys: list[FlagKey], fetch: Callable[[list], Details],
              *, title: str = "budgetlens report", base: Optional[Path] = None, n_dismissed: int = 0):
    """The page, piece by piece (`render` joins it, `write_report` streams it to the file).
    `docs`: rows of the documents table (`doc_columns`: its columns); `flag_keys`: (doc_id,
    family, severity) of each flag shown, for the counts; `fetch(doc_ids)`: the shown flags
    (rows, with their decision), table summaries (`_tables_by_doc`) and verdict summary of
    those documents, by doc_id (see `_Details`)."""
    labels = _labels()
    fam_label = lambda k: labels["families"].get(k, k)  # noqa: E731
    seen_docs: set = set()  # the same content at two sources is one document (the first row)
    doc_rows = [d for d in docs if not (d["doc_id"] in seen_docs or seen_docs.add(d["doc_id"]))]
    for d in doc_rows:
        d["name"] = _doc_name(d)
    doc_ids = {d["doc_id"] for d in doc_rows}
    flag_keys = [k for k in flag_keys if k[0] in doc_ids]
    n_flags = len(flag_keys)
    n_err_docs = sum(1 for d in doc_rows if d["status"] != "ok")

    dept = {d["doc_id"]: (d["name"] if _missing(d.get("department")) else d["department"]) for d in doc_rows}
    sevs = [k[2] for k in flag_keys]
    family_chart = chart_data(_by([f"{fam_label(k[1])} ({k[1]})" for k in flag_keys], sevs,
                                  [f"{fam_label(k)} ({k})" for k in FAMILIES]), "flags by family",
                              label_width=230, chart_id="chart-family")
    department_chart = chart_data(_by([dept.get(k[0], "?") for k in flag_keys], sevs, top=15),
                                  "flags by department (top 15)", label_width=230, chart_id="chart-department")
    counts: dict[str, list[int]] = {}
    sev_index = {s: i for i, s in enumerate(SEVERITIES)}
    for doc_id, _, sev in flag_keys:
        c = counts.get(doc_id)
        if c is None:
            c = counts[doc_id] = [0] * len(SEVERITIES)
        if sev in sev_index:
            c[sev_index[sev]] += 1
    n_of = {doc_id: 0 for doc_id in doc_ids}
    for k in flag_keys:
        n_of[k[0]] += 1
    doc_rows.sort(key=lambda d: (-n_of[d["doc_id"]], d["name"]))
    details = _Details(fetch, [d["doc_id"] for d in doc_rows])
    verdict_columns = [c for c in VERDICT_COLUMNS if c in doc_columns]
    hrefs = _Hrefs(base)
    sev_rank = {s: i for i, s in enumerate(SEVERITIES)}
    fam_rank = {f: i for i, f in enumerate(FAMILIES)}

    def light(d) -> "_DocView":
        doc_id = d["doc_id"]
        src = str(d["source"])
        view = _DocView({
            "doc_id": doc_id, "name": d["name"], "department": _v(d.get("department")), "year": _v(d.get("year")),
            "kind": _v(labels["doc_kinds"].get(d["doc_kind"], d["doc_kind"])), "scope": _v(d.get("scope")),
            "status": d["status"], "error": _v(d.get("error")), "source": src,
            "url": src if src.lower().startswith(("http://", "https://")) else None,
            "counts": counts.get(doc_id, [0] * len(SEVERITIES)),
            "verdicts": [_v(d.get(c)) for c in verdict_columns],
        })
        view.complete = lambda: full(view)
        return view

    def full(view: dict) -> None:
        """The document's flags, tables and verdicts, built when its section is written."""
        doc_id = view["doc_id"]
        fl, summary, verdict = details(doc_id)
        view.update(families=[], tables=[], n_cells=0, verdict=verdict)
        for fam in sorted(dict.fromkeys(f["family"] for f in fl), key=lambda f: fam_rank.get(f, 99)):
            ff = [f for f in fl if f["family"] == fam]
            sevs = []
            for sev in sorted(dict.fromkeys(f["severity"] for f in ff), key=lambda s: sev_rank.get(s, 9)):
                sevs.append({"key": sev, "flags": [flag_view(f, labels, base, hrefs) for f in ff if f["severity"] == sev]})
            view["families"].append({"key": fam, "label": fam_label(fam), "n": len(ff), "severities": sevs})
        if summary:
            view["tables"] = summary
            view["n_cells"] = sum(t["n"] for t in summary)

    doc_views = _DocViews(doc_rows, light)
    return ENV.get_template("report.html.j2").generate(
        title=title, css=_asset("report.css"), js=_asset("report.js"), n_docs=len(doc_rows), n_err_docs=n_err_docs,
        n_flags=n_flags, n_dismissed=n_dismissed,
        severities=[{"key": s, "n": sevs.count(s)} for s in SEVERITIES],
        family_chart=family_chart, department_chart=department_chart, docs=doc_views,
        verdict_columns=verdict_columns,
    )


class _DocView(dict):
    """A document's values for the page; its flags, tables and verdicts (`families`,
    `tables`, `n_cells`, `verdict`) are built on first use, so only the section being
    written holds them."""

    complete = None

    def __missing__(self, key):
        if key in ("families", "tables", "n_cells", "verdict") and self.complete is not None:
            complete, self.complete = self.complete, None
            complete()
            return self[key]
        raise KeyError(key)


class _DocViews:
    """The documents in page order, each view made when the template reaches it (the page
    walks them twice: the summary table, then the sections)."""

    def __init__(self, rows: list[dict], make):
        self.rows, self.make = rows, make

    def __iter__(self):
        return (self.make(d) for d in self.rows)

    def __len__(self):
        return len(self.rows)


def _v(x):
    return "" if _missing(x) else x


# the names a dict's key must not shadow in templates (see _Environment)
_PLAIN_NAMES = {cls: frozenset(dir(cls)) for cls in (dict, _DocView)}


def write_report(store, path: str | Path, sources: list[str] | None = None) -> Path:
    """The report of the store's documents (of `sources` only, when given), written
    atomically: streamed to a temporary file beside `path`, flushed, renamed over it.

    Memory does not grow with the flags, cells and figures of the run: the counts come from
    one pass over three columns of the flags, and each document's flags, table summaries and
    verdicts are read from the store a chunk of documents at a time, in page order."""
    path = Path(path)
    con = store.con
    where = []
    if sources is not None:
        con.register("_report_sources", {"source": np.fromiter(sources, dtype=object, count=len(sources))})
        where.append("source IN (SELECT source FROM _report_sources)")
    try:
        only = f" WHERE {where[0]}" if where else ""
        docs, doc_columns = _frame_rows(con, f"SELECT * FROM documents{only}")
        # reviewers' decisions: a dismissed flag is left out while its figures stay the same
        reviews = store.review_rows() if hasattr(store, "review_rows") else []
        flag_keys, n_dismissed = _shown_flag_keys(con, only, reviews)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                for piece in _generate(docs, doc_columns, flag_keys, lambda ids: _fetch_details(con, ids, where, reviews),
                                       base=path.parent, n_dismissed=n_dismissed):
                    fh.write(piece)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                tmp.unlink()
            except OSError:
                pass
            raise
    finally:
        if sources is not None:
            con.unregister("_report_sources")
    return path


def _shown_flag_keys(con, only: str, reviews: list[dict]) -> tuple[list[FlagKey], int]:
    """(doc_id, family, severity) of every flag not dismissed, in stored order, and the
    number dismissed.  Only a flag with a review can be dismissed, so only those are read
    whole (for their fingerprint, see `decide`)."""
    reviewed = {r["flag_id"] for r in reviews}
    keys: list[FlagKey] = []
    n_dismissed = 0
    cur = con.execute(f"SELECT doc_id, family, severity, flag_id, rowid FROM flags{only} ORDER BY rowid")
    pending = []
    while True:
        rows = cur.fetchmany(10000)
        if not rows:
            break
        for doc_id, family, severity, flag_id, rowid in rows:
            keys.append((doc_id, family, severity))
            if flag_id in reviewed:
                pending.append((len(keys) - 1, rowid))
    if pending:
        con.register("_report_rowids", {"r": np.fromiter((r for _, r in pending), dtype=np.int64, count=len(pending))})
        try:
            rows, _ = _frame_rows(con, "SELECT * FROM flags WHERE rowid IN (SELECT r FROM _report_rowids) ORDER BY rowid")
        finally:
            con.unregister("_report_rowids")
        decide(rows, reviews)
        gone = {i for (i, _), f in zip(pending, rows) if f["decision"] == "dismissed"}
        n_dismissed = len(gone)
        keys = [k for i, k in enumerate(keys) if i not in gone]
    return keys, n_dismissed


def _fetch_details(con, doc_ids: list, where: list[str], reviews: list[dict]) -> Details:
    """`Details` of some documents, read from the store: their flags in stored order with
    their decisions (dismissed ones left out), table summaries and verdict summaries."""
    con.register("_report_chunk", {"doc_id": np.fromiter(doc_ids, dtype=object, count=len(doc_ids))})
    try:
        cond = " WHERE " + " AND ".join(where + ["doc_id IN (SELECT doc_id FROM _report_chunk)"])
        flags, _ = _frame_rows(con, f"SELECT * FROM flags{cond} ORDER BY rowid")
        decide(flags, reviews)
        flags_by_doc = _by_doc(f for f in flags if f["decision"] != "dismissed")
        del flags
        tables_by_doc = _tables_by_doc(table_summaries(con, cond))
        try:
            verdict_by_doc = summarise(_stream_dicts(con, ordered_facts_query()
                                                     + " AND doc_id IN (SELECT doc_id FROM _report_chunk)"),
                                       only=set(doc_ids))
        except duckdb.Error:  # a store written before verdicts existed
            verdict_by_doc = {}
    finally:
        con.unregister("_report_chunk")
    return flags_by_doc, tables_by_doc, verdict_by_doc


def table_summaries(con, where: str = "") -> list[dict]:
    """Per-table cell counts (doc_id, table_id, title, table_type, unit, n), in document order
    (t2 before t11), so that the same store always gives the same report."""
    return _fetch_dicts(con, "SELECT doc_id, table_id, title, table_type, unit, n FROM ("
                             "SELECT doc_id, source, table_id, table_type, title, unit, count(*) AS n "
                             f"FROM table_cells GROUP BY ALL){where} "
                             "ORDER BY doc_id, length(table_id), table_id, unit NULLS FIRST, title, table_type")


# Columns the store keeps for itself (store.duck.WRITE_SEQ), not shown
STORE_OWN = ("write_seq",)


def _frame_rows(con, sql: str) -> tuple[list[dict], list[str]]:
    """The rows of a query as dicts, and its columns, each value as the query's DataFrame
    had it (a missing text NaN, what the pages show of it), and lists as lists; without
    the store's own columns."""
    cur = con.execute(sql)
    cols = [c[0] for c in cur.description]
    texts = [i for i, c in enumerate(cur.description) if str(c[1]) == "VARCHAR"]
    own = [c for c in STORE_OWN if c in cols]
    nan = float("nan")
    rows = []
    for r in cur.fetchall():
        d = dict(zip(cols, r))
        for i in texts:
            if r[i] is None:
                d[cols[i]] = nan
        for c in own:
            del d[c]
        rows.append(d)
    return rows, [c for c in cols if c not in own]


def _fetch_dicts(con, sql: str, params=None) -> list[dict]:
    cur = con.execute(sql, params or [])
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _stream_dicts(con, sql: str, chunk: int = 5000):
    """Rows as dicts, fetched a chunk at a time."""
    cur = con.execute(sql)
    cols = [c[0] for c in cur.description]
    while True:
        rows = cur.fetchmany(chunk)
        if not rows:
            return
        for r in rows:
            yield dict(zip(cols, r))
