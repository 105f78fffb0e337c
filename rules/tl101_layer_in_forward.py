"""TL101 layer-in-forward."""

from __future__ import annotations

import os
from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.modules import (
    BUFFERS,
    MODE,
    PARAMETERS,
    bind_arguments,
    forward_only_function_around,
    is_zero_literal,
    nn_classes,
    project_class_builds_state,
    project_class_called,
    torch_module_state,
)
from torchlint.analysis.project import project_of
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation

# Between a statement and its method: any of these makes it run only sometimes.
CONDITIONAL = (cst.If, cst.For, cst.While, cst.Try, cst.TryStar, cst.Match, cst.IfExp, cst.BooleanOperation)


class LayerInForward(Rule):
    code = "TL101"
    name = "layer-in-forward"
    summary = "A layer with weights, buffers or train/eval behaviour is built inside `forward()`"
    why = """
        A module constructed inside `forward()` is a new module on every call: its weights are
        freshly initialised each time, it was not in `model.parameters()` when the optimizer was
        built, it never appears in `state_dict()`, and `model.to(device)` cannot move it, so on a
        GPU the first call fails with

            RuntimeError: Expected all tensors to be on the same device ... (or: Tensor for
            argument #2 'mat1' is on CPU, but expected it to be on GPU)

        and on a CPU the model silently never learns that part.  A `Dropout` built in
        `forward()` is always in training mode: `model.eval()` never turns it off, so evaluation
        is random.  Also reported: project `nn.Module` classes of the same file whose `__init__`
        builds such layers, constructed in `forward()` (or in a method called only from it).

        Not reported: stateless modules (`nn.ReLU()`: see TL102), layers built in `__init__` or
        its helpers, `nn.Dropout(0.0)`, and a layer cached on first use
        (`if self.proj is None: self.proj = nn.Linear(...)`), which is a deliberate (if fragile)
        lazy-initialisation pattern rather than a rebuild on every call.
    """
    bad = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, hidden):
                super().__init__()
                self.hidden = hidden

            def forward(self, x):
                proj = nn.Linear(self.hidden, 10)
                return proj(x)
    """
    good = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, hidden):
                super().__init__()
                self.hidden = hidden
                self.proj = nn.Linear(self.hidden, 10)

            def forward(self, x):
                return self.proj(x)
    """
    fix_does = """
        Moves the construction to the end of `__init__` as `self.<name> = ...` and uses
        `self.<name>` in `forward()`.  Unsafe: it adds parameters and `state_dict()` keys (old
        checkpoints lack them) and changes what the optimizer trains.  Offered only when every
        constructor argument is available in `__init__` (literals, `__init__` parameters,
        attributes set in `__init__`, module-level names), the construction runs unconditionally
        (not in a loop, branch or closure) and the class defines `__init__`.  The name is the
        variable the layer was bound to, else derived from the class (`batchnorm2d`), made unique.
    """
    requires_text = (("forward",), ("torch", "lightning"))

    # Its screen is `tl101` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for call in ctx.nodes(cst.Call):
            where = forward_only_function_around(ctx, call)
            if where is None:
                continue
            reason = stateful_reason(ctx, call)
            if reason is None or is_lazy_cache(ctx, call, where[1]):
                continue
            method = where[1]
            spelled = _clip(ctx.code(call.func), 28)
            yield self.violation(
                ctx,
                call,
                f"`{spelled}(...)` built in `{_clip(method.name.value, 20)}()` {reason}; build it once in `__init__`",
            )


def _clip(spelled: str, limit: int = 40) -> str:
    spelled = " ".join(spelled.split())
    return spelled if len(spelled) <= limit else spelled[: limit - 3] + "..."


def stateful_reason(ctx: FileContext, call: cst.Call) -> Optional[str]:
    """Why constructing `call` on every forward is wrong, or None if it is not (or unknown)."""
    state = torch_module_state(ctx, call)
    if state is not None:
        kinds = state.kinds
        if not kinds or (kinds == {MODE} and _dropout_probability_zero(ctx, call)):
            return None
        if PARAMETERS in kinds:
            return "gets new random weights on every call and is never trained"
        if BUFFERS in kinds:
            return "restarts its running statistics on every call"
        return "stays in training mode: `model.eval()` can't reach it"
    project = project_class_called(ctx, call)
    if project is not None and project_class_builds_state(ctx, project):
        return "rebuilds its layers with new weights on every call"
    if project is None and _imported_class_owns_parameters(ctx, call):
        return "rebuilds its layers with new weights on every call"
    return None


def _imported_class_owns_parameters(ctx: FileContext, call: cst.Call) -> bool:
    """`Block(...)` of another first-party file: an `nn.Module` class that owns parameters (across files)."""
    project = project_of(ctx)
    symbol = project.class_of(ctx, call)
    if symbol is None or os.path.abspath(symbol.path) == os.path.abspath(ctx.path):
        return False
    facts = project.class_facts(symbol)
    return bool(facts and facts["owns_parameters"]) and project.derives_from(symbol, "torch.nn.Module")


def _dropout_probability_zero(ctx: FileContext, call: cst.Call) -> bool:
    """`nn.Dropout(0.0)`: mode-dependent in principle, a no-op in fact."""
    entry = nn_classes().get(ctx.call_name(call) or "")
    bound = bind_arguments(call, entry["init"]) if entry else None
    return bool(bound) and "p" in bound and is_zero_literal(bound["p"])


def is_lazy_cache(ctx: FileContext, call: cst.Call, method: cst.FunctionDef) -> bool:
    """`if self.proj is None: self.proj = nn.Linear(...)`: assigned to `self.` under a condition."""
    statement = ctx.parent(call)
    if not (isinstance(statement, cst.Assign) and statement.value is call):
        return False
    if not any(isinstance(t.target, (cst.Attribute, cst.Subscript)) for t in statement.targets):
        return False
    return ctx.enclosing(statement, CONDITIONAL, stop=method) is not None
