"""Flag messages from data: `say(rule, **fields)` fills the rule's template with named
fields.  Templates live in gazetteers/messages.yaml (`rules:`) and in the `messages:` section
of each family's vocabulary file (gazetteers/rules/<family>.yaml); `word(key)` gives the
shared words.  Rules spell no Chinese message in code; a reviewer or a new region changes a
wording in the YAML."""
from __future__ import annotations

from budgetlens import gazetteers

M = gazetteers.load("messages")
WORDS: dict[str, str] = M["words"]
SAME_ROOT: str = M["same_root"]
TEMPLATES: dict[str, str] = dict(M["rules"])
for _path in sorted((gazetteers.HERE / "rules").glob("*.yaml")):
    _family = gazetteers.load(f"rules/{_path.stem}") or {}
    for _rule, _text in (_family.get("messages") or {}).items():
        if _rule in TEMPLATES and TEMPLATES[_rule] != _text:
            raise ValueError(f"message {_rule} is defined twice, differently ({_path.name})")
        TEMPLATES[_rule] = _text


def say(rule: str, **fields) -> str:
    """The message of `rule` with `fields` filled in (KeyError on an unknown rule or field:
    a message that cannot be written is a bug, not a blank)."""
    return TEMPLATES[rule].format(**fields)


def word(key: str) -> str:
    return WORDS[key]
