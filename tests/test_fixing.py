"""The fixing loop keeps its promise: a fix never breaks a file."""

import textwrap

import libcst as cst

from torchlint.fixing import fix_source
from torchlint.rule import SAFE, Fix, Rule


class _RenameRule(Rule):
    """Test double: flags every `old(...)` call; its fix renames it to `replacement`."""

    code = "TL990"
    name = "test-rename"
    summary = why = bad = good = "test"
    requires_text = (("old",),)
    def replacement(self):
        return cst.Name("new")

    def check(self, ctx):
        for call in ctx.nodes(cst.Call):
            if isinstance(call.func, cst.Name) and call.func.value == "old":
                found = self.violation(ctx, call.func, "old() is old")
                found.fix = Fix(SAFE, "rename", {call.func: self.replacement()})
                yield found


class _BreakingRule(_RenameRule):
    def replacement(self):
        return cst.Attribute(value=cst.Integer("1"), attr=cst.Name("real"))  # renders `1.real`: not Python


class _FlipFlopRule(Rule):
    """Test double: a fix that never settles (a <-> b)."""

    code = "TL991"
    name = "test-flip-flop"
    summary = why = bad = good = "test"

    def check(self, ctx):
        for name in ctx.nodes(cst.Name):
            if name.value in ("a", "b"):
                found = self.violation(ctx, name, "flip")
                found.fix = Fix(SAFE, "flip", {name: cst.Name("b" if name.value == "a" else "a")})
                yield found


SOURCE = textwrap.dedent(
    """\
    # a comment that must survive
    x = old(1)  # trailing comment
    y = old(old(2))
    """
)


def test_fixes_apply_until_stable_and_keep_comments():
    result = fix_source("f.py", SOURCE, [_RenameRule()])
    assert result.source == SOURCE.replace("old(", "new(")
    assert result.findings == [] and result.fixed == 3


def test_a_fix_that_breaks_the_file_is_discarded():
    result = fix_source("f.py", SOURCE, [_BreakingRule()])
    assert result.source == SOURCE
    assert result.fixed == 0
    errors = [f for f in result.findings if f.code == "TL000"]
    assert len(errors) == 1 and "produced code that does not parse" in errors[0].message
    assert "TL990" in errors[0].message


def test_a_fix_that_never_settles_is_discarded():
    result = fix_source("f.py", "a = 1\n", [_FlipFlopRule()])
    assert result.source == "a = 1\n"
    assert any("did not settle" in f.message for f in result.findings)


def test_unparsable_input_is_not_fixed():
    result = fix_source("f.py", "old(\n", [_RenameRule()])
    assert result.source == "old(\n"
    assert [f.code for f in result.findings] == ["TL000"]
