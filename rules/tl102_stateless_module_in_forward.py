"""TL102 stateless-module-in-forward."""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.dataflow import local_assignments
from torchlint.analysis.modules import forward_only_function_around, nn_classes, torch_module_state
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation


class StatelessModuleInForward(Rule):
    code = "TL102"
    name = "stateless-module-in-forward"
    summary = "A parameter-free module (`nn.ReLU()`, `nn.Softmax(dim=1)`...) is built and called in `forward()`"
    why = """
        `nn.ReLU()(x)` inside `forward()` builds a new `nn.Module` on every call only to call it
        once: Python object construction, hook bookkeeping and `__call__` dispatch each time, and
        a `forward()` that reads as if the layer were part of the model when it is not.  The
        `torch.nn.functional` (or `torch`) function computes the same thing directly.

        Only modules that own no parameters or buffers and behave the same in train and eval mode
        are reported (the others are TL101).  Loss modules (`nn.CrossEntropyLoss()(logits, y)`)
        are an accepted idiom and are not reported.
    """
    bad = """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x):
                return nn.Softmax(dim=1)(self.fc(x))
    """
    good = """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                return F.softmax(self.fc(x), dim=1)
    """
    fix_does = """
        Where the functional form is exactly what the module's `forward` computes (`nn.ReLU()(x)`
        -> `F.relu(x)`, `nn.Flatten()(x)` -> `torch.flatten(x, 1)`), rewrites the inline
        `Module(...)(x)` call.  It reuses an existing `torch.nn.functional` alias, else spells
        `torch.nn.functional.<f>` through an imported `torch`, else adds `import torch`.  Modules
        bound to a variable first, or without an exact functional form, are reported only.
    """
    default = False
    requires_text = (("forward",), ("torch",))

    # Its screen is `tl102` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for call in ctx.nodes(cst.Call):
            entry = stateless_entry(ctx, call)
            if entry is None or forward_only_function_around(ctx, call) is None:
                continue
            if not (is_called_inline(ctx, call) or bound_then_called(ctx, call)):
                continue
            functional = entry["functional"]
            hint = f"`{functional['function']}`" if functional else "the `torch.nn.functional` equivalent"
            yield self.violation(
                ctx,
                call,
                f"`{_clip(ctx.code(call.func))}(...)` is stateless but rebuilt on every `forward()` call; "
                f"call {hint} instead",
            )


def _clip(spelled: str, limit: int = 40) -> str:
    spelled = " ".join(spelled.split())
    return spelled if len(spelled) <= limit else spelled[: limit - 3] + "..."


def stateless_entry(ctx: FileContext, call: cst.Call) -> Optional[dict]:
    """The nn_modules entry of a torch module `call` builds, if it is stateless in every variant."""
    entry = nn_classes().get(ctx.call_name(call) or "")
    if entry is None or entry["loss"] or entry["container"]:
        return None
    state = torch_module_state(ctx, call)
    if state is None or not state.stateless:
        return None
    return entry


def is_called_inline(ctx: FileContext, call: cst.Call) -> bool:
    parent = ctx.parent(call)
    return isinstance(parent, cst.Call) and parent.func is call


def bound_then_called(ctx: FileContext, call: cst.Call) -> bool:
    """`act = nn.ReLU()` (the only assignment of `act` in the function) and `act(...)` later."""
    assign = ctx.parent(call)
    if not (isinstance(assign, cst.Assign) and assign.value is call and len(assign.targets) == 1):
        return False
    target = assign.targets[0].target
    if not isinstance(target, cst.Name):
        return False
    scope = ctx.scope_of(assign)
    if len(local_assignments(ctx, scope).get(target.value, [])) != 1:
        return False
    for used in ctx.walk(scope, cst.Call):
        if isinstance(used.func, cst.Name) and used.func.value == target.value and ctx.order(used) > ctx.order(assign):
            return True
    return False
