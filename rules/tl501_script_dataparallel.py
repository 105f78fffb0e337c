"""TL501 script-dataparallel."""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.objects import ALWAYS, direct_wrapper_evidence
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation

# The compile entry points and the name of their module argument.
JIT_ENTRY_POINTS = {
    "torch.jit.script": "obj",
    "torch.jit.trace": "func",
    "torch.jit.trace_module": "mod",
}
# What counts as a wrapper, and where the wrapped value comes from, is objects.py's
# (`direct_wrapper_evidence`): one assignment deep, `self.<attr>` by the method's own assignments first.


class ScriptDataParallel(Rule):
    code = "TL501"
    name = "script-dataparallel"
    summary = "`torch.jit.script`/`trace` on a `DataParallel`/`DistributedDataParallel` wrapper: compile `.module`"
    why = """
        `DataParallel.forward` and `DistributedDataParallel.forward` take `*inputs, **kwargs`,
        which TorchScript cannot compile.  Scripting the wrapper fails with

            torch.jit.frontend.NotSupportedError: Compiled functions can't take variable number
            of arguments or use keyword-only arguments with defaults

        and tracing it records the wrapper's scatter/gather (or fails under DDP), not your model.
        Compile the wrapped model, `m.module`, which also keeps the saved archive free of
        multi-GPU plumbing.  Note that TorchScript is deprecated in favour of `torch.export`,
        which has the same requirement: export the underlying module, not the wrapper.

        For `self.model` inside a method, the method's own assignments before the call decide
        first: `self.model = torch.jit.script(self.model)` in `__init__` is fine even when a later
        method wraps `self.model` in `DistributedDataParallel`; only when the method leaves the
        value open do wraps elsewhere in the class count.
    """
    bad = """
        import torch
        import torch.nn as nn

        model = nn.DataParallel(Net())
        scripted = torch.jit.script(model)
    """
    good = """
        import torch
        import torch.nn as nn

        model = nn.DataParallel(Net())
        scripted = torch.jit.script(model.module)
    """
    fix_does = """
        Compiles `m.module` instead of `m`.  Safe when `m` is a wrapper on every path to the call.
        When it is a wrapper only on some paths (`if n_gpus > 1: model = DataParallel(model)`),
        the fix is unsafe and writes `m.module if isinstance(m, <wrapper classes>) else m`.
    """
    requires_text = (("jit",), ("DataParallel",))

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for call in ctx.nodes(cst.Call):
            entry = ctx.call_name(call)
            if entry not in JIT_ENTRY_POINTS:
                continue
            target = module_argument(call, JIT_ENTRY_POINTS[entry])
            if target is None:
                continue
            evidence = direct_wrapper_evidence(ctx, target.value)
            if evidence is None:
                continue
            where = "" if evidence.how_often == ALWAYS else " on some paths"
            short = entry.rsplit(".", 1)[1]
            code = ctx.code(target.value)
            message = (f"`torch.jit.{short}()` on `{code}`, a data-parallel wrapper{where}: its `forward(*inputs, "
                       f"**kwargs)` cannot be compiled; compile `{code}.module` instead")  # fmt: skip
            if len(message) > 160:
                message = (f"`torch.jit.{short}()` on a data-parallel wrapper{where}: its `forward(*inputs, "
                           f"**kwargs)` cannot be compiled; compile its `.module` instead")  # fmt: skip
            yield self.violation(ctx, target.value, message)


def module_argument(call: cst.Call, keyword: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    first = call.args[0] if call.args else None
    return first if first is not None and first.keyword is None and not first.star else None
