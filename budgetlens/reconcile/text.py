"""`text`: defects of wording a reader notices without any arithmetic — duplicated
punctuation, a sentence that stops where its content should be (`主要原因是。`, `支出预算
支出 万元。`), template residue (`增加（减少）`, `XX局`), a 单位预算 calling itself 部门预算.

One flag per kind of defect per document (the same residue repeated twenty times is one
template left unfilled), quoting the first few sentences."""
from __future__ import annotations

import re

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.reconcile.evidence import quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say, word

FAMILY = "text"
V = gazetteers.load("rules/text")
RESIDUE = [re.compile(p) for p in V["residue"]]
TRUNC = [re.compile(p) for p in V["truncated"]]
MISSING = re.compile(V["missing_number"])
DUP = re.compile(V["duplicate_punct"])
UNIT_AS_DEPT = re.compile(V["unit_as_department"])
MAX_QUOTES = 3


def _narrative(doc: Document):
    for s in doc.sentences:
        if s.table_id is None:
            yield s


def _flag(rule: str, severity: str, message: str, hits: list, key: str) -> Flag:
    first = hits[0]
    return Flag(
        FAMILY, rule, severity, message + (say("text.times", n=len(hits)) if len(hits) > 1 else ""),
        values=[], evidence=[quote(s.text) for s, _m in hits[:MAX_QUOTES]],
        start=first[0].start + first[1].start(), end=first[0].start + first[1].end(), sentence=first[0].text,
        key=key,
    )


def check(doc: Document, facts=None) -> list[Flag]:
    flags = []
    residue: dict[str, list] = {}
    trunc, missing, dup, dept = [], [], [], []
    for s in _narrative(doc):
        t = s.text
        for p in RESIDUE:
            for m in p.finditer(t):
                residue.setdefault(re.sub(r"[()]", lambda x: "（" if x.group() == "(" else "）", m.group(0)), []).append((s, m))
        for p in TRUNC:
            m = p.search(t)
            if m:
                trunc.append((s, m))
        m = MISSING.search(t)
        if m and not re.search(r"单位\s*[：:]\s*$", t[:m.start() + 2]):
            missing.append((s, m))
        m = DUP.search(t)
        if m:
            dup.append((s, m))
        if doc.scope == "unit":
            m = UNIT_AS_DEPT.search(t)
            if m:
                dept.append((s, m))
    if residue:  # one template left unfilled: one flag naming every form found
        hits = sorted((h for hs in residue.values() for h in hs), key=lambda h: h[0].start + h[1].start())
        forms = word("enumeration").join(f"“{k}”" for k in residue)
        flags.append(_flag("template_residue", "warning", say("template_residue", forms=forms), hits, "residue"))
    if trunc:
        flags.append(_flag("truncated_sentence", "warning", say("truncated_sentence", text=trunc[0][1].group(0)), trunc, "truncated"))
    if missing:
        flags.append(_flag("missing_number", "warning", say("missing_number", text=missing[0][1].group(0)), missing, "missing_number"))
    if dup:
        flags.append(_flag("duplicate_punctuation", "info", say("duplicate_punctuation", text=dup[0][1].group(0)), dup, "dup_punct"))
    if dept:
        flags.append(_flag("unit_calls_itself_department", "warning",
                           "本文件为单位预决算，但文中自称部门预决算。", dept, "unit_as_department"))
    return flags
