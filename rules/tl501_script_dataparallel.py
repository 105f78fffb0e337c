"""TL501 script-dataparallel."""

from __future__ import annotations

import os
from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.objects import ALWAYS, SOMETIMES, Evidence, direct_evidence, is_wrapper_call
from torchlint.analysis.project import project_of
from torchlint.context import FileContext
from torchlint.findings import Related, shown_path
from torchlint.rule import Rule, Violation

# The compile entry points and the name of their module argument.
JIT_ENTRY_POINTS = {
    "torch.jit.script": "obj",
    "torch.jit.trace": "func",
    "torch.jit.trace_module": "mod",
}
# What counts as a wrapper, and where the wrapped value comes from, is objects.py's
# (`direct_evidence`): one assignment deep, `self.<attr>` by the method's own assignments first.  A value
# counts when it is a wrapper construction, or (the project model, `Project.wrapper_value`) an imported
# name or a call of an imported function that holds another file's wrapper on every path.


def is_wrapper(ctx: FileContext, node: cst.BaseExpression, depth: int = 0) -> bool:
    """`nn.DataParallel(...)`/`DistributedDataParallel(...)` here, or one built in another first-party file."""
    return is_wrapper_call(ctx, node) or project_of(ctx).wrapper_value(ctx, node) is not None


def wrapper_evidence(ctx: FileContext, node: cst.BaseExpression) -> Optional[Evidence]:
    """TL501's (and its fixer's) evidence that `node` is a data-parallel wrapper (objects.Evidence or None);
    SOMETIMES when another file's value is a wrapper on some paths only."""
    found = direct_evidence(ctx, node, is_wrapper)
    if found is not None and found.how_often == ALWAYS:
        project = project_of(ctx)
        for value in found.values:
            remote = None if is_wrapper_call(ctx, value) else project.wrapper_value(ctx, value)
            if remote is not None and remote.value.get("some"):
                return Evidence(SOMETIMES, found.values)
    return found


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

        The wrapper may come from another file of the project: `model = build_model()` where
        `build_model()` (in `utils.py`) returns `nn.DataParallel(net)` or wraps its parameter and
        returns it, or `from utils import model` where `utils.py` assigns `model =
        nn.DataParallel(Net())` at module level.  The message says where it is wrapped (also when
        the other file's function wraps only on some paths, `if n_gpus > 1: model =
        DataParallel(model)`); when that function cannot be seen, TL501 stays silent.

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
    # The wrapper is built here (`DataParallel` in the text) or imported from another file.
    requires_text = (("jit",), ("DataParallel", "import"))

    # Its screen is `tl501` in torchlint/rule_screens.py (libcst-free, run before any parse).

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
            project = project_of(ctx)
            remote = next((r for r in (project.wrapper_value(ctx, v) for v in evidence.values) if r), None)
            places = [""]
            if remote is not None:  # a deep path: then the file name alone (the related location has the path)
                places = [f" (wrapped in {remote.display})", f" (wrapped in {os.path.basename(remote.path)}:"
                          f"{remote.line})"]  # fmt: skip
            candidates = [
                f"`torch.jit.{short}()` on `{code}`, a data-parallel wrapper{where}{wrapped}: its `forward(*inputs, "
                f"**kwargs)` cannot be compiled; compile `{code}.module` instead" for wrapped in places
            ] + [
                f"`torch.jit.{short}()` on `{code}`, a data-parallel wrapper{where}{wrapped}: `forward(*inputs, "
                f"**kwargs)` cannot be compiled; compile `{code}.module`" for wrapped in places if wrapped
            ] + [
                f"`torch.jit.{short}()` on a data-parallel wrapper{where}{wrapped}: its `forward(*inputs, "
                f"**kwargs)` cannot be compiled; compile its `.module` instead" for wrapped in places
            ]  # fmt: skip
            candidates.append(f"`torch.jit.{short}()` on a data-parallel wrapper{where}{places[-1]}: compile its "
                              f"`.module` instead")  # fmt: skip
            message = next((m for m in candidates if len(m) <= 160), candidates[-1])
            found = self.violation(ctx, target.value, message)
            if remote is not None:
                found.related = (Related(shown_path(remote.path), remote.line, "the model is wrapped here"),)
            yield found


def module_argument(call: cst.Call, keyword: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    first = call.args[0] if call.args else None
    return first if first is not None and first.keyword is None and not first.star else None
