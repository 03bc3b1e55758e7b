"""Work done once per document and shared by the rules and the verdicts.

`check_document` opens a fresh memo for its document (`fresh(doc)`); every rule and the
verdicts that follow on the same document object reuse it (`of(doc)`).  A memo holds only
what depends on the document alone (its tables, sentences, text, metadata), never on the
facts a caller passes: the same call on the same document gives the same answer, computed
once.  One document at a time: a memo for another document replaces it.
"""
from __future__ import annotations

_CURRENT: dict = {"doc": None, "memo": {}}


def fresh(doc) -> dict:
    """A new, empty memo for `doc` (drops whatever was memoised before)."""
    _CURRENT["doc"] = doc
    _CURRENT["memo"] = {}
    return _CURRENT["memo"]


def of(doc) -> dict:
    """The memo of `doc`: the current one when it is this very document, else a fresh one."""
    if _CURRENT["doc"] is not doc:
        return fresh(doc)
    return _CURRENT["memo"]


def once(doc, key, compute):
    """`compute()` the first time `key` is asked of `doc`, the memoised value after."""
    m = of(doc)
    try:
        return m[key]
    except KeyError:
        v = m[key] = compute()
        return v


def obj_once(obj, name: str, compute):
    """`compute(obj)` once per object (a table, a fact) and per `name` while the current
    memo lasts.  The object is kept in the memo with its value, so its id cannot be reused
    meanwhile; it must not change while the memo lasts (tables and facts do not, between
    `check_document` and the verdicts)."""
    m = _CURRENT["memo"]
    key = (name, id(obj))
    hit = m.get(key)
    if hit is not None and hit[0] is obj:
        return hit[1]
    v = compute(obj)
    m[key] = (obj, v)
    return v


table_once = obj_once
