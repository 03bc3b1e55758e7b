"""`budgetlens.toml`: what to crawl, where results go, the schedule.

    [crawl]
    sources = ["https://czj.example.gov.cn/yjsgk/index.html"]
    hosts = []                      # extra hosts documents may come from (the sources' hosts are always allowed)
    rate_limit_per_host = 1.0       # seconds between two requests to one host
    max_bytes = 52428800            # size cap per file
    user_agent = "budgetlens/0.1 (+https://example.org/budgetlens)"
    max_pages = 200                 # pages (lists, detail pages) visited per source
    timeout = 30                    # seconds per network read
    max_seconds = 0                 # seconds per response in all (0: 3 x timeout); a trickling server is cut off
    retries = 3
    schedule = { cron = "0 2 * * *", timezone = "Asia/Shanghai" }

    [store]
    path = "budgetlens-data/budgetlens.duckdb"
    # raw = "budgetlens-data/raw"   # default: "raw" beside the store

    [tika]                          # optional
    url = "http://localhost:9998"

Relative paths are relative to the config file's folder.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

DEFAULT_UA = "budgetlens/0.1 (budget disclosure checker)"


class ConfigError(ValueError):
    """The config file is missing or invalid (a message for the user, not a traceback)."""


@dataclass
class Schedule:
    cron: str = "0 2 * * *"
    timezone: str = "Asia/Shanghai"


@dataclass
class Config:
    sources: list[str]
    hosts: list[str]
    store_path: Path
    raw_dir: Path
    rate_limit_per_host: float = 1.0
    max_bytes: int = 50 * 1024 * 1024
    user_agent: str = DEFAULT_UA
    max_pages: int = 200
    timeout: float = 30.0
    max_seconds: float = 0.0  # whole-response deadline; 0 means 3 x timeout
    retries: int = 3
    backoff: float = 1.0
    schedule: Schedule = field(default_factory=Schedule)
    tika_url: Optional[str] = None
    report_path: Optional[Path] = None
    path: Optional[Path] = None  # the file this came from

    @property
    def allowed_hosts(self) -> set[str]:
        """Hosts the crawler may contact: the sources' hosts plus `hosts`."""
        out = {h.lower() for h in self.hosts}
        out |= {urlsplit(s).hostname.lower() for s in self.sources if urlsplit(s).hostname}
        return out

    @property
    def report(self) -> Path:
        return self.report_path or self.store_path.parent / "report.html"


def _path(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p).resolve()


def load_config(path: str | Path) -> Config:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"no config file at {path} (see README: 'Configuring sources and a schedule')")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return config_from_dict(data, base=path.resolve().parent, path=path)


def config_from_dict(data: dict, base: Path, path: Optional[Path] = None) -> Config:
    crawl = data.get("crawl") or {}
    store = data.get("store") or {}
    tika = data.get("tika") or {}
    report = data.get("report") or {}
    sources = crawl.get("sources") or []
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ConfigError("[crawl] sources must be a list of URLs")
    for s in sources:
        if urlsplit(s).scheme not in ("http", "https") or not urlsplit(s).hostname:
            raise ConfigError(f"[crawl] sources: not an http(s) URL: {s!r}")
    store_path = _path(base, store.get("path", "budgetlens-data/budgetlens.duckdb"))
    raw_dir = _path(base, store["raw"]) if store.get("raw") else store_path.parent / "raw"
    sched = crawl.get("schedule") or {}
    if not isinstance(sched, dict):
        raise ConfigError("[crawl] schedule must be a table: { cron = \"0 2 * * *\", timezone = \"Asia/Shanghai\" }")
    try:
        return Config(
            sources=list(sources),
            hosts=[str(h).lower() for h in crawl.get("hosts", [])],
            store_path=store_path,
            raw_dir=raw_dir,
            rate_limit_per_host=float(crawl.get("rate_limit_per_host", 1.0)),
            max_bytes=int(crawl.get("max_bytes", 50 * 1024 * 1024)),
            user_agent=str(crawl.get("user_agent", DEFAULT_UA)),
            max_pages=int(crawl.get("max_pages", 200)),
            timeout=float(crawl.get("timeout", 30.0)),
            max_seconds=float(crawl.get("max_seconds", 0.0)),
            retries=int(crawl.get("retries", 3)),
            backoff=float(crawl.get("backoff", 1.0)),
            schedule=Schedule(cron=str(sched.get("cron", "0 2 * * *")),
                              timezone=str(sched.get("timezone", "Asia/Shanghai"))),
            tika_url=(str(tika["url"]).rstrip("/") if tika.get("url") else None),
            report_path=_path(base, report["path"]) if report.get("path") else None,
            path=path,
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid value in the config: {exc}") from None
