"""功能分类 paths and classification codes.

`“一般公共服务支出（类）统计信息事务（款）专项普查活动（项）”科目43.83万元` and the coded variant
`…（221类）…（02款）…（01项）` → subject = the path as written, `path` = "类 > 款 > 项" names,
`code` = 7-digit code (from the written codes, else looked up by name in
gazetteers/functional_classification.yaml; 经济分类 names in economic_classification.yaml).
`code_of(subject)` is the code of a subject that is exactly one unambiguous 类 name.

Corpus: extractors/corpus/subjects.yaml (the paths are part of what a subject is).
"""
from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from typing import Optional

import regex

from budgetlens import gazetteers
from budgetlens.gazetteers.patterns import alternation

from .subjects import LEVELS, LIST_NO, QUOTES, normalise


def _level_re(level: str, code_digits: str) -> str:
    # names may hold 、 (公诉、审判、侦查、执行等检察监督支出（项）) but no figure
    name = r"(?:[^（）()“”\"，,。；;：:、\n\d]|(?<=\p{Han})(?<![元人名个次件天项])、(?=\p{Han})|[（(][^类款项（）()]{1,3}[）)])+?"
    return rf"(?P<n_{level}>{name})[（(](?P<c_{level}>\d{{{code_digits}}})?{regex.escape(level)}[）)]"


@functools.lru_cache(maxsize=1)
def _path_re():
    lei, kuan, xiang = LEVELS
    return regex.compile(
        rf"(?:{_level_re(lei, '3')}\s*)?(?:{_level_re(kuan, '2,5')}\s*)?(?:{_level_re(xiang, '2,7')})?"
    )


@dataclass
class PathMatch:
    start: int
    end: int
    subject: str
    path: str
    code: Optional[str]
    names: tuple


@functools.lru_cache(maxsize=1)
def _level_marker_re():
    return regex.compile(rf"[（(]\d*(?:{alternation(LEVELS)})[）)]")


def functional_paths(text: str, context_lei: Optional[str] = None) -> list[PathMatch]:
    """功能分类 paths written with （类）（款）（项） markers."""
    if not _level_marker_re().search(text):
        return []
    return list(_functional_paths(text, context_lei))


# characters no path holds (a name excludes them, nothing else in _path_re admits them)
_PATH_STOP = regex.compile(r"[，,。；;：:“”\"]")


def _marked_clauses(text: str) -> list[tuple[int, int]]:
    """The spans between path-stop characters that hold a level marker: a path lies inside
    one of them, and scanning only those gives the same matches as scanning `text`."""
    stops = [m.start() for m in _PATH_STOP.finditer(text)]
    out: list[tuple[int, int]] = []
    for m in _level_marker_re().finditer(text):
        k = bisect.bisect_right(stops, m.start())
        span = (stops[k - 1] + 1 if k else 0, stops[k] if k < len(stops) else len(text))
        if not out or out[-1] != span:
            out.append(span)
    return out


def _path_matches(text: str):
    for a, b in _marked_clauses(text):
        yield from _path_re().finditer(text, a, b)


@functools.lru_cache(maxsize=4096)
def _functional_paths(text: str, context_lei: Optional[str]) -> tuple:
    out = []
    lei_w, kuan_w, xiang_w = LEVELS
    for m in _path_matches(text):
        if m.end() == m.start():
            continue
        names = [m.group(f"n_{l}") for l in LEVELS]
        codes = [m.group(f"c_{l}") for l in LEVELS]
        if not any(names):
            continue
        names = [(LIST_NO.sub("", n).strip(QUOTES + " ").lstrip("．.、 ") if n else None) for n in names]
        code = _resolve_code(names, codes, context_lei)
        subj = text[m.start():m.end()].strip(QUOTES + " ")
        subj = LIST_NO.sub("", subj).lstrip("．.、 ")
        out.append(PathMatch(m.start(), m.end(), subj, " > ".join(n for n in names if n), code, tuple(names)))
    return tuple(out)


def _resolve_code(names, codes, context_lei=None) -> Optional[str]:
    lei, kuan, xiang = names
    c1, c2, c3 = codes
    if c1 or c2 or c3:
        full = "".join(c for c in (c1, c2, c3) if c)
        if len(full) in (3, 5, 7):
            return full
        if c1 and c2 and c3 and len(c1) == 3:
            return c1 + c2[-2:] + c3[-2:]
    fc = gazetteers.functional_codes()
    idx = gazetteers.functional_name_index()
    if lei and not kuan and not [c for c in idx.get(lei, []) + idx.get(lei + "支出", []) if len(c) == 3] \
            and [c for c in idx.get(lei, []) if len(c) == 5]:
        # 住房改革支出（类）住房公积金（项）: a 款 written as 类
        lei, kuan = None, lei
    lei = lei or context_lei
    cands = [c for c in idx.get(lei or "", []) if len(c) == 3]
    if not cands and lei:
        cands = [c for c in idx.get(lei + "支出", []) if len(c) == 3]
    if not cands and not xiang:
        # 工资福利支出（类） / 基本工资（款）: 部门预算支出经济分类 names, 3 and 5 digits
        e = gazetteers.economic_name_index()
        if lei and not kuan:
            ec = [c for c in e.get(lei, []) if len(c) == 3 and c.startswith("3")]
            if len(ec) == 1:
                return ec[0]
        ctx_e = [c for c in e.get(context_lei or "", []) if len(c) == 3]
        if kuan and not lei and (not context_lei or ctx_e):
            # under an 经济分类 heading (工资福利支出（类） > （1）基本工资（款）) or with no heading
            ec = [c for c in e.get(kuan, []) if len(c) == 5 and c.startswith(ctx_e[0] if ctx_e else "3")]
            if len(ec) == 1 and (ctx_e or not [c for c in idx.get(kuan, []) if len(c) == 5]):
                return ec[0]
    if not cands:
        if kuan and not lei:
            k = [c for c in idx.get(kuan, []) if len(c) == 5]
            if len(k) == 1:
                cands = [k[0][:3]]
        if not cands:
            return None
    code = cands[0]
    if kuan:
        k = [c for c in idx.get(kuan, []) if len(c) == 5 and c.startswith(code)]
        if not k:
            return code
        code = k[0]
    if xiang:
        # a 项 the gazetteer cannot place (机关事业单位基本养老保险费, or 一般行政管理事务 under a
        # 类 with no 款 written) gets no code: the 类/款 code would name another row
        x = [c for c in idx.get(xiang, []) if len(c) == 7 and c.startswith(code)]
        if len(x) != 1:
            return None
        code = x[0]
    return code if code in fc else None


@functools.lru_cache(maxsize=20000)
def code_of(subject: str) -> Optional[str]:
    """A classification code when the subject is exactly one (unambiguous) 类 name."""
    s = normalise(subject)
    for idx in (gazetteers.functional_name_index(), gazetteers.economic_name_index()):
        codes = idx.get(s) or []
        if len(codes) == 1:
            return codes[0]
    return None
