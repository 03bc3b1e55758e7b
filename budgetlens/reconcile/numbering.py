"""Numbered headings that show a part of the document is missing — from the numbering alone,
whatever the template.

- `section_numbering.gap` (completeness, warning): two headings of one numbering style under
  one parent jump (`一、预算收支增减变化情况说明` then `五、政府采购情况`): the sections between
  are missing.  Silent when the skipped numbers were written in that style between the two
  (a list run into one paragraph), when a table stands between them (a part of tables whose
  heading the table took), and when the jump returns to a sequence opened before (a nested
  list reusing the style: `五、…绩效目标` `一、…` `二、…` `六、…`).
- `heading.empty` (text, warning): a numbered heading that opens its style's sequence past
  one (`（二）部门主管专项资金的绩效目标表` with no `（一）`) and has no content: the next
  paragraph is a heading above its level (its section closes), or the document ends, with no
  table between.

Heading styles and their depth: gazetteers/headings.yaml (the order of 公文 numbering:
第一部分 > 一、 > （一） > 1. > （1））; a heading is a short line not ending like a sentence
(gazetteers.headings.heading_style).  Numerals are read by cn2an.  Vocabulary: `numbering:` of
gazetteers/rules/completeness.yaml; messages in the completeness and text family files.
Corpus: reconcile/corpus/recall2.yaml."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.document.numbers import cn_to_int, int_to_cn
from budgetlens.gazetteers.headings import STYLES, heading_style
from budgetlens.reconcile.evidence import quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say

V = gazetteers.load("rules/completeness")["numbering"]
LEVEL = {name: i for i, (name, _p) in enumerate(STYLES)}
_NUMERAL = re.compile(V["numeral"])


@dataclass
class Numbered:
    start: int
    end: int
    level: int
    style: str
    n: int
    label: str  # the numbering as written (`五、`, `（二）`)
    text: str
    heading: bool


@functools.lru_cache(maxsize=4096)
def _number(label: str) -> Optional[int]:
    m = _NUMERAL.search(label)
    if not m:
        return None
    t = m.group()
    if t.isdigit():
        return int(t)
    try:
        return cn_to_int(t, "smart")
    except (ValueError, KeyError):
        return None


@functools.lru_cache(maxsize=50_000)
def _opening(t: str) -> tuple:
    """(style, label, is a heading) of the numbering a line opens with, in the depth order;
    (None, None, False).  Memoised: templated paragraphs recur from document to document."""
    for name, pat in STYLES:
        m = pat.match(t)
        if m:
            return name, m.group(), heading_style(t) is not None
    return None, None, False


def numbered_paragraphs(doc: Document) -> list[Numbered]:
    out = []
    for a, b in doc.paragraphs:
        raw = doc.text[a:b]
        t = raw.strip()
        if not t:
            continue
        name, label, heading = _opening(t)
        if label is None:
            continue
        n = _number(label)
        if n is None:
            continue
        a0 = a + (len(raw) - len(raw.lstrip()))
        out.append(Numbered(a0, a0 + len(t), LEVEL[name], name, n, label, t, heading))
    return out


def _written_between(doc: Document, style: str, numbers: range, a: int, b: int) -> bool:
    """Whether one of `numbers` is written in `style` anywhere in the text [a, b) (a list run
    into one paragraph: `4.…总表5.2026年…6.…`)."""
    for m in re.finditer(V["label_anywhere"][style], doc.text[a:b]):
        if _number(m.group()) in numbers:
            return True
    return False


def _table_between(doc: Document, a: int, b: int) -> bool:
    return any(t.start is not None and a <= t.start < b for t in doc.tables)


def check(doc: Document, facts=None) -> list[Flag]:
    paras = numbered_paragraphs(doc)
    flags: list[Flag] = []
    seen: dict[int, set] = {}
    last: dict[int, Numbered] = {}
    for k, p in enumerate(paras):
        mine = seen.setdefault(p.level, set())
        prev = last.get(p.level)
        if prev is not None and mine and p.n > 1 and (p.n - 1) not in mine and p.n > max(mine) + 1:
            f = _gap(doc, prev, p, range(max(mine) + 1, p.n))
            if f:
                flags.append(f)
        elif not mine and p.n > 1:
            f = _empty_orphan(doc, paras, k)
            if f:
                flags.append(f)
        mine.add(p.n)
        last[p.level] = p
        for lv in [lv for lv in seen if lv > p.level]:
            del seen[lv]
            last.pop(lv, None)
    return flags


def _gap(doc: Document, prev: Numbered, p: Numbered, missing: range) -> Optional[Flag]:
    if not (prev.heading and p.heading) or prev.style != p.style:
        return None
    if _written_between(doc, p.style, missing, prev.end, p.start) or _table_between(doc, prev.end, p.start):
        return None
    labels = [_numeral(p.label, n) for n in missing]
    return Flag(
        "completeness", "section_numbering.gap", "warning",
        say("section_numbering.gap", before=prev.text, after=p.text, missing="、".join(labels)),
        values=[float(prev.n), float(p.n)], evidence=[quote(prev.text), quote(p.text)],
        start=p.start, end=p.end, sentence=p.text, key=f"numbering_gap:{p.start}",
    )


def _numeral(label: str, n: int) -> str:
    """`n` in the numerals of `label` (`五、` → 二, `3.` → 2)."""
    return str(n) if _NUMERAL.search(label).group().isdigit() else int_to_cn(n)


def _label(label: str, n: int) -> str:
    """`五、` written for another number (`二、`)."""
    m = _NUMERAL.search(label)
    return label[:m.start()] + _numeral(label, n) + label[m.end():]


def _empty_orphan(doc: Document, paras: list[Numbered], k: int) -> Optional[Flag]:
    p = paras[k]
    if not p.heading:
        return None
    nxt = next((q for q in doc.paragraphs if q[0] >= p.end and doc.text[q[0]:q[1]].strip()), None)
    if nxt is not None:
        t = doc.text[nxt[0]:nxt[1]].strip()
        style = heading_style(t)
        if style is None or LEVEL[style] >= p.level:
            return None  # a body, a sub-heading, or a sibling (a list of headings: a 目录)
        stop = nxt[0]
    else:
        stop = len(doc.text)
    if _table_between(doc, p.end, stop) or doc.text[p.end:stop].strip():
        return None
    # the numbers before it, written in its style anywhere in its parent (a heading the reader lost)
    parent = max((q.end for q in paras[:k] if q.level < p.level), default=0)
    if _written_between(doc, p.style, range(1, p.n), parent, p.start):
        return None
    return Flag(
        "text", "heading.empty", "warning",
        say("heading.empty", heading=p.text, first=_label(p.label, 1)),
        values=[float(p.n)], evidence=[quote(p.text)],
        start=p.start, end=p.end, sentence=p.text, key=f"empty_heading:{p.start}",
    )
