"""The fixing loop keeps its promise: a fix never breaks a file."""

import textwrap

import libcst as cst
import pytest

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


# -- issue 14: a fix changes only what it fixes ------------------------------------------
class _StatementRule(_RenameRule):
    """Test double: replaces the whole `x = old(1)` statement with a freshly parsed one."""

    def check(self, ctx):
        for line in ctx.nodes(cst.SimpleStatementLine):
            if "old(" in ctx.module.code_for_node(line):
                found = self.violation(ctx, line, "old() is old")
                found.fix = Fix(SAFE, "rewrite", {line: cst.parse_statement("y = new(1)\n")})
                yield found


class _RemoveRule(_StatementRule):
    def check(self, ctx):
        for found in super().check(ctx):
            found.fix = Fix(SAFE, "remove", {found.node: cst.RemovalSentinel.REMOVE})
            yield found


def _withheld(result):
    return [f.message for f in result.findings if f.code == "TL000" and "fix withheld" in f.message]


def _lose_the_header(monkeypatch):
    import torchlint.fixing as fixing

    class _LosesTheHeader(fixing._ApplyEdits):  # what libcst's code generation sometimes does
        def on_leave(self, original_node, updated_node):
            updated = super().on_leave(original_node, updated_node)
            return updated.with_changes(header=()) if isinstance(updated, cst.Module) else updated

    monkeypatch.setattr(fixing, "_ApplyEdits", _LosesTheHeader)
    return fixing


def test_text_outside_the_fixed_nodes_comes_through_unchanged(monkeypatch):
    _lose_the_header(monkeypatch)
    source = "#!/usr/bin/env python\n\nx = old(1)\n\n\n  \t\n"
    result = fix_source("f.py", source, [_RenameRule()])
    assert result.source == source.replace("old(", "new(") and result.fixed == 1


def test_a_fix_that_cannot_be_spliced_and_changes_text_outside_is_withheld(monkeypatch):
    fixing = _lose_the_header(monkeypatch)
    monkeypatch.setattr(fixing, "splice", lambda *args: None)  # e.g. nested edits
    source = "#!/usr/bin/env python\n\nx = old(1)\n"
    result = fix_source("f.py", source, [_RenameRule()])
    assert result.source == source and result.fixed == 0
    assert _withheld(result) == [
        "could not analyse: fix withheld: a fix for TL990 would also change line 1, outside the code it fixes; "
        "file left unchanged"
    ]


def test_libcst_losing_blank_lines_before_a_trailing_whitespace_line_is_repaired():
    source = "x = old(1)\n\n\n \t \t\n"  # found by benchmarks/fuzz_audit.py: libcst drops the two blank lines
    assert fix_source("f.py", source, [_RenameRule()]).source == source.replace("old(", "new(")


def test_a_statement_built_afresh_keeps_the_comments_around_it():
    source = "def f():\n    # about x\n    x = old(1)  # why\n"
    assert fix_source("f.py", source, [_StatementRule()]).source == "def f():\n    # about x\n    y = new(1)  # why\n"


def test_a_fix_that_would_delete_a_comment_is_withheld():
    source = "import os\n# keep me\nx = old(1)\n"
    result = fix_source("f.py", source, [_RemoveRule()])
    assert result.source == source
    assert _withheld(result) == [
        "could not analyse: fix withheld: a fix for TL990 would delete the comment `# keep me`; file left unchanged"
    ]


def test_a_lone_cr_file_keeps_its_last_line_break():
    assert fix_source("f.py", "a = 1\rx = old(1)\r", [_RenameRule()]).source == "a = 1\rx = new(1)\r"


@pytest.mark.parametrize("source", [
    "x = old(1)\nreturn x\n",  # `return` outside a function
    "def f(a, a):\n    return old(a)\n",  # duplicate argument
    "try:\n    old(1)\nexcept (ValueError), e:\n    pass\n",  # Python 2
])  # fmt: skip
def test_a_file_python_rejects_is_never_rewritten(source):
    result = fix_source("f.py", source, [_RenameRule()])
    if result.source == source and not _withheld(result):  # libcst rejects it too: TL000 parse error
        assert [f.code for f in result.findings] == ["TL000"]
        return
    assert result.source == source and result.fixed == 0
    assert "fix withheld: Python rejects this file" in _withheld(result)[0]


def test_a_valid_file_libcst_cannot_parse_is_said_plainly():
    source = "x = old(\n" + "    'a'\n" * 5000 + ")\n"
    [finding] = fix_source("f.py", source, [_RenameRule()]).findings
    assert "libcst, the parser torchlint uses, cannot parse this file although Python can" in finding.message


@pytest.mark.parametrize("separator", ["\x0c", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e", "\x85", "\x0b"])
def test_noqa_stays_on_its_line_after_odd_line_separators(separator):
    source = f"s = '{separator}'  # {separator}\nx = old(1)  # noqa: TL990\ny = old(2)\n"
    result = fix_source("f.py", source, [_RenameRule()])
    assert result.source == source.replace("old(2)", "new(2)")
    from tests.helpers import lint_source

    assert [(f.code, f.line) for f in lint_source("f.py", source, [_RenameRule()])] == [("TL990", 3)]


def test_add_noqa_counts_lines_like_findings():
    from torchlint.suppress import add_noqa

    text = "s = '\x0c\u2028'\nx = old(1)\n"
    assert add_noqa(text, {2: ["TL990"]}) == ("s = '\x0c\u2028'\nx = old(1)  # noqa: TL990\n", 1)
