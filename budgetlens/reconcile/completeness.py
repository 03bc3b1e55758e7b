"""`completeness`: the tables and sections 《地方预决算公开操作规程》 (财预〔2016〕143号)
requires of a budget or final-account disclosure (per template in gazetteers/templates),
and an empty table that does not say why it is empty."""
from __future__ import annotations

import functools
import re
from typing import Optional

import regex

from budgetlens import gazetteers
from budgetlens.document.metadata import choose_template, template_fields
from budgetlens.document.model import Document
from budgetlens.gazetteers.names import qualified_region
from budgetlens.reconcile import memo
from budgetlens.reconcile.evidence import table_name
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say, word

FAMILY = "completeness"
R = gazetteers.load("rules/completeness")




@functools.lru_cache(maxsize=1024)
def _rx(pattern: str):
    """A template's pattern, compiled once per process."""
    return regex.compile(pattern)


def _body(doc: Document) -> str:
    """The document's text without whitespace, made once per text (not per empty table)."""
    return _without_spaces(doc.text)


@functools.lru_cache(maxsize=8)
def _without_spaces(text: str) -> str:
    # str.split() splits on exactly what `\s` matches in a str pattern (Unicode whitespace):
    # the same text as re.sub(r"\s+", "", text), a few times faster
    return "".join(text.split())


_NONE = re.compile(R["none_pattern"])


def _says_none(doc: Document, table_type: str) -> bool:
    """The narrative states that the department has nothing for this table's subject
    (once per document and table type)."""
    return memo.once(doc, ("says_none", table_type), lambda: _scan_says_none(doc, table_type))


def _scan_says_none(doc: Document, table_type: str) -> bool:
    words = R["table_subjects"].get(table_type) or []
    if not words:
        return False
    body = _body(doc)
    for w in words:
        if not w:  # an empty word is found everywhere (as re.finditer would)
            if any(_NONE.search(body[max(0, m.start() - 20):m.end() + 30]) for m in re.finditer("", body)):
                return True
            continue
        at = body.find(w)
        while at >= 0:  # each occurrence, left to right, not overlapping (as re.finditer)
            window = body[max(0, at - 20):at + len(w) + 30]
            if _NONE.search(window):
                return True
            at = body.find(w, at + len(w))
    return False


def template_for(doc: Document) -> Optional[dict]:
    """The template the document builder chose by the templates' `match` blocks
    (document.metadata.choose_template), with what it inherits; None when unknown."""
    if doc.template is None:
        doc.template = choose_template(doc)
    return template_fields(doc.template) if doc.template else None


def _maybe_present(doc: Document, table_type: str) -> bool:
    """Some table of the document may be of `table_type` without being typed so: typed
    `unknown` with evidence for that type (a positive score), or with amounts (a money
    unit) and no evidence at all."""
    for t in doc.tables:
        if t.table_type != "unknown":
            continue
        if t.type_scores.get(table_type, 0) > 0 or (t.unit and not t.type_scores):
            return True
    return False


def _unknown_template(doc: Document) -> Flag:
    """No template fits: nothing is required, so nothing is missing; say what the document has."""
    msg = R["messages"]["unknown_template"]
    region = qualified_region(doc.region, doc.province) or "—"
    tables = "、".join(dict.fromkeys(table_name(t) for t in doc.tables)) or "—"
    heads = "；".join(_headings(doc)[:30]) or "—"
    return Flag(FAMILY, "template.unknown", "info",
                msg.format(region=region, kind=doc.doc_kind or "—", n_tables=len(doc.tables)),
                evidence=[f"{R['messages']['tables_found']}{tables}", f"{R['messages']['headings_found']}{heads}"],
                key="template.unknown")


def _headings(doc: Document) -> list[str]:
    out = []
    stack = list(doc.sections)
    while stack:
        s = stack.pop()
        out.append(re.sub(r"\s+", "", s.heading))
        stack.extend(s.children)
    return out


def check(doc: Document, facts=None) -> list[Flag]:
    tpl = template_for(doc)
    if not tpl:
        return [_unknown_template(doc)]
    flags: list[Flag] = []
    present = {t.table_type for t in doc.tables}
    missing = [k for k in tpl.get("required_tables", []) if k not in present]
    kind_word = R["kind_final"] if doc.doc_kind == "final_account" else R["kind_budget"]
    # a table the narrative says the department has no data for (`本部门无国有资本经营预算`,
    # `国有资本经营预算拨款支出预算为0`) is an omission of form, not of content: info
    explained = [k for k in missing if _says_none(doc, k)]
    if missing:
        # a table the document has but whose type is not established (typed `unknown`, with
        # an amount unit, and no type score against this type) may be the missing one:
        # its absence is then not established either
        uncertain = [k for k in missing if _maybe_present(doc, k)]
        sure = [k for k in missing if k not in uncertain]
        severity = "info" if (set(sure) <= set(explained) or set(sure) <= set(R.get("template_dependent_tables", []))) else "warning"
        names = [gazetteers.table_name(k) for k in missing]
        n_req = len(tpl.get("required_tables", []))
        flags.append(Flag(
            FAMILY, "required_tables.missing", severity,
            say("required_tables.missing", n_req=n_req, kind=kind_word, n=len(missing),
                names=word("enumeration").join(names)),
            values=[float(len(missing))],
            evidence=[R["messages"]["tables_found"]
                      + (word("enumeration").join(table_name(t) for t in doc.tables) or say("completeness.none")),
                      f"{R['messages']['template']}{doc.template}"]
            + ([R["messages"]["untyped_may_be"].format(names="、".join(gazetteers.table_name(k) for k in uncertain))]
               if uncertain else []),
            key="missing:" + ",".join(missing),
        ))
    notes = [_rx(p) for p in tpl.get("empty_note_patterns", [])]
    required = set(tpl.get("required_tables", []))
    for t in doc.tables:
        if not t.empty or t.table_type not in required or t.empty_note:
            continue
        around = " ".join(t.caption) + " " + _text_after(doc, t)
        if any(p.search(re.sub(r"\s+", "", around)) for p in notes) or _says_none(doc, t.table_type):
            continue
        flags.append(Flag(
            FAMILY, "empty_table.no_note", "warning",
            say("empty_table.no_note", table=table_name(t)),
            evidence=[say("empty_table.no_note.evidence", table=table_name(t))], key="empty:" + t.table_id,
        ))
    heads = _headings(doc)
    body = _body(doc)
    missing_sections = []
    for sec in tpl.get("required_sections", []):
        pats = [_rx(p) for p in sec.get("patterns", [])]
        if any(p.search(h) for p in pats for h in heads):
            continue
        if any(p.search(body) for p in pats):
            continue
        missing_sections.append(sec["name"])
    if missing_sections:
        flags.append(Flag(
            FAMILY, "required_sections.missing", "warning",
            say("required_sections.missing", sections=word("enumeration").join(missing_sections)),
            values=[float(len(missing_sections))],
            evidence=[R["messages"]["headings_found"] + word("list_separator").join(heads[:30])], key="sections:" + ",".join(missing_sections),
        ))
    return flags


def _text_after(doc: Document, t, span: int = 200) -> str:
    """The table's own text and the lines right after it (where the 空表 note sits)."""
    if t.start is None:
        return ""
    ends = [e for r in t.rows for (_s, e) in (r.spans or []) if e is not None]
    end = max(ends) if ends else t.start + 600
    return doc.text[t.start:end + span]
