"""`pair_profiles` scores only the candidate pairs its index of name cores proposes; the
groups must be exactly those of scoring every narrative × tables pair (the algorithm before,
kept here as `reference`, with the same `_same_unit` filter on the names it accepts): same
pairs, same order, same tie-breaking, for every input."""
from __future__ import annotations

import random
from difflib import SequenceMatcher
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetlens.readers import pairing
from budgetlens.readers.pairing import Profile, pair_profiles


def similarity(a: str, b: str) -> float:
    """`pairing._similarity` as it was: longest common substring over the shorter name."""
    if not a or not b:
        return 0.0
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size / min(len(a), len(b))


def field_score(a: str, b: str) -> Optional[float]:
    """A name's score if it qualifies: `similarity` reaches MIN_SCORE and the names' regions
    and what follows them agree (`pairing._same_unit`, a filter on what `similarity` accepts)."""
    s = similarity(a, b)
    return s if s >= pairing.MIN_SCORE and pairing._same_unit(a, b) else None


def reference(files: list[Path], profiles: dict[Path, Profile]) -> list[list[Path]]:
    """`pair_profiles` by brute force: every narrative × tables pair of a year is scored."""
    profiles = {p: profiles[p] for p in files if p in profiles}
    narratives = [pr for pr in profiles.values() if pr.kind == "narrative"]
    tables = [pr for pr in profiles.values() if pr.kind == "tables"]
    candidates: list[tuple[float, int, int]] = []
    for i, n in enumerate(narratives):
        for j, t in enumerate(tables):
            if n.year is None or t.year is None or n.year != t.year:
                continue
            scores = [s for s in (field_score(n.dept, t.dept), field_score(n.name_dept, t.name_dept)) if s is not None]
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


REGIONS = ["江苏省", "上海市", "上海市普陀区", "北京市", "广州市", "江苏省南京市", "江苏省南京市鼓楼区",
           "中共江苏省", "中共上海市普陀区", "珠海市", "", "江苏省连云港市雨花台区", "连云港市雨花台区",
           "北京市东城区", "北京市西城区", "东城区", "昆山市", "江苏省昆山市"]
DEPTS = ["委办公厅", "财政局", "财政厅", "教育局", "人民检察院", "政协办公厅", "人大常委会办公厅", "人大常委会",
         "发展和改革委员会", "万里街道", "规划和自然资源局", "司法局", "审计局", "委社会工作部", "局", "办",
         "第三中学", "第五街道办事处", "人民政府国有资产监督管理委员会"]
SUFFIXES = ["", "", "", "本级", "机关", "（本级）"]
KINDS = ["narrative", "narrative", "tables", "tables", "both", "other"]
YEARS: list[Optional[int]] = [2017, 2018, 2019, None]


def mutate(name: str, op: str, pos: int, ch: str) -> str:
    """A name near `name`: the edits that move a similarity across MIN_SCORE."""
    k = pos % (len(name) + 1)
    if op == "delete" and name:
        return name[:k] + name[k + 1:]
    if op == "insert":
        return name[:k] + ch + name[k:]
    if op == "replace" and name:
        return name[:k] + ch + name[k + 1:]
    if op == "head":
        return name[:k]
    if op == "tail":
        return name[k:]
    if op == "prefix":
        return "中共" + name
    if op == "short":
        return name[k: k + 1 + pos % 2]  # one or two characters
    if op == "empty":
        return ""
    return name


OPS = ["same", "same", "same", "delete", "insert", "replace", "head", "tail", "prefix", "short", "empty"]


@st.composite
def inputs(draw: st.DrawFn) -> tuple[list[Path], dict[Path, Profile]]:
    """Files with profiles whose names come from a small pool and edits of it, so that equal
    names (ties), near-threshold names, short and empty names and several years all occur."""
    pool = draw(st.lists(st.builds(lambda r, d, s: r + d + s, st.sampled_from(REGIONS), st.sampled_from(DEPTS),
                                   st.sampled_from(SUFFIXES)), min_size=1, max_size=6))
    name = st.builds(mutate, st.sampled_from(pool), st.sampled_from(OPS), st.integers(0, 20),
                     st.sampled_from("省委办公厅财政局中共区"))
    n = draw(st.integers(0, 24))
    files = [Path(f"/in/{k:02d}.pdf") for k in range(n)]
    profs: dict[Path, Profile] = {}
    for p in files:
        if draw(st.integers(0, 9)) == 0:
            continue  # unreadable: no profile
        profs[p] = Profile(p, draw(st.sampled_from(KINDS)), draw(st.sampled_from(YEARS)), draw(name), draw(name))
    order = draw(st.permutations(files))
    extra = draw(st.lists(st.sampled_from(files), max_size=2)) if files else []  # a path given twice
    return list(order) + extra, profs


@settings(max_examples=400, deadline=None)
@given(inputs())
def test_same_groups_as_scoring_every_pair(case):
    files, profs = case
    assert pair_profiles(files, profs) == reference(files, profs)


def random_input(rng: random.Random, n: int) -> tuple[list[Path], dict[Path, Profile]]:
    """n files of a crawl: most units publish a narrative and a tables file whose names differ
    by a prefix, a suffix or a character, some files are alone, some names are short or empty."""
    files: list[Path] = []
    profs: dict[Path, Profile] = {}

    def name(base: str) -> str:
        return mutate(base, rng.choice(OPS), rng.randrange(20), rng.choice("省委办公厅财政局中共区"))

    while len(files) < n:
        base = rng.choice(REGIONS) + rng.choice(DEPTS) + rng.choice(SUFFIXES)
        year = rng.choice(YEARS)
        for kind in rng.sample(KINDS, rng.choice([1, 2, 2, 2, 3])):
            p = Path(f"/in/{len(files):04d}.pdf")
            files.append(p)
            profs[p] = Profile(p, kind, year if rng.random() < 0.9 else rng.choice(YEARS), name(base), name(base))
    rng.shuffle(files)
    return files, profs


@pytest.mark.parametrize("seed", range(12))
def test_same_groups_on_larger_crawls(seed):
    files, profs = random_input(random.Random(seed), 400)
    got = pair_profiles(files, profs)
    assert got == reference(files, profs)
    assert any(len(g) == 2 for g in got)  # the inputs do pair


@pytest.mark.parametrize("min_score", [0.0, 0.3, 0.5, 0.6, 0.75, 0.9, 0.95, 1.0, 1.5])
def test_same_groups_at_other_thresholds(min_score, monkeypatch):
    """The proof of the candidate index holds for any MIN_SCORE, not only for 0.8."""
    monkeypatch.setattr(pairing, "MIN_SCORE", min_score)
    for seed in range(4):
        files, profs = random_input(random.Random(seed), 150)
        assert pair_profiles(files, profs) == reference(files, profs)


def test_short_empty_and_tied_names():
    p = [Path(f"/in/{k}.pdf") for k in range(10)]
    profs = {
        p[0]: Profile(p[0], "narrative", 2019, "局", ""),          # one character inside 财政局: 1.0
        p[1]: Profile(p[1], "tables", 2019, "财政局", ""),
        p[2]: Profile(p[2], "narrative", 2019, "", "财局"),         # 财局 ~ 财政局: 1/2, alone
        p[3]: Profile(p[3], "tables", 2019, "", "财政局"),
        p[4]: Profile(p[4], "narrative", 2018, "江苏省委办公厅", ""),  # two tables tie at 1.0:
        p[5]: Profile(p[5], "tables", 2018, "中共江苏省委办公厅", ""),  # the first in input order
        p[6]: Profile(p[6], "tables", 2018, "江苏省委办公厅", "省委办公厅"),
        p[7]: Profile(p[7], "narrative", 2018, "江苏省政协办公厅", "江苏省委办公厅"),  # by name_dept
        p[8]: Profile(p[8], "narrative", None, "江苏省委办公厅", ""),  # no year: alone
        p[9]: Profile(p[9], "tables", 2017, "", ""),
    }
    got = pair_profiles(p, profs)
    assert got == reference(p, profs)
    assert got == [[p[0], p[1]], [p[2]], [p[3]], [p[4], p[5]], [p[7], p[6]], [p[8]], [p[9]]]


@pytest.mark.parametrize("m", range(1, 60))
def test_core_is_covered_by_every_qualifying_match(m):
    """K = _min_match(m) is the least size that reaches MIN_SCORE, and a block of any such
    size anywhere in a name of m characters covers the name's core."""
    k = pairing._min_match(m)
    assert k / m >= pairing.MIN_SCORE and (k - 1) / m < pairing.MIN_SCORE
    s = "".join(chr(0x4E00 + c) for c in range(m))
    core = pairing._core(s)
    assert core
    for size in range(k, m + 1):
        for start in range(m - size + 1):
            assert core in s[start: start + size]


def test_similarity_is_unchanged():
    rng = random.Random(0)
    files, profs = random_input(rng, 300)
    names = sorted({n for p in profs.values() for n in (p.dept, p.name_dept)})
    for a in names:
        for b in rng.sample(names, 20) + [a, a[1:], "中共" + a]:
            assert pairing._similarity(a, b) == similarity(a, b), (a, b)
