"""Pair disclosures published as two files (narrative + tables) into one source group.

Jiangsu 2017–2019 publish some budgets as a narrative-only PDF and a tables-only PDF
(e.g. JS08 江苏省委办公厅2017年部门预算 + JS09 …2017年预算公开表格).  `pair_sources`
groups such files by department and year, decided from the files' content (title or table
caption lines, year; read by `gazetteers.names`, as the document's metadata is) with the
file name as fallback.  Two complete disclosures are never paired: a pair is always one
narrative-only file plus one tables-only file.  The narrative comes first in a pair, so the
document's metadata is read from its cover: the tables file inherits its department.
Names alike only through a shared region (江苏省连云港市雨花台区第三中学 ~ …第五街道办事处) or a
shared department in another region (北京市东城区… ~ 北京市西城区…) are not one unit (`_same_unit`):
in a partial crawl such pairs would check one unit's narrative against another's tables.

Pure function: reads the files, writes nothing, keeps no state.
"""
from __future__ import annotations

import functools
import math
import os
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Union

import regex

from budgetlens.gazetteers import load
from budgetlens.gazetteers.names import abbreviate, label_name, qualified_region, region_of, squeeze, title_matches
from budgetlens.readers import read_blocks
from budgetlens.readers.blocks import Block, ReadError

PROSE_MIN = 800  # characters of prose that make a file carry a narrative
# A file of many tables whose prose is this small a share of its table text is a tables
# file even past PROSE_MIN: the long cells of a 绩效目标 table spill out as paragraphs
# (BJ01 _表: 1,180 characters of such prose beside 40,398 of table text; files with a
# narrative have prose ≥ 0.4 of their table text).
PROSE_SHARE_MAX = 0.1
MIN_SCORE = 0.8  # department-name similarity needed to pair (see _similarity)
_FILE_PREFIX = regex.compile(load("document_meta")["file_prefix_pattern"])
_FULLER_PREFIXES = tuple(load("document_meta")["fuller_prefixes"])  # 中共江苏省委… → 江苏省委…


_YEAR = regex.compile(r"(20\d\d)\s*年")
_PROSE = regex.compile(r"[，。；]")


@dataclass
class Profile:
    path: Path
    kind: str  # "narrative" | "tables" | "both" | "other"
    year: Optional[int]
    dept: str
    name_dept: str  # department from the file name (fallback)


def _norm_dept(s: str) -> str:
    return abbreviate(s)


def _similarity(a: str, b: str) -> float:
    """Longest common substring over the shorter name: 江苏省委办公厅 ~ 中共江苏省委办公厅 = 1.0,
    江苏省委办公厅 ~ 江苏省政协办公厅 = 3/7 (shared region and suffix are not enough)."""
    if not a or not b:
        return 0.0
    if a in b or b in a:  # as find_longest_match (exact without junk) finds, at 1/80 of its cost
        return 1.0
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size / min(len(a), len(b))


@functools.lru_cache(maxsize=1 << 16)
def _region_split(name: str) -> tuple[Optional[str], str]:
    """(the region a name starts with, the rest of the name), the region qualified with its
    province where the gazetteer knows it: 中共江苏省委办公厅 → (江苏省, 委办公厅), 江苏省连云港市雨花台区
    第三中学 → (江苏省连云港市雨花台区, 第三中学), 北京城市副中心工程… → (北京市, 城市副中心工程…).
    Regions printed one after the other are all taken (江苏省 + 昆山市, a city the gazetteer does
    not list: 江苏省昆山市, 财政局; 江苏 + 连云港市雨花台区: 江苏省连云港市雨花台区).  (None, name)
    when the name starts with no region (省委办公厅, 财政局)."""
    n = squeeze(name)
    for p in _FULLER_PREFIXES:
        if n.startswith(p):
            n = n[len(p):]
            break
    region = ""
    while n:
        printed, province = region_of(n)
        k = len(os.path.commonprefix([n, printed or ""]))  # 北京城市… prints 北京 for 北京市
        if not printed or not k:
            break
        q = qualified_region(printed, province) or printed
        region = q if q.startswith(region) else region + q  # 江苏省 then 江苏省连云港市…: the latter
        n = n[k:]
    return (region or None), n


def _regions_agree(a: str, b: str) -> bool:
    """The same region, or one printed as the tail of the other (东城区 for 北京市东城区): a
    district's unit is not its city's (北京市 vs 北京市东城区) nor another district's."""
    return a == b or a.endswith(b) or b.endswith(a)


def _same_unit(a: str, b: str) -> bool:
    """Whether two names that `_similarity` finds alike may name one unit, judged on the part
    that tells units apart: when both start with a region, the regions must agree and what
    follows them must reach MIN_SCORE too.  江苏省连云港市雨花台区第三中学 ~ …第五街道办事处 scores
    12/15 on the shared region, but 第三中学 ~ 第五街道办事处 1/4: not one unit; 北京市东城区… ~
    北京市西城区… (same department, other district): regions disagree.  A name without a
    region (省委办公厅, 第三中学) is left to `_similarity` alone; 江苏省委办公厅 ~ 中共江苏省委
    办公厅 (both 江苏省, 委办公厅) pass."""
    if a == b:
        return True
    ra, rest_a = _region_split(a)
    rb, rest_b = _region_split(b)
    if ra is None or rb is None:
        return True
    if not _regions_agree(ra, rb):
        return False
    return rest_a == rest_b or _similarity(rest_a, rest_b) >= MIN_SCORE


def _field_score(a: str, b: str) -> Optional[float]:
    """`_similarity(a, b)` where it reaches MIN_SCORE and `_same_unit` agrees, else None: a
    filter on what `_similarity` accepts, so `_candidate_pairs` still proposes every pair
    that qualifies."""
    s = _similarity(a, b)
    return s if s >= MIN_SCORE and _same_unit(a, b) else None


def _name_profile(path: Path) -> tuple[Optional[int], str]:
    stem = _FILE_PREFIX.sub("", path.stem)  # "JS08_" style prefixes
    m = _YEAR.search(stem) or regex.search(r"(20\d\d)", stem)
    year = int(m.group(1)) if m else None
    dept = stem[: m.start()] if m else stem
    return year, _norm_dept(dept)


def profile(path: Union[str, Path], blocks: list[Block]) -> Profile:
    path = Path(path)
    n_tables = sum(1 for b in blocks if b.kind == "table")
    paras = [b.text for b in blocks if b.kind == "para"]
    prose = sum(len(t) for t in paras if len(t) >= 30 and _PROSE.search(t))
    table_text = sum(sum(map(len, chain.from_iterable(b.rows))) for b in blocks if b.kind == "table")
    if n_tables >= 3 and (prose < PROSE_MIN or prose < PROSE_SHARE_MAX * table_text):
        kind = "tables"
    elif n_tables <= 1 and prose >= PROSE_MIN:
        kind = "narrative"
    elif n_tables or prose:
        kind = "both"
    else:
        kind = "other"
    year: Optional[int] = None
    dept = ""
    for t in paras[:40]:  # a label line (预算单位：…, 部门：…) names the body
        dept = label_name(t) or ""
        if dept:
            break
    m = next(iter(title_matches("".join(paras[:6]))), None)  # the title block of the first page
    if m:
        year = m.year
        dept = dept or m.dept or ""
    if year is None:
        years = Counter(int(y) for t in paras[:60] for y in _YEAR.findall(t))
        if years:
            year = years.most_common(1)[0][0]
    n_year, n_dept = _name_profile(path)
    if year is None:
        year = n_year
    return Profile(path, kind, year, _norm_dept(dept), n_dept)


def _default_read(path: Path) -> list[Block]:
    return read_blocks(path)[1]


def pair_sources(
    paths: Iterable[Union[str, Path]],
    read: Optional[Callable[[Path], list[Block]]] = None,
) -> list[list[Path]]:
    """Group input files into disclosures: [[narrative, tables], [single], ...].

    `read(path) -> blocks` may be given to reuse blocks the caller already read; by default
    files are read with `readers.read_blocks`.  A file that cannot be read stays alone (its
    error is reported when it is read for real).  Input order is kept (a pair sits where its
    first file was).
    """
    files = [Path(p) for p in paths]
    return pair_profiles(files, profiles(files, read))


PAIRABLE = (".pdf", ".xlsx", ".xls", ".html", ".htm", ".docx", ".txt")


def profiles(paths: Iterable[Union[str, Path]], read: Optional[Callable[[Path], list[Block]]] = None
             ) -> dict[Path, Profile]:
    """The profile of every file that can be paired and read, in input order."""
    read = read or _default_read
    out: dict[Path, Profile] = {}
    for p in paths:
        p = Path(p)
        if p.suffix.lower() not in PAIRABLE:
            continue
        try:
            out[p] = profile(p, read(p))
        except ReadError:
            continue
        except Exception:  # a reader bug must not stop pairing of the other files
            continue
    return out


def _min_match(m: int) -> int:
    """The least common-substring size k with k / m >= MIN_SCORE (the same float division as
    `_similarity`): what a pair whose shorter name has m characters needs; > m if none does."""
    k = max(math.ceil(MIN_SCORE * m), 0)
    while k > 0 and (k - 1) / m >= MIN_SCORE:  # ceil of a rounded product may be one off
        k -= 1
    while k <= m and k / m < MIN_SCORE:
        k += 1
    return k


def _core(s: str) -> Optional[str]:
    """s[m-K:K] (m = len(s), K = _min_match(m)): the middle of a name that every common
    substring of size ≥ K lies over (see `_candidate_pairs`); None if no size can reach
    MIN_SCORE.  江苏省委办公厅 (m 7, K 6) → 苏省委办公; a name of 1–4 characters is its own core."""
    m = len(s)
    k = _min_match(m)
    return s[m - k: k] if k <= m else None


def _shared_cores(names: list[tuple[int, str]], others: list[tuple[int, str]]) -> Iterator[tuple[int, int]]:
    """(i, j) for every name i of `names` that contains the core of name j of `others`: the
    cores are indexed by length, and every substring of each name of an indexed length is
    looked up (a name of n characters: n lookups per core length)."""
    index: dict[int, dict[str, list[int]]] = {}
    for j, s in others:
        c = _core(s)
        if c is not None:
            index.setdefault(len(c), {}).setdefault(c, []).append(j)
    for i, s in names:
        for size, cores in index.items():
            for start in range(len(s) - size + 1):
                for j in cores.get(s[start: start + size], ()):
                    yield i, j


def _candidate_pairs(narratives: list[Profile], tables: list[Profile]) -> set[tuple[int, int]]:
    """Every (narrative index, table index) of one year whose `dept`s or whose `name_dept`s
    may reach MIN_SCORE: a superset of the pairs that do, much smaller than all pairs.

    Why none is missed.  Let a, b be non-empty names, m the shorter length, and
    `_similarity(a, b)` = k / m ≥ MIN_SCORE, k the size of a common substring (the block
    SequenceMatcher found, or the shorter name when it lies in the other).  With
    K = `_min_match(m)`, k ≥ K (k / m does not decrease with k, and (K-1) / m < MIN_SCORE).
    In the shorter name s (either one if equal) that common substring starts at some p with
    p + k ≤ m, so p ≤ m - k ≤ m - K and p + k ≥ K: it covers s[m-K:K], the core of s, and so
    the other name contains the core of s.  Looking the cores of the tables' names up in the
    narratives' names and the other way round therefore finds every such pair, for `dept` and
    for `name_dept` alike (a pair may qualify by either).  Empty names score 0 and are skipped
    (MIN_SCORE > 0 here); names of 1–4 characters are their own core, so short names need no
    special case.  With MIN_SCORE ≤ 0 every pair of a year qualifies: all are returned.

    Why few others are proposed.  A core holds 2K - m ≥ (2·MIN_SCORE - 1)·m characters, 60%
    of its name: names that share only a region and a common suffix (江苏省委办公厅 ~
    江苏省政协办公厅) do not meet here, and the exact score is computed only for the pairs
    that do.  A name of n characters costs n dict lookups per indexed core length.

    `pair_profiles` then drops the names `_same_unit` tells apart: a filter on pairs that
    reach MIN_SCORE, so every pair it keeps is among those proposed here.
    """
    by_year: dict[int, tuple[list[int], list[int]]] = {}
    for i, n in enumerate(narratives):
        if n.year is not None:
            by_year.setdefault(n.year, ([], []))[0].append(i)
    for j, t in enumerate(tables):
        if t.year is not None and t.year in by_year:
            by_year[t.year][1].append(j)
    out: set[tuple[int, int]] = set()
    for ns, ts in by_year.values():
        if MIN_SCORE <= 0:
            out.update((i, j) for i in ns for j in ts)
            continue
        for field in ("dept", "name_dept"):
            a = [(i, getattr(narratives[i], field)) for i in ns if getattr(narratives[i], field)]
            b = [(j, getattr(tables[j], field)) for j in ts if getattr(tables[j], field)]
            out.update(_shared_cores(a, b))
            out.update((i, j) for j, i in _shared_cores(b, a))
    return out


def pair_profiles(files: list[Path], profiles: dict[Path, Profile]) -> list[list[Path]]:
    """`pair_sources` from the files' profiles (computed by `profiles`, or remembered from
    an earlier run); a file without a profile stays alone.

    Pairs are taken greedily by score, ties in (narrative, table) input order.  Only the pairs
    `_candidate_pairs` proposes are scored (all pairs would be quadratic: a province's 20,000
    narratives × 20,000 tables files took hours); the groups are the same as scoring all.
    A name counts when `_similarity` reaches MIN_SCORE and `_same_unit` agrees (`_field_score`);
    the pair's score is the higher of its names' that count."""
    profiles = {p: profiles[p] for p in files if p in profiles}  # input order decides ties
    narratives = [pr for pr in profiles.values() if pr.kind == "narrative"]
    tables = [pr for pr in profiles.values() if pr.kind == "tables"]
    candidates: list[tuple[float, int, int]] = []
    for i, j in sorted(_candidate_pairs(narratives, tables)):
        n, t = narratives[i], tables[j]
        scores = [s for s in (_field_score(n.dept, t.dept), _field_score(n.name_dept, t.name_dept)) if s is not None]
        if scores:
            candidates.append((max(scores), i, j))
    candidates.sort(key=lambda c: -c[0])
    partner: dict[Path, Path] = {}
    used_n, used_t = set(), set()
    for _score, i, j in candidates:
        if i in used_n or j in used_t:
            continue
        used_n.add(i)
        used_t.add(j)
        partner[narratives[i].path] = tables[j].path
        partner[tables[j].path] = narratives[i].path
    groups: list[list[Path]] = []
    seen: set[Path] = set()
    for p in files:
        if p in seen:
            continue
        q = partner.get(p)
        if q is None:
            groups.append([p])
            seen.add(p)
            continue
        narr, tab = (p, q) if profiles[p].kind == "narrative" else (q, p)
        groups.append([narr, tab])
        seen.update((narr, tab))
    return groups
