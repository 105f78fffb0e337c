"""Every rule carries its documentation and its own examples, and they tell the truth."""

import textwrap

import pytest

from tests.helpers import lint
from torchlint import registry
from torchlint.cli import explain_text

RULES = sorted(registry.all_rules().values(), key=lambda r: r.code)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_documentation_is_complete(rule):
    assert rule.code.startswith("TL") and len(rule.code) == 5 and rule.code[2:].isdigit()
    assert rule.name == rule.name.lower() and " " not in rule.name
    for field in ("summary", "why", "bad", "good"):
        assert getattr(rule, field).strip(), f"{rule.code} has no {field}"
    assert "\n" not in rule.summary.strip()
    assert (rule.fixer is None) == (rule.fix_does is None), "fix_does documents the fixer, if and only if there is one"
    if rule.fixer is not None:
        assert rule.fix_applicability in ("safe", "unsafe", "sometimes")
    text = explain_text(rule)
    assert rule.summary in text and textwrap.dedent(rule.bad).strip().splitlines()[0] in text


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_bad_example_fires_and_good_example_is_clean(rule):
    assert rule.code in [f.code for f in lint(rule.bad, [rule.code])]
    assert [f.code for f in lint(rule.good, [rule.code])] == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_text_precheck_admits_the_bad_example(rule):
    assert rule.may_match(textwrap.dedent(rule.bad))


def test_codes_are_unique_and_in_their_family():
    names = [r.name for r in RULES]
    assert len(set(names)) == len(names)
