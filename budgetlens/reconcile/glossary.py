"""`text` `glossary.residual_definition`: a 名词解释 entry whose definition is that of a
residual item — `除上述项目以外其他用于公路水路运输方面的支出` is what every `其他…支出` 科目 of
the classification reads — given to an item that is not residual (`公路养护（项）`, ZJ03 p.18):
the explanation was copied from the neighbouring `其他公路水路运输支出（项）`.

An entry is a sentence `名称：指…` (the definition marker after the name); the item's own name
is the last level of a 功能分类 path (`…（款）公路养护（项）` → 公路养护) or the name after its
list number.  Vocabulary and message: `glossary:` and `messages:` of gazetteers/rules/text.yaml;
corpus: reconcile/corpus/recall2.yaml."""
from __future__ import annotations

import re
from typing import Optional

from budgetlens import gazetteers
from budgetlens.document.model import Document
from budgetlens.reconcile.evidence import quote
from budgetlens.reconcile.flags import Flag
from budgetlens.reconcile.messages import say

V = gazetteers.load("rules/text")["glossary"]
_ENTRY = re.compile(V["entry"])
_RESIDUAL_DEF = re.compile(V["residual_definition"])
_RESIDUAL_NAME = re.compile(V["residual_name"])
_LEVEL = re.compile(V["level_marker"])
_NUMBERING = re.compile(V["numbering"])
_DOMAIN = re.compile(V["domain"])


def item_name(head: str) -> Optional[str]:
    """The entry's own name: the last level of a path, else the head without its number."""
    parts = [p.strip() for p in _LEVEL.split(_NUMBERING.sub("", head.strip())) if p and p.strip()]
    return parts[-1] if parts else None


def check(doc: Document, facts=None) -> list[Flag]:
    flags = []
    for s in doc.sentences:
        if s.table_id is not None:
            continue
        m = _ENTRY.match(s.text.strip())
        if not m:
            continue
        name = item_name(m.group("head"))
        definition = m.group("definition")
        if not name or _RESIDUAL_NAME.search(name) or not _RESIDUAL_DEF.search(definition):
            continue
        d = _DOMAIN.search(definition)
        owner = say("glossary.residual_owner", domain=d.group("domain")) if d else ""
        flags.append(Flag(
            "text", "glossary.residual_definition", "warning",
            say("glossary.residual_definition", name=name, definition=quote(definition, 80), owner=owner),
            values=[], evidence=[quote(s.text)], start=s.start, end=s.end, sentence=s.text,
            key=f"glossary_residual:{s.start}",
        ))
    return flags
