"""TL802 autograd-variable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

import libcst as cst

from torchlint.analysis.dataflow import local_assignments
from torchlint.context import FileContext
from torchlint.rule import SAFE, UNSAFE, Rule, Violation
from torchlint.rule_screens import VARIABLE

# torch functions whose result is a new tensor that does not require grad unless asked (`requires_grad=True`).
FACTORIES = {
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "rand", "randn", "randint",
    "randperm", "arange", "linspace", "logspace", "eye", "zeros_like", "ones_like", "empty_like", "full_like",
    "rand_like", "randn_like", "randint_like", "Tensor", "FloatTensor", "DoubleTensor",
    "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "ByteTensor", "BoolTensor", "CharTensor",
}  # fmt: skip
# Methods that return a tensor without a graph whatever their receiver.
DETACHING = {"detach"}
# Methods whose result requires grad only if their receiver does (no tensor operands).
CONVERSIONS = {
    "cuda", "cpu", "to", "float", "double", "half", "bfloat16", "long", "int", "short", "bool", "byte", "char",
    "type", "view", "reshape", "unsqueeze", "squeeze", "permute", "transpose", "contiguous", "clone", "t",
    "flatten", "pin_memory", "fill_", "zero_", "normal_", "uniform_", "random_", "exponential_", "cauchy_",
    "log_normal_", "geometric_",
}  # fmt: skip


@dataclass
class VariableCall:
    call: cst.Call
    data: Optional[cst.BaseExpression]  # the wrapped tensor
    requires_grad: Optional[cst.BaseExpression]  # None: not given (or literal False)
    volatile: bool
    other: bool  # arguments we do not rewrite (`_grad_fn=`, `name=`, `*args`)
    grad_free: bool  # `data` certainly does not require grad (a factory result, `.data`, `.detach()`)


def variable_calls(ctx: FileContext) -> List[VariableCall]:
    return ctx.memo("tl802.variable_calls", lambda: [_describe(ctx, c) for c in ctx.nodes(cst.Call)
                                                     if ctx.is_name(c.func, *VARIABLE)])  # fmt: skip


def _describe(ctx: FileContext, call: cst.Call) -> VariableCall:
    values: Dict[str, cst.BaseExpression] = {}
    other = False
    for index, arg in enumerate(call.args):
        if arg.star:
            other = True
        elif arg.keyword is None and index < 3:
            values[("data", "requires_grad", "volatile")[index]] = arg.value
        elif arg.keyword is not None and arg.keyword.value in ("data", "requires_grad", "volatile"):
            values[arg.keyword.value] = arg.value
        else:
            other = True
    requires_grad = values.get("requires_grad")
    if isinstance(requires_grad, cst.Name) and requires_grad.value == "False":
        requires_grad = None
    data = values.get("data")
    return VariableCall(call, data, requires_grad, "volatile" in values, other,
                        data is not None and is_grad_free(ctx, data))  # fmt: skip


def is_grad_free(ctx: FileContext, expr: cst.BaseExpression) -> bool:
    """A new tensor that certainly does not require grad (so it is also no one else's object)."""
    while True:
        if isinstance(expr, cst.Attribute) and expr.attr.value == "data":
            return True
        if not isinstance(expr, cst.Call):
            return False
        if any(arg.keyword is not None and arg.keyword.value == "requires_grad" for arg in expr.args):
            return False
        name = ctx.qualified_name(expr.func)
        if name is not None:
            return _is_factory(name) and _builds_new_data(ctx, expr, name.rpartition(".")[2])
        if isinstance(expr.func, cst.Name) and _is_factory_alias(ctx, expr.func):
            return _builds_new_data(ctx, expr, "Tensor")
        if not isinstance(expr.func, cst.Attribute):
            return False
        if expr.func.attr.value in DETACHING:
            return True
        if expr.func.attr.value not in CONVERSIONS:
            return False
        expr = expr.func.value  # `.cuda()`, `.float()`, `.view(...)` of a grad-free tensor are grad-free


def _is_factory(name: str) -> bool:
    module, _, function = name.rpartition(".")
    return function in FACTORIES and (module == "torch" or (module == "torch.cuda" and function.endswith("Tensor")))


def _builds_new_data(ctx: FileContext, call: cst.Call, function: str) -> bool:
    """`torch.FloatTensor(t)` and `torch.as_tensor(t)` return (an alias of) `t` itself, grad and all: only
    sizes (two or more arguments), literals and numpy arrays certainly make new data."""
    if not (function.endswith("Tensor") or function == "as_tensor"):
        return True
    positional = [arg for arg in call.args if arg.keyword is None]
    if len(positional) != 1:
        return not any(arg.star for arg in positional)
    value = positional[0].value
    if isinstance(value, (cst.Integer, cst.Float, cst.List, cst.Tuple)):
        return True
    if isinstance(value, cst.Call):
        if isinstance(value.func, cst.Attribute) and value.func.attr.value == "size":
            return True  # `x.size()`: a torch.Size
        return (ctx.qualified_name(value.func) or "").split(".", 1)[0] == "numpy"
    if isinstance(value, cst.Subscript):
        value = value.value
    return isinstance(value, cst.Attribute) and value.attr.value == "shape"


def _is_factory_alias(ctx: FileContext, name: cst.Name) -> bool:
    """`Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor` (a script global, never rebound)."""
    scope = ctx.scope_of(name)
    if scope is not ctx.module and local_assignments(ctx, scope).get(name.value):
        return False
    assigned = local_assignments(ctx, ctx.module).get(name.value, [])
    if not assigned:
        return False
    for assignment in assigned:
        value = assignment.value
        options = [value.body, value.orelse] if isinstance(value, cst.IfExp) else [value]
        if not all(option is not None and _is_factory(ctx.qualified_name(option) or "") for option in options):
            return False
    return True


def applicability(found: VariableCall) -> Optional[str]:
    """How the fixer rewrites this call: SAFE, UNSAFE, or None (report only)."""
    if found.data is None or found.volatile or found.other:
        return None
    if found.requires_grad is not None:
        return SAFE  # `t.detach().requires_grad_(flag)` is exactly what Variable does
    return SAFE if found.grad_free else UNSAFE


class AutogradVariable(Rule):
    code = "TL802"
    name = "autograd-variable"
    summary = "`torch.autograd.Variable(t)`: a deprecated wrapper since torch 0.4; use the tensor itself"
    why = """
        Since PyTorch 0.4 (April 2018) tensors and `Variable`s are one type: `Variable(t)` no longer
        wraps anything, it returns `t.detach()` (the same storage, cut from the autograd graph, with
        `requires_grad=False`), and `Variable(t, requires_grad=True)` returns
        `t.detach().requires_grad_()`.  Old tutorials wrap every batch in it; the code still runs,
        but it reads as if it were needed, and it silently detaches: `Variable(model(x))` stops the
        gradient, which code written for 0.3 never meant.

        `volatile=True` (0.3's way of saying "no graph for inference") is ignored: torch warns

            UserWarning: volatile was removed and now has no effect. Use `with torch.no_grad():` instead.

        and records the autograd graph anyway, so inference keeps every activation alive
        (memory grows, and out-of-memory errors appear at batch sizes that used to fit).
    """
    bad = """
        import torch
        from torch.autograd import Variable

        for images, labels in loader:
            images = Variable(images.cuda())
            noise = Variable(torch.randn(4, 100), requires_grad=True)
    """
    good = """
        import torch

        for images, labels in loader:
            images = images.cuda()
            noise = torch.randn(4, 100).requires_grad_()
    """
    fix_does = """
        `Variable(t)` -> `t`: safe when `t` certainly does not require grad (a torch factory call such
        as `torch.zeros(...)`/`torch.from_numpy(...)`, a legacy `torch.FloatTensor(sizes)` (also
        through a script's `Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor`),
        `x.data`, `x.detach()`, or `.cuda()`/`.float()`/`.fill_(...)`-like methods of those);
        unsafe otherwise (if `t` required grad, gradients now flow through it, where `Variable` had
        detached it).  `Variable(t, requires_grad=flag)` -> `t.requires_grad_(flag)` for such fresh
        tensors, else `t.detach().requires_grad_(flag)` (safe: exactly what `Variable` does).  The
        `Variable` import is removed once nothing uses it.  `volatile=` is reported only: wrap the
        inference in `with torch.no_grad():` yourself.
    """
    requires_text = (("Variable",),)

    # Its screen is `tl802` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for found in variable_calls(ctx):
            yield self.violation(ctx, found.call, message(ctx, found))


def message(ctx: FileContext, found: VariableCall) -> str:
    if found.volatile:
        return ("`Variable(..., volatile=...)` is ignored since torch 0.4 and gradients are still recorded: "
                "run inference under `with torch.no_grad():`")  # fmt: skip
    if found.requires_grad is not None:
        return ("`Variable(t, requires_grad=...)` is deprecated since torch 0.4: "
                "use `t.detach().requires_grad_()` (or `requires_grad=True` at creation)")  # fmt: skip
    return "`Variable(t)` is a deprecated no-op wrapper since torch 0.4 (it only detaches `t`): use the tensor itself"
