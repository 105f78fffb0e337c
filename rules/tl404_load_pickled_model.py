"""TL404 load-pickled-model."""

from __future__ import annotations

from typing import Iterator, List, Optional

import libcst as cst

from torchlint.analysis.objects import ALWAYS, module_evidence, saved_object, saved_values, uses_of_assigned_value
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation

ERROR = "Weights only load failed"
# Methods only a module has (a dict, tensor or list has none of them): calling one on what
# `torch.load` returned means the file holds a pickled model.
MODULE_ONLY_METHODS = frozenset({
    "eval", "train", "parameters", "named_parameters", "buffers", "named_buffers", "modules",
    "named_modules", "children", "named_children", "forward", "register_forward_hook", "fuse",
})  # fmt: skip
# Methods that return the module itself (or a same-kind copy) and keep following the value.
PASSTHROUGH_METHODS = frozenset({"to", "cuda", "cpu", "float", "half", "double"})
_MAX_STEPS = 50
SAFE_GLOBALS_CONTEXT = "torch.serialization.safe_globals"
ADD_SAFE_GLOBALS = "torch.serialization.add_safe_globals"


def is_default_load(ctx: FileContext, call: cst.Call) -> bool:
    """`torch.load(...)` that leaves `weights_only` (and `pickle_module`) at their defaults."""
    if not ctx.is_name(call.func, "torch.load"):
        return False
    positional = 0
    for arg in call.args:
        if arg.star:
            return False  # `**kwargs` may set weights_only
        if arg.keyword is None:
            positional += 1
        elif arg.keyword.value in ("weights_only", "pickle_module"):
            return False  # a custom pickle_module turns the weights_only default off
    return positional <= 2 and not allows_globals(ctx, call)  # torch.load(f, map_location, pickle_module, ...)


def allows_globals(ctx: FileContext, call: cst.Call) -> bool:
    """Inside `with torch.serialization.safe_globals([...])`, or in a file that calls `add_safe_globals`:
    a weights-only load of the allow-listed classes succeeds."""
    for ancestor in ctx.ancestors(call):
        if isinstance(ancestor, cst.With) and any(
                isinstance(item.item, cst.Call) and ctx.is_name(item.item.func, SAFE_GLOBALS_CONTEXT)
                for item in ancestor.items):  # fmt: skip
            return True
    return any(ctx.is_name(c.func, ADD_SAFE_GLOBALS) for c in ctx.nodes(cst.Call))


def module_use(ctx: FileContext, load: cst.Call) -> Optional[cst.CSTNode]:
    """Where the result of `load` is used as a model (called, `.eval()`, `.parameters()`...), if anywhere."""
    pending: List[cst.BaseExpression] = [load]
    steps = 0
    while pending and steps < _MAX_STEPS:
        steps += 1
        value = pending.pop()
        parent = ctx.parent(value)
        if isinstance(parent, cst.Attribute) and parent.value is value:
            call = ctx.parent(parent)
            if isinstance(call, cst.Call) and call.func is parent:
                if parent.attr.value in MODULE_ONLY_METHODS:
                    return call
                if parent.attr.value in PASSTHROUGH_METHODS:
                    pending.append(call)
        elif isinstance(parent, cst.Call) and parent.func is value:
            return parent
        elif isinstance(parent, cst.Subscript) and parent.value is value and _string_key(parent):
            pending.append(parent)
        elif isinstance(parent, cst.Assign):
            pending.extend(uses_of_assigned_value(ctx, value))
    return None


def _string_key(sub: cst.Subscript) -> bool:
    return (len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index)
            and isinstance(sub.slice[0].slice.value, cst.SimpleString))  # fmt: skip


class LoadPickledModel(Rule):
    code = "TL404"
    name = "load-pickled-model"
    summary = "A whole `nn.Module` saved with `torch.save`, or loaded with `torch.load`: fails since PyTorch 2.6"
    why = """
        `torch.save(model, path)` pickles the module object: its class is stored by import path
        and rebuilt by running pickle code at load time.  Since PyTorch 2.6 `torch.load` defaults
        to `weights_only=True` and refuses such files:

            _pickle.UnpicklingError: Weights only load failed. This file can still be loaded, to
            do so you have two options, do those steps only if you trust the source of the
            checkpoint. ... WeightsUnpickler error: Unsupported global: GLOBAL __main__.Net ...

        and even with `weights_only=False` the file breaks as soon as the class is renamed or its
        module moves.  Save `model.state_dict()` and load it into a freshly built model with
        `model.load_state_dict(torch.load(path))`.  Reported: `torch.save` of a value that is an
        `nn.Module` on every path (also inside a checkpoint dict), and a `torch.load` without
        `weights_only` whose result is used as a model (called, `.eval()`, `.parameters()`...),
        unless the classes are allow-listed (`with torch.serialization.safe_globals([...])`, or
        `torch.serialization.add_safe_globals` in the file).
    """
    bad = """
        import torch

        model = torch.load("model.pt")
        model.eval()
    """
    good = """
        import torch

        model = Net()
        model.load_state_dict(torch.load("weights.pt"))
        model.eval()
    """
    fix_does = """
        For a load only: passes `weights_only=False`, which lets `torch.load` run the pickle code in
        the file: an untrusted checkpoint can execute arbitrary code, so use it only on files you
        made or trust, and prefer saving a `state_dict`.  Unsafe.  Saves are reported, not fixed.
    """
    requires_text = (("torch",), ("save", "load"))

    # Its screen is `tl404` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for call in ctx.nodes(cst.Call):
            obj = saved_object(ctx, call)
            if obj is not None:
                for value in saved_values(ctx, obj):
                    found = module_evidence(ctx, value)
                    if found is not None and found.how_often == ALWAYS:
                        yield self.violation(
                            ctx,
                            value,
                            "`torch.save` of a whole nn.Module pickles its class: `torch.load` rejects it by default "
                            "since PyTorch 2.6; save `.state_dict()` instead",
                        )
            elif is_default_load(ctx, call) and module_use(ctx, call) is not None:
                yield self.violation(
                    ctx,
                    call,
                    f"loading a pickled model fails since PyTorch 2.6 (\"{ERROR}\"); load a state_dict, "
                    "or pass weights_only=False for trusted files only",
                )
