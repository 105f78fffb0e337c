"""Finding positions without the whole module's code generation (engine.StatementPositions).

The statement-by-statement positions must be libcst's own, exactly: every rule fixture, harness case,
example and test project is positioned both ways (the whole-module pass, `engine.module_positions`, is
the reference), for every violation and fix edit and for every node of the file; unusual texts (repeated
statements, no final newline, carriage returns, tabs, a byte-order mark) either match or fall back.
"""

from __future__ import annotations

import os
import textwrap

import libcst as cst
import pytest

from tests.test_screens import ROOT, SNIPPET_DIRS, _snippets
from torchlint import engine, registry
from torchlint.context import FileContext


def _program_files():
    for folder in ("examples", "tests/projects"):
        for directory, _, names in os.walk(os.path.join(ROOT, folder)):
            for name in sorted(names):
                if name.endswith(".py"):
                    yield os.path.join(directory, name)


def _every_node(ctx: FileContext):
    return list(ctx.all_nodes())


def _same_as_module_pass(source: str, every_node: bool = True):
    """Positions of violations, fix edits and (optionally) every node agree with the module pass."""
    analysis = engine.analyse("example.py", source, registry.select_rules(["ALL"]), screen=False)
    if analysis.module is None:
        return 0
    reference = engine.module_positions(analysis.module)
    positions = engine.node_positions(analysis)
    asked = [v.node for v in analysis.violations]
    asked += [node for v in analysis.violations if v.fix is not None for node in v.fix.edits]
    for node in asked:
        assert positions[node] == reference[node], f"{type(node).__name__} in\n{source}"
    if every_node:
        fresh = engine.StatementPositions(analysis.module, source, analysis.context)
        for node in _every_node(analysis.context):
            assert fresh[node] == reference[node], f"{type(node).__name__} in\n{source}"
    return len(asked)


@pytest.mark.parametrize("folder", SNIPPET_DIRS)
def test_every_test_snippet_positions_match_the_module_pass(folder):
    positioned = 0
    for code, where in _snippets().items():
        if where.startswith(folder):
            positioned += _same_as_module_pass(code)
    assert positioned > 50  # the snippets do have findings to position


def test_examples_and_projects_positions_match_the_module_pass():
    files = list(_program_files())
    assert len(files) > 10
    for path in files:
        with open(path, encoding="utf-8") as handle:
            _same_as_module_pass(handle.read())


def _positions(source: str):
    module = cst.parse_module(source)
    ctx = FileContext("example.py", source, module)
    return engine.StatementPositions(module, source, ctx), engine.module_positions(module), ctx


def _check_all(source: str):
    positions, reference, ctx = _positions(source)
    for node in _every_node(ctx):
        assert positions[node] == reference[node], type(node).__name__
    return positions


NESTED = textwrap.dedent(
    '''\
    # a header comment
    import torch


    @decorator(
        1,
    )
    class Net(torch.nn.Module):  # trailing
        """Doc
        string."""

        def forward(self, x):
            if x:  y = x.view(1); z = 2
            elif x is None:
                # a comment
                return (
                    x.permute(0, 1)
                     .view(-1)
                )
            else:
                pass
            s = "a" \\
                "b"
            async def inner():
                async with a as b:
                    await b
            return x
    '''
)


@pytest.mark.parametrize(
    "source",
    [
        NESTED,
        NESTED.replace("\n", "\r\n"),  # Windows newlines
        NESTED.replace("    ", "\t"),  # tabs
        "def f(x):\n  if x:\n      return 1\n  return 2\n",  # a block indented unlike the module's default
        "match x:\n    case [a, *rest]:\n        y = a\n    case _:\n        pass\n",
        "try:\n    a = 1\nexcept* ValueError:\n    b = 2\nfinally:\n    c = 3\n",
        "x = 1\n\n\n\n# a footer comment\n",
        "",
    ],
)
def test_every_node_matches_the_module_pass(source):
    _check_all(source)


def test_statements_are_generated_not_the_module():
    positions, reference, ctx = _positions(NESTED)
    call = next(c for c in ctx.nodes(cst.Call) if ctx.code(c.func).endswith("view"))
    assert positions[call] == reference[call]
    assert positions._full is None and positions.statements_generated == 1


def test_repeated_statements_look_further_out():
    source = "def f(x):\n    x = x.view(1)\n    x = x.view(1)\n    return x\n"
    positions, reference, ctx = _positions(source)
    second = ctx.nodes(cst.Call)[1]
    assert positions[second] == reference[second]
    assert positions[second].start.line == 3
    assert positions._full is None and positions.statements_generated == 2  # the line, then the function


def test_repeated_top_level_statements_fall_back_to_the_module_pass():
    source = "x = y.view(1)\nx = y.view(1)\n"
    positions, reference, ctx = _positions(source)
    second = ctx.nodes(cst.Call)[1]
    assert positions[second] == reference[second] and positions[second].start.line == 2
    assert positions._full is not None


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\ny = x.view(1)",  # no final newline
        "x = 1\ry = x.view(1)\r",  # old Mac newlines
        "x = 1\r\ny = x.view(1)\n",  # mixed
        "\ufeffx = 1\ny = x.view(1)\n",  # byte-order mark
    ],
)
def test_unusual_texts_fall_back_or_match(source):
    positions = _check_all(source)
    if "\ufeff" not in source:
        assert positions._full is not None or positions.statements_generated


def test_lint_reports_the_same_positions():
    source = NESTED + "\nimport torchvision\nm = torchvision.models.resnet18(pretrained=True)\n"
    findings = engine.lint_source("example.py", source, registry.select_rules(["ALL"]))
    assert findings
    analysis = engine.analyse("example.py", source, registry.select_rules(["ALL"]))
    reference = engine.module_positions(analysis.module)
    lines = {(f.line, f.column) for f in findings if f.code != "TL000"}
    assert lines == {(reference[v.node].start.line, reference[v.node].start.column + 1) for v in analysis.violations}
