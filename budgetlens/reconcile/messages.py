"""Flag messages from data (gazetteers/messages.yaml): `say(rule, **fields)` fills the
rule's template with named fields.  Rules spell no Chinese message in code; a reviewer or
a new region changes a wording in the YAML."""
from __future__ import annotations

from budgetlens import gazetteers

M = gazetteers.load("messages")
WORDS: dict[str, str] = M["words"]
SAME_ROOT: str = M["same_root"]


def say(rule: str, **fields) -> str:
    """The message of `rule` with `fields` filled in (KeyError on an unknown rule or field:
    a message that cannot be written is a bug, not a blank)."""
    return M["rules"][rule].format(**fields)


def word(key: str) -> str:
    return WORDS[key]
