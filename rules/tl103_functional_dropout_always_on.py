"""TL103 functional-dropout-always-on."""

from __future__ import annotations

from typing import Dict, Iterator, Optional

import libcst as cst

from torchlint.analysis.dataflow import self_name
from torchlint.analysis.modules import is_module_class
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation
from torchlint.rule_screens import DROPOUTS  # functional dropouts whose `training` defaults to True, its position


def always_on_dropouts(ctx: FileContext) -> Dict[int, str]:
    """id(call) -> the name of `self` in its method, for every always-on functional dropout."""
    return ctx.memo("tl103.dropouts", lambda: dict(_find(ctx)))


def _find(ctx: FileContext) -> Iterator:
    for call in ctx.nodes(cst.Call):
        qualified = ctx.call_name(call)
        if qualified not in DROPOUTS:
            continue
        if _training_given(call, DROPOUTS[qualified]):
            continue
        method = ctx.enclosing(call, (cst.FunctionDef, cst.Lambda))
        if not isinstance(method, cst.FunctionDef) or method.name.value == "__init__":
            continue
        class_def = ctx.scope_of(method)
        if not isinstance(class_def, cst.ClassDef) or not is_module_class(ctx, class_def):
            continue
        me = self_name(ctx, call)
        if me is None or _guarded_by_training(ctx, call, method):
            continue
        yield id(call), me


def _training_given(call: cst.Call, position: int) -> bool:
    positional = 0
    for arg in call.args:
        if arg.star:
            return True  # `*args` / `**kwargs` may carry it: cannot tell
        if arg.keyword is None:
            positional += 1
        elif arg.keyword.value == "training":
            return True
    return positional > position


def _guarded_by_training(ctx: FileContext, call: cst.Call, method: cst.FunctionDef) -> bool:
    """`if self.training: x = F.dropout(x)` or `F.dropout(x) if self.training else x`."""
    child: cst.CSTNode = call
    for ancestor in ctx.ancestors(call):
        if ancestor is method:
            return False
        if isinstance(ancestor, (cst.If, cst.IfExp)) and child is not ancestor.test:
            if "training" in ctx.code(ancestor.test):
                return True
        if isinstance(ancestor, cst.BooleanOperation) and "training" in ctx.code(ancestor.left):
            return True
        child = ancestor
    return False


def _short(ctx: FileContext, call: cst.Call) -> Optional[str]:
    return ctx.code(call.func)


class FunctionalDropoutAlwaysOn(Rule):
    code = "TL103"
    name = "functional-dropout-always-on"
    summary = "`F.dropout()` in a module without `training=self.training` stays on after `model.eval()`"
    why = """
        `torch.nn.functional.dropout(input, p=0.5, training=True)` -- and `dropout1d/2d/3d`,
        `alpha_dropout`, `feature_alpha_dropout` -- default to `training=True`.  Unlike the
        `nn.Dropout` module, a functional call does not know whether its module is in training or
        eval mode: `model.eval()` changes nothing, so dropout keeps zeroing activations at
        evaluation and inference.  Nothing fails; the evaluation outputs are random (two
        forwards of the same input in eval mode differ), validation metrics are noisy and worse
        than the model is, and exported models stay stochastic.

        torchlint reports functional dropouts called in a method of an `nn.Module` subclass
        without a `training=` argument, unless the call is already under `if self.training:`.
        Functions outside a module (where `self.training` is not available) are not reported.
    """
    bad = """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                return self.fc(F.dropout(x, p=0.2))
    """
    good = """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                return self.fc(F.dropout(x, p=0.2, training=self.training))
    """
    fix_does = """
        Adds `training=self.training` to the call, so dropout follows the module's mode.  Unsafe:
        evaluation outputs change (they stop being random, as intended); training is unchanged.
    """
    requires_text = (("dropout",),)

    # Its screen is `tl103` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        found = always_on_dropouts(ctx)
        for call in ctx.nodes(cst.Call):
            me = found.get(id(call))
            if me is None:
                continue
            yield self.violation(
                ctx,
                call,
                f"`{_short(ctx, call)}()` defaults to `training=True`: dropout stays on after `model.eval()`; "
                f"pass `training={me}.training`",
            )
