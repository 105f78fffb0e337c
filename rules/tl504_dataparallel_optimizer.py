"""TL504 dataparallel-optimizer."""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.objects import ALWAYS, is_wrapper_call, optimizer_evidence
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation

ERROR = "AttributeError: 'DataParallel' object has no attribute 'step'"


def wrapped_module_argument(call: cst.Call) -> Optional[cst.Arg]:
    """The `module` argument of a `DataParallel(...)`/`DistributedDataParallel(...)` call."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "module":
            return arg
    first = call.args[0] if call.args else None
    return first if first is not None and first.keyword is None and not first.star else None


def wrapped_optimizer(ctx: FileContext, call: cst.Call) -> Optional[cst.Arg]:
    """The argument of a data-parallel wrapper call, when it is an optimizer on every path."""
    if not is_wrapper_call(ctx, call):
        return None
    arg = wrapped_module_argument(call)
    if arg is None:
        return None
    found = optimizer_evidence(ctx, arg.value)
    return arg if found is not None and found.how_often == ALWAYS else None


class DataParallelOptimizer(Rule):
    code = "TL504"
    name = "dataparallel-optimizer"
    summary = "`DataParallel`/`DistributedDataParallel` wrapping an optimizer: parallelises nothing and breaks it"
    why = """
        `nn.DataParallel` and `DistributedDataParallel` replicate a *module*'s forward pass; an
        optimizer has no forward, no parameters of its own to replicate, and nothing to gain.
        The wrapper hides the optimizer's methods:

            AttributeError: 'DataParallel' object has no attribute 'step'

        so code ends up calling `optimizer.module.step()`, while `optimizer.zero_grad()` quietly
        calls the wrapper's own (empty) `Module.zero_grad`, LR schedulers reject it
        (`TypeError: DataParallel is not an Optimizer`), and on one CUDA device the wrapper's
        `__init__` fails calling `.to(device)` on the optimizer
        (`AttributeError: 'SGD' object has no attribute 'to'`).  `DistributedDataParallel` fails
        at construction: `AttributeError: 'SGD' object has no attribute 'named_parameters'`.
        Wrap the model and use the optimizer as it is: gradients are already averaged by the
        model's wrapper.
    """
    bad = """
        import torch
        import torch.nn as nn

        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        optimizer = nn.DataParallel(optimizer, device_ids=[0, 1])
        optimizer.module.step()
    """
    good = """
        import torch
        import torch.nn as nn

        model = nn.DataParallel(model, device_ids=[0, 1])
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        optimizer.step()
    """
    fix_does = """
        Drops the wrapper (`optimizer = nn.DataParallel(optimizer, ...)` is removed, or replaced by
        its argument) and the `.module` hops (`optimizer.module.step()` becomes
        `optimizer.step()`).  Offered only when the wrapper is assigned to a local name and every
        use of that name is `.module...`: the program then calls exactly the same optimizer.  Safe.
    """
    requires_text = (("DataParallel",), ("optim",))

    # Its screen is `tl504` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for call in ctx.nodes(cst.Call):
            arg = wrapped_optimizer(ctx, call)
            if arg is None:
                continue
            wrapper = (ctx.call_name(call) or "DataParallel").rsplit(".", 1)[-1]
            if wrapper == "DataParallel":
                harm = f"`.step()` raises \"{ERROR}\""
            else:
                harm = "fails at construction (an optimizer has no `named_parameters`)"
            message = f"`{wrapper}` wraps an optimizer: it does nothing useful and {harm}; use it unwrapped"
            yield self.violation(ctx, call, message)
