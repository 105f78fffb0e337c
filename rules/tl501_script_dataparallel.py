"""TL501 script-dataparallel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, List, Optional

import libcst as cst

from torchlint.analysis.dataflow import (
    attribute_assignments,
    reaching_assignments,
    reaching_attribute_assignments,
    self_name,
)
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation

# The compile entry points and the name of their module argument.
JIT_ENTRY_POINTS = {
    "torch.jit.script": "obj",
    "torch.jit.trace": "func",
    "torch.jit.trace_module": "mod",
}
WRAPPERS = ("torch.nn.DataParallel", "torch.nn.parallel.DistributedDataParallel")

ALWAYS, SOMETIMES = "always", "sometimes"


@dataclass
class WrapperEvidence:
    """Whether the scripted object is a data-parallel wrapper, and the wrapper calls seen."""

    how_often: str  # ALWAYS or SOMETIMES
    wrapper_calls: List[cst.Call] = field(default_factory=list)


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
            evidence = wrapper_evidence(ctx, target.value)
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


def _is_wrapper_call(ctx: FileContext, node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.Call) and ctx.is_name(node.func, *WRAPPERS)


def wrapper_evidence(ctx: FileContext, node: cst.BaseExpression) -> Optional[WrapperEvidence]:
    """Is `node` a DataParallel/DDP wrapper always, on some paths, or (None) not that we can see?"""
    if _is_wrapper_call(ctx, node):
        return WrapperEvidence(ALWAYS, [node])
    if isinstance(node, cst.Name):
        reaching = reaching_assignments(ctx, node)
        wrappers = [a.value for a in reaching if _is_wrapper_call(ctx, a.value)]
        if not wrappers:
            return None
        always = len(wrappers) == len(reaching) and reaching[-1].unconditional
        return WrapperEvidence(ALWAYS if always else SOMETIMES, wrappers)
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        if node.value.value != self_name(ctx, node):
            return None
        return _attribute_evidence(ctx, node)
    return None


def _attribute_evidence(ctx: FileContext, node: cst.Attribute) -> Optional[WrapperEvidence]:
    """`self.m`: the method's own assignments before the use decide first; only when they leave the
    value open do the assignments elsewhere in the class count (and then only as "sometimes")."""
    reaching = reaching_attribute_assignments(ctx, node)
    own_wrappers = [a.value for a in reaching if _is_wrapper_call(ctx, a.value)]
    if reaching and reaching[-1].unconditional:
        if not own_wrappers:
            return None
        return WrapperEvidence(ALWAYS if len(own_wrappers) == len(reaching) else SOMETIMES, own_wrappers)
    method = ctx.enclosing(node, (cst.FunctionDef,))
    if method is not None and method.name.value == "__init__":
        # Nothing before this point of `__init__` wrapped it (later methods run after `__init__`).
        return WrapperEvidence(SOMETIMES, own_wrappers) if own_wrappers else None
    class_def = ctx.enclosing(node, (cst.ClassDef,))
    assigned = attribute_assignments(ctx, class_def, node.attr.value) if class_def else []
    wrappers = [a.value for a in assigned if _is_wrapper_call(ctx, a.value)]
    if not wrappers:
        return None
    always = len(wrappers) == len(assigned) and not reaching
    return WrapperEvidence(ALWAYS if always else SOMETIMES, wrappers)
