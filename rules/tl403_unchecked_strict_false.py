"""TL403 unchecked-strict-false."""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.objects import used_in_nested_scope, uses_of_assigned_value
from torchlint.context import FileContext
from torchlint.names import dotted_name
from torchlint.rule import Rule, Violation


def _is_false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def non_strict_load(call: cst.Call) -> Optional[cst.Arg]:
    """The `strict=False` argument of `<x>.load_state_dict(sd, strict=False)` (or `(sd, False)`)."""
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "load_state_dict"):
        return None
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "strict":
            return arg if _is_false(arg.value) else None
    if len(positional) >= 2 and _is_false(positional[1].value):
        return positional[1]
    return None


def result_is_discarded(ctx: FileContext, call: cst.Call) -> bool:
    parent = ctx.parent(call)
    if isinstance(parent, cst.Expr):
        return True
    if not (isinstance(parent, cst.Assign) and len(parent.targets) == 1):
        return False
    target = parent.targets[0].target
    if not isinstance(target, cst.Name):
        return False
    if target.value == "_":
        return True
    scope = ctx.scope_of(parent)
    return not uses_of_assigned_value(ctx, call) and not used_in_nested_scope(ctx, scope, target.value) and (
        scope is not ctx.module)  # fmt: skip  # a module-level name may be read from elsewhere


def matches_keys_by_hand(ctx: FileContext, call: cst.Call) -> bool:
    """Does the code around the load read the model's own `state_dict()` first (to compare keys)?"""
    receiver = ctx.code(call.func.value)
    loaded = ctx.code(call.args[0].value) if call.args else None
    scope = ctx.scope_of(call)
    for other in ctx.walk(scope, cst.Call):
        if ctx.order(other) >= ctx.order(call):
            break
        func = other.func
        if (isinstance(func, cst.Attribute) and func.attr.value == "state_dict" and not other.args
                and ctx.code(func.value) == receiver):  # fmt: skip
            return True
        passed = {ctx.code(arg.value) for arg in other.args}
        if receiver in passed and loaded in passed:
            return True  # `check_keys(model, state_dict)`
    return False


def imports_torch(ctx: FileContext) -> bool:
    modules = [dotted_name(a.name) for node in ctx.nodes(cst.Import) for a in node.names]
    modules += [dotted_name(node.module) for node in ctx.nodes(cst.ImportFrom) if node.module and not node.relative]
    return any(m is not None and (m == "torch" or m.startswith("torch.")) for m in modules)


class UncheckedStrictFalse(Rule):
    code = "TL403"
    name = "unchecked-strict-false"
    summary = "`load_state_dict(sd, strict=False)` whose missing/unexpected keys are never checked"
    why = """
        `strict=False` makes `load_state_dict` skip every key that does not match instead of
        raising.  When the checkpoint's keys are all different -- saved from a
        `DataParallel`/DDP wrapper (`module.` prefix), or from a renamed attribute -- it loads
        *nothing*, raises nothing, and training or evaluation silently runs on random weights.
        The call returns what it skipped:

            _IncompatibleKeys(missing_keys=['fc.weight', 'fc.bias'],
                              unexpected_keys=['module.fc.weight', 'module.fc.bias'])

        Check it (`assert not result.missing_keys`, or compare against the keys you expect to be
        new), or fix the keys (strip the `module.` prefix) and load strictly.  Not reported when
        the code first reads the same model's `state_dict()` or passes the model and the loaded
        dict to a function (`check_keys(model, sd)`): it is matching keys by hand.
        Opt-in: partial loading on purpose (a new classifier head) is common; the finding asks
        that it be checked.
    """
    bad = """
        import torch

        model.load_state_dict(torch.load("checkpoint.pt"), strict=False)
    """
    good = """
        import torch

        result = model.load_state_dict(torch.load("checkpoint.pt"), strict=False)
        assert set(result.missing_keys) <= {"fc.weight", "fc.bias"}, result
    """
    default = False
    requires_text = (("load_state_dict",), ("False",))

    # Its screen is `tl403` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        if not imports_torch(ctx):
            return  # MegEngine, Paddle... have their own `load_state_dict(strict=False)`
        for call in ctx.nodes(cst.Call):
            strict = non_strict_load(call)
            if strict is None or not result_is_discarded(ctx, call) or matches_keys_by_hand(ctx, call):
                continue
            yield self.violation(
                ctx,
                strict,
                "`strict=False` with the result discarded: mismatched keys (a `module.` prefix) load nothing, "
                "silently; check `missing_keys`, or fix the keys and load strictly",
            )
