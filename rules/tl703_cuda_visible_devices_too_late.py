"""TL703 cuda-visible-devices-too-late."""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.devices import cuda_initialised_before
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation

VARIABLE = "CUDA_VISIBLE_DEVICES"


def _is_variable(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.SimpleString) and node.evaluated_value == VARIABLE


def sets_visible_devices(ctx: FileContext, node: cst.CSTNode) -> bool:
    """`os.environ["CUDA_VISIBLE_DEVICES"] = ...`, `os.environ.setdefault/update(...)`, `os.putenv(...)`."""
    if isinstance(node, cst.Assign):
        for target in node.targets:
            sub = target.target
            if isinstance(sub, cst.Subscript) and ctx.qualified_name(sub.value) == "os.environ":
                elements = sub.slice
                if len(elements) == 1 and isinstance(elements[0].slice, cst.Index):
                    if _is_variable(elements[0].slice.value):
                        return True
        return False
    if not isinstance(node, cst.Call):
        return False
    name = ctx.call_name(node)
    if name in ("os.putenv", "os.environ.setdefault"):
        return bool(node.args) and _is_variable(node.args[0].value)
    if name == "os.environ.update":
        for arg in node.args:
            if arg.keyword is not None and arg.keyword.value == VARIABLE:
                return True
            if isinstance(arg.value, cst.Dict):
                if any(isinstance(e, cst.DictElement) and _is_variable(e.key) for e in arg.value.elements):
                    return True
    return False


def _initialiser(ctx: FileContext, node: cst.CSTNode) -> Optional[cst.Call]:
    return cuda_initialised_before(ctx, node)


class CudaVisibleDevicesTooLate(Rule):
    code = "TL703"
    name = "cuda-visible-devices-too-late"
    summary = "`CUDA_VISIBLE_DEVICES` is set after CUDA may already be initialised: the setting is ignored"
    why = """
        The CUDA driver reads `CUDA_VISIBLE_DEVICES` once, when the process initialises CUDA.
        PyTorch does that at the first call that needs the driver -- `torch.cuda.is_available()`,
        `torch.cuda.device_count()` (without NVML), `torch.cuda.set_device()`, `.cuda()`,
        `.to("cuda")`, a tensor created with `device="cuda"`.  Setting the variable afterwards
        (`os.environ["CUDA_VISIBLE_DEVICES"] = "1"`, `os.environ.setdefault(...)`, `os.putenv(...)`)
        changes the environment but not the devices the process sees: nothing fails, the job
        simply runs on GPU 0 (or on every GPU) -- often on top of another user's job, with
        `CUDA out of memory` as the first visible symptom, or the "hidden" GPUs still used.

        torchlint reports the assignment when a call that initialises CUDA may run before it:
        earlier in the same function (directly or in a same-file function called there), or,
        for code in a function, before that function is called (up to the module's top level).
        There is no automatic fix: move the assignment before the first CUDA call (the top of the
        script, before anything touches `torch.cuda`), or set the variable in the launcher's
        environment (`CUDA_VISIBLE_DEVICES=1 python train.py`).
    """
    bad = """
        import os
        import torch

        if torch.cuda.is_available():
            os.environ["CUDA_VISIBLE_DEVICES"] = args.gpus
    """
    good = """
        import os

        os.environ["CUDA_VISIBLE_DEVICES"] = args.gpus

        import torch

        if torch.cuda.is_available():
            model = model.cuda()
    """
    requires_text = (("CUDA_VISIBLE_DEVICES",), ("cuda",))

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for node in (*ctx.nodes(cst.Assign), *ctx.nodes(cst.Call)):
            if not sets_visible_devices(ctx, node):
                continue
            earlier = _initialiser(ctx, node)
            if earlier is None:
                continue
            shown = ctx.code(earlier.func)
            if len(shown) > 32:
                shown = shown[:29] + "..."
            yield self.violation(
                ctx,
                node,
                f"`CUDA_VISIBLE_DEVICES` set after `{shown}()` may have initialised CUDA is ignored; set it before "
                f"any CUDA call or in the launcher",
            )
