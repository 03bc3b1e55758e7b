"""Flag messages are data (gazetteers/messages.yaml) and flags are linked by structured
keys (the figures they rest on), not by their text."""
import re
import string
from pathlib import Path

import pytest

from budgetlens import reconcile
from budgetlens.reconcile import messages
from budgetlens.reconcile.flags import Flag

RECONCILE = Path(reconcile.__file__).parent


def test_every_message_a_rule_asks_for_exists():
    used = set()
    for p in RECONCILE.glob("*.py"):
        used |= set(re.findall(r'\bsay\(\s*"([^"]+)"', p.read_text(encoding="utf-8")))
    assert used, "no rule reads its message from the gazetteer"
    assert used <= set(messages.TEMPLATES), used - set(messages.TEMPLATES)


def test_templates_name_their_fields():
    for rule, tpl in messages.M["rules"].items():
        names = [f for _t, f, _s, _c in string.Formatter().parse(tpl) if f is not None]
        assert names and all(n.isidentifier() for n in names), rule


def test_a_missing_field_is_an_error():
    with pytest.raises(KeyError):
        messages.say("list.sum_vs_total", sum="1")


def test_nested_lists_linked_by_a_shared_figure_not_by_text():
    """Two list flags with the same gap, resting on one figure (the inner total is an item of
    the outer list): one root, the other demoted; the messages play no part."""
    outer = Flag("narrative.arithmetic", "list.sum_vs_total", "error", "a", values=[10.0, 11.0], difference=-1.0,
                 start=100, cells=["span:120", "span:140"], key="o")
    inner = Flag("narrative.arithmetic", "list.sum_vs_total", "error", "b", values=[5.0, 6.0], difference=-1.0,
                 start=140, cells=["span:150", "span:160"], key="i")
    apart = Flag("narrative.arithmetic", "list.sum_vs_total", "error", "a", values=[7.0, 8.0], difference=-1.0,
                 start=300, cells=["span:320"], key="x")
    out = {f.key: f for f in reconcile.merge([outer, inner, apart])}
    assert sorted(f.severity for f in (out["o"], out["i"])) == ["error", "info"]
    assert out["x"].severity == "error" and not out["x"].related
