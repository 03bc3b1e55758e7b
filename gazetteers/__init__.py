"""Vocabularies, table templates, heading patterns and aliases, as data.

Every Chinese term the code relies on lives in a YAML file beside this module; the code
loads it once through the functions below.  Adding a region's table template, an alias
or a term is a YAML edit: files in `tables/` and `templates/` are merged, so a new
region is a new file.
"""
from __future__ import annotations

import functools
import hashlib
import io
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

import regex
import yaml

from . import jieba_trie

HERE = Path(__file__).resolve().parent
# libyaml's parser when built in (the same documents, ~8x faster to read at start-up)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=None)
def load(name: str) -> Any:
    """Load `gazetteers/<name>.yaml`."""
    with open(HERE / f"{name}.yaml", encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_LOADER)  # noqa: S506 - a safe loader


def _merge_dir(sub: str, key: str) -> dict:
    merged: dict = {}
    for path in sorted((HERE / sub).glob("*.yaml")):
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_LOADER) or {}  # noqa: S506 - a safe loader
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


# ── Classification codes (支出功能分类 / 支出经济分类) and budget terms ──────────────────
# functional_classification.yaml, economic_classification.yaml, terms.yaml.

_LEVELS = {3: "类", 5: "款", 7: "项"}


def _codes(name: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for code, spec in (load(name).get("codes") or {}).items():
        code = str(code)
        spec = {"name": spec} if isinstance(spec, str) else dict(spec)
        out[code] = {
            "name": spec["name"],
            "level": _LEVELS[len(code)],
            "parent": {3: None, 5: code[:3], 7: code[:5]}[len(code)],
            "former_names": list(spec.get("former_names") or []),
            "aliases": list(spec.get("aliases") or []),
            "since": spec.get("since"),
            "until": spec.get("until"),
            "note": spec.get("note"),
        }
    return out


@functools.lru_cache(maxsize=None)
def functional_codes() -> dict[str, dict]:
    """支出功能分类 code -> {name, level (类/款/项), parent, former_names [{name, until}],
    aliases, since, until (last year the code exists), note}."""
    return _codes("functional_classification")


@functools.lru_cache(maxsize=None)
def economic_codes() -> dict[str, dict]:
    """支出经济分类 code -> same fields as functional_codes(), plus `system`:
    `department` (部门预算支出经济分类, 3xx) or `government` (政府预算支出经济分类, 5xx)."""
    out = _codes("economic_classification")
    for code, spec in out.items():
        spec["system"] = "government" if code.startswith("5") else "department"
    return out


def _paren_variants(name: str) -> list[str]:
    """The name with full-width and ASCII brackets, both spellings."""
    return list(dict.fromkeys([name, name.replace("（", "(").replace("）", ")"),
                               name.replace("(", "（").replace(")", "）")]))


def _name_index(codes: dict[str, dict]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for code, spec in codes.items():
        names = [spec["name"], *spec["aliases"], *(f["name"] for f in spec["former_names"])]
        for n in names:
            for v in _paren_variants(n):
                lst = index.setdefault(v, [])
                if code not in lst:
                    lst.append(code)
    return {k: sorted(v, key=lambda c: (len(c), c)) for k, v in index.items()}


@functools.lru_cache(maxsize=None)
def functional_name_index() -> dict[str, list[str]]:
    """Name (current, alias or former name; both bracket widths) -> functional codes,
    shortest (类) first.  `行政运行` maps to every 款's 01 item."""
    return _name_index(functional_codes())


@functools.lru_cache(maxsize=None)
def economic_name_index() -> dict[str, list[str]]:
    """Name -> economic codes (3xx and 5xx), shortest first."""
    return _name_index(economic_codes())


@functools.lru_cache(maxsize=None)
def outdated_names() -> dict[str, list[dict]]:
    """Former official names -> [{code, current, until, classification}]: a document for a
    year after `until` that uses the name (e.g. 医疗卫生与计划生育支出 in a 2020 budget)
    uses a name the classification no longer has."""
    out: dict[str, list[dict]] = {}
    for cls, codes in (("functional", functional_codes()), ("economic", economic_codes())):
        for code, spec in codes.items():
            for f in spec["former_names"]:
                out.setdefault(f["name"], []).append(
                    {"code": code, "current": spec["name"], "until": int(f["until"]), "classification": cls})
    return out


@functools.lru_cache(maxsize=None)
def terms() -> dict[str, dict]:
    """Canonical budget term -> {category, aliases, parent, unit_kind, fact_parent, note}."""
    out: dict[str, dict] = {}
    for name, spec in (load("terms").get("terms") or {}).items():
        spec = dict(spec or {})
        out[name] = {
            "category": spec.get("category"),
            "aliases": list(spec.get("aliases") or []),
            "parent": spec.get("parent"),
            "unit_kind": spec.get("unit_kind", "money"),
            "fact_parent": spec.get("fact_parent", name),
            "note": spec.get("note"),
        }
    return out


@functools.lru_cache(maxsize=None)
def term_index() -> dict[str, str]:
    """Any spelling (canonical or alias, both bracket widths) -> canonical term."""
    index: dict[str, str] = {}
    for name, spec in terms().items():
        for n in [name, *spec["aliases"]]:
            for v in _paren_variants(n):
                index.setdefault(v, name)
    return index


@functools.lru_cache(maxsize=None)
def units() -> dict[str, dict]:
    """Unit spelling (canonical or alias) -> {canonical, kind, factor_wan}."""
    out: dict[str, dict] = {}
    for name, spec in (load("terms").get("units") or {}).items():
        spec = dict(spec or {})
        entry = {"canonical": str(name), "kind": spec.get("kind"), "factor_wan": spec.get("factor_wan")}
        for n in [str(name), *map(str, spec.get("aliases") or [])]:
            out.setdefault(n, entry)
    return out


# jieba only keeps runs of [\u4E00-\u9FD5a-zA-Z0-9+#&._%-] together, so a user-dictionary
# word with brackets or quotes (因公出国（境）费, “三公”经费) is always split at them;
# jieba_cut() below cuts those words out first.
_JIEBA_HAN = regex.compile(r"^[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+$")
_USERDICT_FREQ = 50000


@functools.lru_cache(maxsize=None)
def _userdict_words() -> tuple[str, ...]:
    words: dict[str, None] = {}
    for name, spec in terms().items():
        for n in [name, *spec["aliases"]]:
            for v in _paren_variants(n):
                words[v] = None
    for codes in (functional_codes(), economic_codes()):
        for spec in codes.values():
            for n in [spec["name"], *spec["aliases"], *(f["name"] for f in spec["former_names"])]:
                for v in _paren_variants(n):
                    words[v] = None
    for spec in table_types().values():
        for n in [spec.get("name", ""), *(spec.get("aliases") or [])]:
            words[n] = None
    return tuple(w for w in words if len(w) >= 2 and not regex.search(r"\s", w))


@functools.lru_cache(maxsize=None)
def jieba_userdict_lines() -> list[str]:
    """Lines `word freq nz` for jieba.load_userdict(): terms and their aliases, functional and
    economic names (current, aliases, former) and table titles.  Words containing brackets or
    quotes are included but jieba splits them anyway; use jieba_cut() to keep them whole."""
    return [f"{w} {_USERDICT_FREQ} nz" for w in _userdict_words()]


@functools.lru_cache(maxsize=None)
def _protected_words_re():
    special = sorted((w for w in _userdict_words() if not _JIEBA_HAN.match(w)), key=len, reverse=True)
    if not special:
        return None
    return regex.compile("|".join(regex.escape(w) for w in special))


# jieba is imported inside the two functions below: its dictionary and POS tag table (and
# jieba.posseg's HMM tables) are loaded only by a process that segments or tags, never by
# `budgetlens --help` or a store command.

def _import_jieba():
    """jieba, imported without pkg_resources.  jieba's _compat imports pkg_resources (if
    installed) only to open its own data files, and that import scans every installed
    distribution: ~0.4 s and ~13 MB.  Without it jieba opens the same files directly."""
    blocked = "pkg_resources" not in sys.modules
    if blocked:
        sys.modules["pkg_resources"] = None  # `import pkg_resources` raises ImportError
    try:
        import jieba
    finally:
        if blocked and sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]
    return jieba


# jieba's dictionary: FREQ (word and prefix → frequency) and jieba.posseg's tag table (word →
# tag).  As dicts they cost ~60 MB and ~1 s to load at every start-up (jieba.posseg parses
# dict.txt once more for its table); here both are a marisa trie and two arrays
# (gazetteers/jieba_trie.py, ~4 MB), built once from jieba's dict.txt into a cache file
# beside jieba's own, keyed on jieba's version and dict.txt (and marisa-trie's build).
_JIEBA_CACHE_FORMAT = 2


def _jieba_dict_file(jieba, tk) -> Optional[Path]:
    dict_file = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    if tk.dictionary != jieba.DEFAULT_DICT or not dict_file.is_file():
        return None  # a dictionary set by someone else: jieba loads it its own way
    return dict_file


def _jieba_cache_path(jieba, tk) -> Optional[Path]:
    dict_file = _jieba_dict_file(jieba, tk)
    if dict_file is None:
        return None
    st, lib = dict_file.stat(), Path(jieba_trie.marisa_trie.__file__)
    key = (f"{_JIEBA_CACHE_FORMAT}|{jieba_trie.FORMAT}|{jieba.__version__}|{dict_file}|{st.st_size}|{st.st_mtime_ns}"
           f"|{lib}|{lib.stat().st_mtime_ns}")
    return Path(tempfile.gettempdir()) / f"budgetlens-jieba-{hashlib.sha1(key.encode()).hexdigest()[:16]}.trie"


def _read_jieba_cache(path: Path):
    """(FREQ, total, tag table) from the cache file, or None."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return jieba_trie.load(data)


def _write_jieba_cache(path: Path, data: bytes) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:  # a read-only or full temp folder: no cache, same results
        pass


def _build_jieba_cache(jieba, tk, path: Path):
    """(FREQ, total, tag table) built from jieba's dict.txt and written to the cache, or None
    where jieba must read its dictionary itself."""
    dict_file = _jieba_dict_file(jieba, tk)
    built = jieba_trie.build(dict_file) if dict_file is not None else None
    if built is None:
        return None
    _write_jieba_cache(path, built)
    return jieba_trie.load(built)


@functools.lru_cache(maxsize=None)
def _jieba_loaded():
    """(jieba.dt with its dictionary loaded, the compact tag table or None).  From the
    cache when there is one; else built from jieba's dict.txt and cached; else (another
    dictionary, or one jieba's loaders read otherwise) loaded by jieba itself."""
    jieba = _import_jieba()
    jieba.setLogLevel(logging.WARNING)
    tk = jieba.dt
    path = None if tk.initialized else _jieba_cache_path(jieba, tk)  # not a dictionary changed by others
    loaded = None
    if path is not None:
        loaded = (_read_jieba_cache(path) if path.is_file() else None) or _build_jieba_cache(jieba, tk, path)
    if loaded is not None:
        tk.FREQ, tk.total, tags = loaded
        tk.initialized = True
        return tk, tags
    tk.initialize()
    return tk, None


@functools.lru_cache(maxsize=None)
def jieba_tokenizer():
    """jieba's default tokenizer (`jieba.dt`) with the budget user dictionary, added once.

    The default one, not a second jieba.Tokenizer(): jieba.posseg tags with `jieba.dt`
    (below), so one dictionary serves both.  Whoever segments with jieba in this process
    (spaCy's zh tokenizer included) gets the budget words."""
    tk, _ = _jieba_loaded()
    for w in _userdict_words():
        tk.add_word(w, _USERDICT_FREQ, "nz")
    return tk


def _empty_dictionary():
    return io.BytesIO(b"")


@functools.lru_cache(maxsize=None)
def jieba_pos_tokenizer():
    """jieba.posseg's tagger (`jieba.posseg.dt`) over jieba_tokenizer(), with the trie's
    tag table (or, from a dictionary jieba loaded itself, a compact copy of its own); the user words' tag (nz) is merged into it by jieba on the first cut.
    Importing jieba.posseg makes it parse dict.txt into its own table, which would be
    replaced at once: while it is imported, `jieba.dt` hands it an empty dictionary."""
    tk = jieba_tokenizer()
    _, tags = _jieba_loaded()
    if tags is not None and "jieba.posseg" not in sys.modules:
        tk.get_dict_file = _empty_dictionary
        try:
            import jieba.posseg as pseg
        finally:
            del tk.get_dict_file
    import jieba.posseg as pseg

    if pseg.dt.tokenizer is not tk:  # jieba.dt replaced since posseg was imported
        raise RuntimeError("jieba.posseg does not tag with jieba's default tokenizer")
    if tags is None:
        tags = _compact_tag_table(pseg.dt.word_tag_tab, tk.FREQ)
    pseg.dt.word_tag_tab = tags
    return pseg.dt


def _compact_tag_table(table: dict, freq: dict) -> dict:
    """The same word → tag mapping keyed on FREQ's strings, one object per tag."""
    tags: dict[str, str] = {}
    out = {w: tags.setdefault(t, t) for w in freq if (t := table.get(w)) is not None}
    if len(out) != len(table):  # a tagged word the tokenizer does not know: keep them all
        for w, t in table.items():
            out.setdefault(w, tags.setdefault(t, t))
    return out


def jieba_cut(text: str, HMM: bool = True) -> list[str]:
    """jieba cut with the budget dictionary, keeping bracketed/quoted terms such as
    因公出国（境）费 and “三公”经费 whole.  ''.join(result) == text."""
    tk = jieba_tokenizer()
    pat = _protected_words_re()
    out: list[str] = []
    pos = 0
    for m in (pat.finditer(text) if pat else ()):
        if m.start() > pos:
            out.extend(tk.cut(text[pos:m.start()], HMM=HMM))
        out.append(m.group())
        pos = m.end()
    if pos < len(text):
        out.extend(tk.cut(text[pos:], HMM=HMM))
    return out
