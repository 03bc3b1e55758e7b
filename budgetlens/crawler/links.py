"""Find disclosure documents, detail pages and list pagination on a portal page."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from posixpath import splitext
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from budgetlens.gazetteers import load


@functools.lru_cache(maxsize=None)
def _vocab():
    g = load("crawl")
    return {
        "keywords": tuple(g["keywords"]),
        "url_keywords": tuple(k.lower() for k in g.get("url_keywords", [])),
        "attachments": tuple(g["attachments"]),
        "readable": tuple(g["readable"]),
        "pagination_text": frozenset(g.get("pagination_text", [])),
        "page_url": re.compile(g["page_url"], re.I),
        "page_number_text": re.compile(g["page_number_text"]),
    }


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    kind: str  # document | page | pagination
    referrer: str


def url_ext(url: str) -> str:
    return splitext(unquote(urlsplit(url).path))[1].lower()


def is_attachment(url: str) -> bool:
    return url_ext(url) in _vocab()["attachments"]


def is_readable_ext(ext: str) -> bool:
    return ext in _vocab()["readable"]


def says_disclosure(text: str, url: str) -> bool:
    v = _vocab()
    path = unquote(urlsplit(url).path + "?" + urlsplit(url).query)
    if any(k in text or k in path for k in v["keywords"]):
        return True
    low = path.lower()
    return any(k in low for k in v["url_keywords"])


def is_pagination(text: str, url: str) -> bool:
    v = _vocab()
    t = text.strip()
    return t in v["pagination_text"] or bool(v["page_number_text"].match(t)) or bool(v["page_url"].search(url))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def extract_links(html: bytes | str, base_url: str, on_detail_page: bool = False) -> list[Link]:
    """Classify every link of a page.  A document is an attachment whose text or URL says
    预算/决算/公开/三公 — or any attachment on a detail page (reached through such a link),
    where attachments are typically just "附件1.pdf".  Pages are links that say so;
    pagination is a list page of the same host."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    base = soup.find("base", href=True)
    base_url = urljoin(base_url, base["href"]) if base else base_url
    out: list[Link] = []
    seen: set[str] = set()
    for a in soup.find_all("a", href=True):
        href = a["href"].strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        url = urldefrag(urljoin(base_url, href))[0]
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        text = " ".join(a.get_text(" ", strip=True).split()) or (a.get("title") or "")
        if is_attachment(url):
            if on_detail_page or says_disclosure(text, url):
                out.append(Link(url, text, "document", base_url))
        elif is_pagination(text, url):
            if host_of(url) == host_of(base_url):
                out.append(Link(url, text, "pagination", base_url))
        elif says_disclosure(text, url):
            out.append(Link(url, text, "page", base_url))
    return out
