"""Vocabularies, table templates, heading patterns and aliases, as data.

Every Chinese term the code relies on lives in a YAML file beside this module; the code
loads it once through the functions below.  Adding a region's table template, an alias
or a term is a YAML edit: files in `tables/` and `templates/` are merged, so a new
region is a new file.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Optional

import regex
import yaml

HERE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def load(name: str) -> Any:
    """Load `gazetteers/<name>.yaml`."""
    with open(HERE / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _merge_dir(sub: str, key: str) -> dict:
    merged: dict = {}
    for path in sorted((HERE / sub).glob("*.yaml")):
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        for k, v in (data.get(key) or {}).items():
            if k in merged:  # a later file may add aliases to an existing type
                merged[k]["aliases"] = list(dict.fromkeys(merged[k].get("aliases", []) + v.get("aliases", [])))
                for kk, vv in v.items():
                    merged[k].setdefault(kk, vv)
            else:
                merged[k] = dict(v)
    return merged


@functools.lru_cache(maxsize=None)
def table_types() -> dict:
    """table_type key -> {name, aliases, [exclude], [family]} merged from tables/*.yaml."""
    return _merge_dir("tables", "tables")


@functools.lru_cache(maxsize=None)
def templates() -> dict:
    """template key -> {doc_kind, match, required_tables, required_sections} from templates/*.yaml."""
    return _merge_dir("templates", "templates")


_TITLE_NOISE = regex.compile(r"[\s\"“”‘’'《》〈〉「」【】（）()·:：、，,.。]|\[bookmark:[^\]]*\]")


def normalise_title(title: str) -> str:
    return _TITLE_NOISE.sub("", title or "")


@functools.lru_cache(maxsize=None)
def _alias_index() -> list[tuple[str, str, tuple[str, ...]]]:
    out = []
    for key, spec in table_types().items():
        excl = tuple(normalise_title(e) for e in spec.get("exclude", []) or [])
        for alias in spec.get("aliases", []) or []:
            out.append((normalise_title(alias), key, excl))
    out.sort(key=lambda t: -len(t[0]))  # the longest alias wins
    return out


@functools.lru_cache(maxsize=4096)
def match_table_type(title: str) -> Optional[str]:
    """The table_type whose longest alias occurs in `title`, or None."""
    t = normalise_title(title)
    if not t:
        return None
    for alias, key, excl in _alias_index():
        if alias and alias in t and not any(e and e in t for e in excl):
            return key
    return None


def table_name(table_type: str) -> str:
    spec = table_types().get(table_type) or {}
    return spec.get("name", table_type)
