"""Reaching assignments: the light data flow several rules share."""

import libcst as cst

from torchlint.analysis.dataflow import in_exclusive_branches, reaching_assignments
from torchlint.context import FileContext


def reaching(source, line_marker="use"):
    module = cst.parse_module(source)
    ctx = FileContext("x.py", source, module)
    # the use is the last Name `x` inside a call marked `use(...)`
    calls = [c for c in ctx.nodes(cst.Call) if isinstance(c.func, cst.Name) and c.func.value == line_marker]
    use = calls[-1].args[0].value
    return [ctx.code(a.value) if a.value is not None else None for a in reaching_assignments(ctx, use)]


def test_latest_unconditional_assignment_shadows_earlier_ones():
    assert reaching("x = a()\nx = b()\nuse(x)\n") == ["b()"]


def test_conditional_assignments_do_not_shadow():
    assert reaching("x = a()\nif c:\n    x = b()\nuse(x)\n") == ["b()", "a()"]


def test_if_branch_does_not_reach_its_else():
    source = "def f(c):\n    x = a()\n    if c:\n        x = b()\n    else:\n        use(x)\n"
    assert reaching(source) == ["a()"]


def test_elif_branches_are_exclusive():
    source = "def f(c, d):\n    x = a()\n    if c:\n        x = b()\n    elif d:\n        use(x)\n"
    assert reaching(source) == ["a()"]


def test_later_assignment_and_own_right_hand_side_do_not_reach():
    assert reaching("x = a()\nx = use(x)\nx = b()\n") == ["a()"]


def test_other_function_scopes_are_separate():
    assert reaching("x = a()\ndef f(x):\n    use(x)\n") == []


def _call(ctx, name):
    return next(c for c in ctx.nodes(cst.Call) if isinstance(c.func, cst.Name) and c.func.value == name)


def test_a_call_in_the_if_test_is_in_neither_branch():
    source = "def f():\n    if ready():\n        on_true()\n    else:\n        on_false()\n"
    ctx = FileContext("t.py", source, cst.parse_module(source))
    test, on_true, on_false = _call(ctx, "ready"), _call(ctx, "on_true"), _call(ctx, "on_false")
    for branch in (on_true, on_false):
        assert not in_exclusive_branches(ctx, test, branch)  # the test runs before either branch
        assert not in_exclusive_branches(ctx, branch, test)
    assert in_exclusive_branches(ctx, on_true, on_false)
    assert in_exclusive_branches(ctx, on_false, on_true)


def test_a_call_in_an_elif_test_runs_before_that_branch_not_the_first():
    source = "def f():\n    if a():\n        one()\n    elif b():\n        two()\n"
    ctx = FileContext("t.py", source, cst.parse_module(source))
    assert not in_exclusive_branches(ctx, _call(ctx, "b"), _call(ctx, "two"))
    assert in_exclusive_branches(ctx, _call(ctx, "b"), _call(ctx, "one"))
    assert not in_exclusive_branches(ctx, _call(ctx, "a"), _call(ctx, "two"))
