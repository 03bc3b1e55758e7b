"""The review web app (Starlette, served by uvicorn; Jinja2 pages, one small script, no
build step).

    GET  /                                  flags, filterable (severity, family, department, year, decision)
    GET  /flags/{flag_id}                   one flag: sentence, cells, page pictures, decision
    GET  /api/flags?decision=open|confirmed|dismissed|all   (default: all but dismissed)
    GET  /api/flags/{flag_id}
    POST /api/flags/{flag_id}/review        {"decision": "confirmed"|"dismissed", "note": "..."}
    GET  /api/flags/{flag_id}/evidence.png  [?item=N: one evidence line]

Security: loopback by default; another address needs a token (`--token` or
BUDGETLENS_REVIEW_TOKEN), sent as `X-Review-Token` or as the cookie `/login?token=` sets,
and every write checks it.  Writes must be JSON (a cross-site form cannot send that) from
the app's own origin.  Every page is autoescaped and served with a Content-Security-Policy
that runs only the app's own script, so text from a crawled document stays text.
"""
from __future__ import annotations

import hmac
import ipaddress
import math
import os
from pathlib import Path
from typing import Optional
from urllib.parse import urlencode, urlparse

import pandas as pd
import uvicorn
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from budgetlens.report.html import _labels, flag_view
from budgetlens.store.reviews import DECISIONS

from .data import FLAG_FILTERS, ReviewStore, StoreBusy, evidence_items
from .picture import NoPicture, render_items

TOKEN_ENV = "BUDGETLENS_REVIEW_TOKEN"
TOKEN_HEADER = "x-review-token"
COOKIE = "budgetlens_review"
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
API_COLUMNS = ["flag_id", "doc_id", "source", "department", "year", "family", "rule", "severity", "message",
               "stated", "expected", "difference", "evidence", "sentence", "page", "file", "evidence_pages",
               "decision", "note", "reviewer", "decided_at", "changed", "fingerprint"]

ENV = Environment(
    loader=ChoiceLoader([PackageLoader("budgetlens.review", "templates"),
                         PackageLoader("budgetlens.report", "templates")]),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


class RefusedToStart(SystemExit):
    pass


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _clean(v):
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    if hasattr(v, "tolist"):
        return _clean(v.tolist())
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "item"):
        return v.item()
    return v


def _records(df: pd.DataFrame) -> list[dict]:
    cols = [c for c in API_COLUMNS if c in df.columns]
    return [{c: _clean(r[c]) for c in cols} for r in df[cols].to_dict("records")]


class ReviewApp:
    """The app's request handlers over one store."""

    def __init__(self, store: ReviewStore, token: Optional[str]):
        self.store = store
        self.token = token
        self.labels = _labels()


    def authorised(self, request: Request) -> bool:
        if not self.token:
            return True
        given = request.headers.get(TOKEN_HEADER) or request.cookies.get(COOKIE) or ""
        return hmac.compare_digest(given.encode(), self.token.encode())

    def same_origin(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if not origin:
            return True
        return urlparse(origin).netloc == request.headers.get("host", "")

    def page(self, name: str, status: int = 200, **ctx) -> HTMLResponse:
        return HTMLResponse(ENV.get_template(name).render(**ctx), status_code=status)

    def busy(self, exc) -> Response:
        return PlainTextResponse(f"the store is busy: {exc}; try again in a moment", status_code=503)

    def filters_of(self, request: Request) -> dict:
        return {k: request.query_params.get(k, "") for k in FLAG_FILTERS}

    async def index(self, request: Request):
        f = self.filters_of(request)
        try:
            flags = self.store.flags(**f)
            facets = self.store.facets()
            docs = self.store.documents()
        except StoreBusy as exc:
            return self.busy(exc)
        verdicts = [c for c in ("figures", "verified", "contradicted", "unverifiable") if c in docs.columns]
        doc_rows = []
        if verdicts:
            for _, d in docs.sort_values(["department", "year"], na_position="last").iterrows():
                doc_rows.append({"name": Path(str(d["source"])).name, "department": d.get("department"),
                                 "year": d.get("year"), "counts": [_clean(d.get(c)) for c in verdicts]})
        rows = [{"flag_id": r["flag_id"], "severity": r["severity"], "family": r["family"], "rule": r["rule"],
                 "message": r["message"], "department": _clean(r.get("department")), "year": _clean(r.get("year")),
                 "page": _clean(r.get("page")), "decision": r["decision"], "changed": bool(r["changed"]),
                 "doc": Path(str(r["source"])).name}
                for r in flags.to_dict("records")]
        return self.page("list.html.j2", flags=rows, facets=facets, filters=f, labels=self.labels,
                    verdicts=verdicts, docs=doc_rows, query=urlencode({k: v for k, v in f.items() if v}))

    async def flag_page(self, request: Request):
        fid = request.path_params["flag_id"]
        try:
            flag = self.store.flag(fid)
            history = self.store.history(fid) if flag else []
        except StoreBusy as exc:
            return self.busy(exc)
        if flag is None:
            return self.page("missing.html.j2", status=404, flag_id=fid)
        view = flag_view(flag, self.labels)
        items = evidence_items(flag)
        for it in items:
            it["picture"] = bool(it["page"] and it["bbox"] and it["file"] and str(it["file"]).lower().endswith(".pdf"))
        sentence_items = [it for it in items if it["kind"] == "sentence"]
        quote_html = {q["text"]: q["html"] for q in view["quotes"]}
        for it in sentence_items:
            it["html"] = quote_html.get(it["text"], it["text"])
        extra_quotes = [q for q in view["quotes"] if q["text"] not in {it["text"] for it in sentence_items}]
        back = request.query_params.get("back", "")
        back = back if back.startswith("/") and not back.startswith("//") else "/"
        return self.page("flag.html.j2", flag=flag, view=view, items=items, extra_quotes=extra_quotes,
                    history=list(reversed(history)), back=back, decisions=DECISIONS,
                    department=_clean(flag.get("department")), year=_clean(flag.get("year")),
                    doc=Path(str(flag.get("source"))).name)

    async def api_flags(self, request: Request):
        f = self.filters_of(request)
        if f["decision"] and f["decision"] not in ("open", "confirmed", "dismissed", "all", "undismissed"):
            return JSONResponse({"error": "decision must be open, confirmed, dismissed or all"}, status_code=400)
        try:
            flags = self.store.flags(**f)
        except StoreBusy as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse({"flags": _records(flags), "count": len(flags)})

    async def api_flag(self, request: Request):
        try:
            flag = self.store.flag(request.path_params["flag_id"])
        except StoreBusy as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        if flag is None:
            return JSONResponse({"error": "no such flag"}, status_code=404)
        return JSONResponse(_records(pd.DataFrame([flag]))[0])

    async def api_review(self, request: Request):
        if not self.authorised(request):
            return JSONResponse({"error": "a valid review token is required"}, status_code=403)
        if not self.same_origin(request):
            return JSONResponse({"error": "cross-origin writes are refused"}, status_code=403)
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "send JSON (Content-Type: application/json)"}, status_code=415)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "invalid JSON"}, status_code=400)
        if not isinstance(body, dict) or body.get("decision") not in DECISIONS:
            return JSONResponse({"error": "decision must be confirmed or dismissed"}, status_code=400)
        note = body.get("note") or ""
        if not isinstance(note, str):
            return JSONResponse({"error": "note must be text"}, status_code=400)
        try:
            rec = self.store.review(request.path_params["flag_id"], body["decision"], note,
                               str(body.get("reviewer") or ""))
        except KeyError:
            return JSONResponse({"error": "no such flag"}, status_code=404)
        except StoreBusy as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse(rec)

    async def api_picture(self, request: Request):
        try:
            flag = self.store.flag(request.path_params["flag_id"])
        except StoreBusy as exc:
            return PlainTextResponse(str(exc), status_code=503)
        if flag is None:
            return PlainTextResponse("no such flag", status_code=404)
        items = evidence_items(flag)
        item = request.query_params.get("item")
        if item is not None:
            try:
                items = [items[int(item)]]
            except (ValueError, IndexError):
                return PlainTextResponse("no such evidence item", status_code=404)
        try:
            png = render_items(items)
        except NoPicture as exc:
            return PlainTextResponse(f"no picture: {exc}; the quoted text is the evidence", status_code=404)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    async def document(self, request: Request):
        """The PDF an evidence line is printed in (only files the store names)."""
        try:
            flag = self.store.flag(request.path_params["flag_id"])
        except StoreBusy as exc:
            return PlainTextResponse(str(exc), status_code=503)
        items = evidence_items(flag) if flag else []
        try:
            it = items[int(request.query_params.get("item", "0"))]
        except (ValueError, IndexError):
            return PlainTextResponse("no such evidence item", status_code=404)
        path = Path(str(it.get("file") or ""))
        if not it.get("file") or path.suffix.lower() != ".pdf" or not path.is_file():
            return PlainTextResponse("no file for this evidence", status_code=404)
        return FileResponse(path, media_type="application/pdf")

    async def login(self, request: Request):
        given = request.query_params.get("token", "")
        resp = RedirectResponse("/", status_code=303)
        if self.token and hmac.compare_digest(given.encode(), self.token.encode()):
            resp.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
        return resp

    async def static(self, request: Request):
        name = request.path_params["name"]
        if name not in ("review.js", "review.css", "report.css"):
            return PlainTextResponse("not found", status_code=404)
        src = ENV.loader.get_source(ENV, name)[0]
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(src, media_type=f"{kind}; charset=utf-8")

    async def headers(self, request, call_next):
        resp = await call_next(request)
        if resp.headers.get("content-type", "").startswith("text/html"):
            resp.headers["Content-Security-Policy"] = CSP
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        return resp



def create_app(store_path, token: Optional[str] = None, reviewer: str = "", loopback: bool = True) -> Starlette:
    store = ReviewStore(store_path, reviewer=reviewer or os.environ.get("USER", ""))
    h = ReviewApp(store, token)
    middleware = [Middleware(BaseHTTPMiddleware, dispatch=h.headers)]
    if loopback:  # a page elsewhere cannot reach the app through a rebinding host name
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", "[::1]", "::1"]))
    app = Starlette(routes=[
        Route("/", h.index), Route("/flags/{flag_id}", h.flag_page),
        Route("/api/flags", h.api_flags), Route("/api/flags/{flag_id}", h.api_flag),
        Route("/api/flags/{flag_id}/review", h.api_review, methods=["POST"]),
        Route("/api/flags/{flag_id}/evidence.png", h.api_picture),
        Route("/flags/{flag_id}/document.pdf", h.document),
        Route("/login", h.login), Route("/static/{name}", h.static),
    ], middleware=middleware)
    app.state.store = store
    return app


def check_bind(host: str, token: Optional[str]) -> None:
    """Refuse a non-loopback address without a token (a reviewer's decisions and the
    documents would be open to the network)."""
    if not is_loopback(host) and not token:
        raise RefusedToStart(
            f"refusing to serve on {host}: that address is reachable from other machines. "
            f"Give a token (--token TOKEN or {TOKEN_ENV}=TOKEN): every write then needs it; "
            f"or bind 127.0.0.1 (the default).")


def serve(store_path, host: str = "127.0.0.1", port: int = 8765, token: Optional[str] = None,
          reviewer: str = "") -> None:
    token = token or os.environ.get(TOKEN_ENV) or None
    check_bind(host, token)
    app = create_app(store_path, token=token, reviewer=reviewer, loopback=is_loopback(host))
    uvicorn.run(app, host=host, port=port, log_level="warning")
