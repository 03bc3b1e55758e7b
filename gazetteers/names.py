"""Names of publishing bodies and the title lines that print them, from `document_meta.yaml`
and `regions.yaml`.

Pure functions on strings, used by the pairing of two-file publications (readers) and by
the document's metadata (document.metadata); both sit above the vocabularies, so they live
here (like `headings.heading_style`).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterator, Optional

import regex

from . import load

META = load("document_meta")
_WS = regex.compile(r"\s+")
_LEADING = regex.compile(META["leading_code"])
_TITLES = [(k, regex.compile(p)) for k, p in META["title_patterns"].items()]
_LEVEL = regex.compile(META["level_pattern"])
_LABEL = regex.compile(META["label_pattern"])


@dataclass
class TitleMatch:
    """One reading of a title line: the body's name (None on a whole government's title),
    year, kind (budget/final_account), scope (department/unit), region with its level (from
    a level title such as 上海市2026年市级单位预算) and the pattern that matched."""

    dept: Optional[str]
    year: int
    kind: Optional[str]
    scope: str
    pattern: str
    region: Optional[str] = None
    start: int = 0
    end: int = 0


def squeeze(text: str) -> str:
    """A line without whitespace (covers print 2026 年 深圳市… across lines and spaces)."""
    return _WS.sub("", text or "")


def organisation_name(raw: str) -> Optional[str]:
    """`raw` as a body's name, or None when it does not look like one: it must end with an
    organisation ending (after a qualifier such as （本级）, which is kept) and contain none
    of the words of body text.  Leading codes and trailing title words are dropped."""
    name = _LEADING.sub("", squeeze(raw))
    for p in META["strip_prefixes"]:
        if name.startswith(p):
            name = name[len(p):]
    changed = True
    while changed:
        changed = False
        for w in META["trailing_words"]:
            if name.endswith(w) and len(name) > len(w) + 2:
                name = name[: -len(w)]
                changed = True
    core = name
    for q in META["name_qualifiers"]:
        if core.endswith(q):
            core = core[: -len(q)]
            break
    if len(core) < 3 or len(name) > 40:
        return None
    if any(w in core for w in META["not_in_name"]) or any(w in name for w in META["not_department"]):
        return None
    if not core.endswith(tuple(META["organisation_endings"])):
        return None
    return name


def _match(m, pattern: str) -> TitleMatch:
    return TitleMatch(
        dept=None, year=int(m.group("year")), kind=META["kind_words"].get(m.group("kind")),
        scope=META["scope_words"].get(m.group("scope") or "部门", "department"), pattern=pattern,
        start=m.start(), end=m.end(),
    )


_HAN = regex.compile(r"\p{Han}")


def _at_boundary(t: str, i: int) -> bool:
    """A title starts a line or follows a non-Han character; one starting inside a run of
    Han text (入烟台市审计局 in 纳入烟台市审计局…) must name a region first (省检察院 does not,
    and is a sentence's subject, not a title)."""
    return i == 0 or not _HAN.match(t[i - 1]) or region_of(t[i:])[0] is not None


def title_matches(text: str) -> Iterator[TitleMatch]:
    """Every reading of `text` (whitespace removed) as a title line naming a body, in order
    of position; the name is validated by `organisation_name`.  A level title
    (上海市2026年市级单位预算) yields a match without a body, carrying the region."""
    t = squeeze(text)
    for p in META["strip_prefixes"]:
        t = t.replace(p, "|")
    found: list[TitleMatch] = []
    m = _LEVEL.search(t)
    if m:
        tm = _match(m, "level")
        tm.region = f"{m.group('region')}（{m.group('level')}）"
        found.append(tm)
    for key, pat in _TITLES:
        for m in pat.finditer(t, overlapped=True):
            if not _at_boundary(t, m.start()):
                continue
            name = organisation_name(m.group("dept"))
            if name:
                tm = _match(m, key)
                tm.dept = name
                found.append(tm)
                break
    found.sort(key=lambda x: x.start)
    return iter(found)


def abbreviate(name: str) -> str:
    """One spelling for comparing names: no spaces or brackets, long forms abbreviated
    (中国共产党江苏省委员会办公厅 → 中共江苏省委办公厅)."""
    s = regex.sub(r"[\s（）()“”\"'·]", "", name or "")
    for a, b in META["name_abbreviations"].items():
        s = s.replace(a, b)
    return s


def label_name(line: str) -> Optional[str]:
    """The body named by a label line (预算单位：…, 部门：…), or None."""
    m = _LABEL.match(line.strip())
    return organisation_name(m.group("dept")) if m else None


@functools.lru_cache(maxsize=1)
def _regions() -> tuple[dict, list[tuple[str, str]]]:
    data = load("regions")
    full: dict[str, str] = {}  # name as printed → region as written (province + city)
    for m in data["municipalities"]:
        full[m] = m
    for prov, cities in data["provinces"].items():
        full[prov] = prov
        for c in cities:
            full[c] = prov + c
    short = []  # 北京 → 北京市: a name may start with the short form (北京城市副中心…)
    for name in full:
        for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市"):
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                short.append((name[: -len(suffix)], name))
                break
    return full, sorted(short, key=lambda x: -len(x[0]))


@functools.lru_cache(maxsize=1)
def _by_first_char() -> dict[str, list[str]]:
    """The regions' printed names by their first character, longest first (ties in the
    gazetteer's order): the names `region_of` tries at the start of a name."""
    out: dict[str, list[str]] = {}
    for printed in sorted(_regions()[0], key=len, reverse=True):
        out.setdefault(printed[:1], []).append(printed)
    return out


_DISTRICT = regex.compile(META["district_pattern"])
_REGION = regex.compile(META["region_pattern"])


def region_of(name: str) -> tuple[Optional[str], Optional[str]]:
    """(region as printed at the start of a body's name, its province):
    深圳市审计局 → (深圳市, 广东省), 中共烟台市委宣传部 → (烟台市, 山东省), 上海市普陀区财政局 →
    (上海市普陀区, 上海市), 江苏省委办公厅 → (江苏省, 江苏省), 秦皇岛市海港区信访局 →
    (秦皇岛市海港区, 河北省), 北京城市副中心… → (北京市, 北京市) from the short form."""
    n = squeeze(name)
    for p in META["fuller_prefixes"]:
        if n.startswith(p):
            n = n[len(p):]
            break
    full, short = _regions()
    provinces = load("regions")["provinces"]
    for printed in _by_first_char().get(n[:1], ()):  # the longest region name at the start
        if n.startswith(printed):
            break
    else:
        for s, printed in short:
            if n.startswith(s):
                return printed, _province(full[printed])
        # a region the gazetteer does not list (a county-level city: 昆山市财政局): as printed,
        # province unknown
        r = _REGION.match(n)
        found = r.group("region") if r else ""
        if len(found) > 2 and not any(ch in META["not_region_chars"] for ch in found):
            return found, None
        return None, None
    region, rest = printed, n[len(printed):]
    if printed in provinces:  # a province: its city may follow
        for c in sorted(provinces[printed], key=len, reverse=True):
            if rest.startswith(c):
                region, rest = printed + c, rest[len(c):]
                break
    d = _DISTRICT.match(rest)
    if d and not any(ch in META["not_region_chars"] for ch in d.group(0)):
        region += d.group(0)
    return region, _province(full[printed])


def _province(qualified: str) -> str:
    """The province-level division a qualified region starts with (广东省深圳市 → 广东省)."""
    data = load("regions")
    for p in [*data["municipalities"], *data["provinces"]]:
        if qualified.startswith(p):
            return p
    return qualified


def qualified_region(region: Optional[str], province: Optional[str]) -> Optional[str]:
    """The region with its province in front, as the corpus READMEs write it (深圳市 + 广东省
    → 广东省深圳市; 上海市（市级） stays)."""
    if not region:
        return None
    if not province or region.startswith(province):
        return region
    return province + region
