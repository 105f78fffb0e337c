"""TL301 view-after-permute."""

from __future__ import annotations

from typing import Iterator, Optional, Tuple

import libcst as cst

from torchlint import tables
from torchlint.analysis.dataflow import reaching_assignments
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation

_LAYOUT = tables.load("tensor_layout")
NONCONTIGUOUS_METHODS = frozenset(_LAYOUT["noncontiguous_view_methods"])
NONCONTIGUOUS_PROPERTIES = frozenset(_LAYOUT["noncontiguous_view_properties"])
NONCONTIGUOUS_FUNCTIONS = frozenset(_LAYOUT["noncontiguous_view_functions"])

# How far `a = x.permute(...); b = a; b.view(...)` is followed through names.
_MAX_NAME_HOPS = 3


class ViewAfterPermute(Rule):
    code = "TL301"
    name = "view-after-permute"
    summary = "`.view()` on the non-contiguous result of `.permute()`/`.transpose()`/`.T`: use `.reshape()`"
    why = """
        `.permute()`, `.transpose()`, `.t()`, `.T`, `.mT`, `.swapaxes()`, `.movedim()` return views
        with reordered strides.  `.view()` cannot merge dimensions that are no longer adjacent in
        memory and raises at run time:

            RuntimeError: view size is not compatible with input tensor's size and stride (at
            least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.

        The crash often shows only on CPU or on some shapes (a `.cuda()` copy or a size-1
        dimension can hide it), so it slips through a quick test.

        torchlint stays silent where the arguments prove the view safe: a permutation that is
        the identity, a view to the tensor's own shape (`y.view(y.shape)`), and views that only
        split the last dimension (`y.view(*y.shape[:-1], heads, -1)`, or `y.size(i)` for every
        leading dimension of a `permute` whose rank it knows).  `.view(dtype)` reinterprets
        bytes and is not a reshape: never reported.
    """
    bad = """
        def split_heads(x, batch, seq, dim):
            x = x.transpose(1, 2)
            return x.view(batch, seq, dim)
    """
    good = """
        def split_heads(x, batch, seq, dim):
            x = x.transpose(1, 2)
            return x.reshape(batch, seq, dim)
    """
    fix_does = """
        Replaces `.view(` with `.reshape(`.  `reshape` returns the very same view whenever `view`
        would have succeeded and copies only where `view` would have raised, so no program that
        ran before changes behaviour.  (Inserting `.contiguous()` is not equivalent: it copies even
        where `view` would have aliased.)
    """
    requires_text = (
        ("view",),
        ("permute", "transpose", ".t(", ".T", ".mT", ".mH", "swapaxes", "swapdims", "movedim",
         "moveaxis", "adjoint"),
    )  # fmt: skip

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for call in ctx.nodes(cst.Call):
            func = call.func
            if not (isinstance(func, cst.Attribute) and func.attr.value == "view"):
                continue
            if not is_reshaping_view(ctx, call):
                continue
            origin = noncontiguous_origin(ctx, func.value)
            if origin is None:
                continue
            op_name, producer = origin
            if proven_safe(ctx, call, producer):
                continue
            yield self.violation(
                ctx,
                func.attr,
                f"`.view()` on the non-contiguous result of `{op_name}` raises \"view size is not "
                f"compatible with input tensor's size and stride\" when it merges dimensions; "
                f"use `.reshape()` instead",
            )


# -- is this `.view()` a reshape (and not a dtype reinterpretation)? --------------------
def is_reshaping_view(ctx: FileContext, call: cst.Call) -> bool:
    positional = [a for a in call.args if a.keyword is None]
    keywords = {a.keyword.value for a in call.args if a.keyword is not None}
    if "dtype" in keywords or not call.args:
        return False
    if keywords & {"size", "shape"}:
        return True
    if len(positional) >= 2:
        return True
    arg = positional[0]
    if arg.star == "*":
        return True
    return _looks_like_shape(ctx, arg.value)


def _looks_like_shape(ctx: FileContext, node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Integer, cst.Tuple, cst.List, cst.BinaryOperation)):
        return True
    if isinstance(node, cst.UnaryOperation):
        return isinstance(node.expression, cst.Integer)
    if isinstance(node, cst.Attribute):
        return node.attr.value == "shape"
    if isinstance(node, cst.Call):
        return isinstance(node.func, cst.Attribute) and node.func.attr.value == "size"
    if isinstance(node, cst.Subscript):
        return _looks_like_shape(ctx, node.value)
    if isinstance(node, cst.Name):
        lowered = node.value.lower()  # a bare name is a shape only if it says so
        return ("shape" in lowered or "size" in lowered) and "dtype" not in lowered
    return False


# -- where did the tensor come from? ----------------------------------------------------
def noncontiguous_origin(
    ctx: FileContext, node: cst.BaseExpression, hops: int = 0
) -> Optional[Tuple[str, cst.BaseExpression]]:
    """(`.permute()`, the producing expression) if `node` is, on some path, such a view."""
    if isinstance(node, cst.Attribute) and node.attr.value in NONCONTIGUOUS_PROPERTIES:
        return f".{node.attr.value}", node
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in NONCONTIGUOUS_METHODS:
            qualified = ctx.qualified_name(func)
            if qualified is None or qualified in NONCONTIGUOUS_FUNCTIONS:
                return f".{func.attr.value}()", node
            return None  # np.transpose, some_module.permute...: not a tensor method
        if ctx.qualified_name(func) in NONCONTIGUOUS_FUNCTIONS:
            return f"{ctx.qualified_name(func)}()", node
        return None
    if isinstance(node, cst.Name) and hops < _MAX_NAME_HOPS:
        for assignment in reaching_assignments(ctx, node):
            if assignment.value is not None:
                origin = noncontiguous_origin(ctx, assignment.value, hops + 1)
                if origin is not None:
                    return origin
    return None


# -- the cases proven safe ------------------------------------------------------------
def _int_literals(args) -> Optional[list]:
    values = []
    for arg in args:
        if arg.keyword is not None or arg.star or not isinstance(arg.value, cst.Integer):
            return None
        values.append(int(arg.value.value))
    return values


def _permute_rank(producer: cst.BaseExpression) -> Optional[int]:
    """The rank a `.permute(0, 2, 1)` spells out, when it does."""
    if isinstance(producer, cst.Call) and isinstance(producer.func, cst.Attribute):
        if producer.func.attr.value == "permute":
            dims = _int_literals(producer.args)
            if dims is not None:
                return len(dims)
            if len(producer.args) == 1 and isinstance(producer.args[0].value, (cst.Tuple, cst.List)):
                return len(producer.args[0].value.elements)
    return None


def _is_identity_permutation(producer: cst.BaseExpression) -> bool:
    if not (isinstance(producer, cst.Call) and isinstance(producer.func, cst.Attribute)):
        return False
    dims = _int_literals(producer.args)
    name = producer.func.attr.value
    if dims is None:
        return False
    if name in ("transpose", "swapaxes", "swapdims", "movedim", "moveaxis"):
        return len(dims) == 2 and dims[0] == dims[1]
    if name == "permute":
        return dims == list(range(len(dims)))
    return False


def _size_of(ctx: FileContext, node: cst.BaseExpression, tensor: str) -> Optional[object]:
    """`t.size(i)`/`t.shape[i]` -> i; `t.shape`/`t.size()` -> "all"; `*t.shape[:-1]` -> "leading"."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "size":
        if ctx.code(node.func.value) != tensor:
            return None
        if not node.args:
            return "all"
        dims = _int_literals(node.args)
        return dims[0] if dims and len(dims) == 1 else None
    if isinstance(node, cst.Attribute) and node.attr.value == "shape":
        return "all" if ctx.code(node.value) == tensor else None
    if isinstance(node, cst.Subscript) and _size_of(ctx, node.value, tensor) == "all":
        if len(node.slice) != 1:
            return None
        index = node.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, cst.Integer):
            return int(index.value.value)
        if (isinstance(index, cst.Slice) and index.lower is None and index.step is None
                and isinstance(index.upper, cst.UnaryOperation) and ctx.code(index.upper) == "-1"):  # fmt: skip
            return "leading"
    return None


def proven_safe(ctx: FileContext, call: cst.Call, producer: cst.BaseExpression) -> bool:
    if _is_identity_permutation(producer):
        return True
    tensor = ctx.code(call.func.value)  # the receiver as written: `x`, `x.permute(0, 2, 1)`
    args = list(call.args)
    if len(args) == 1:
        if _size_of(ctx, args[0].value, tensor) == "all":
            return True  # viewed to its own shape: a no-op
    first = args[0]
    if first.star == "*" and _size_of(ctx, first.value, tensor) in ("all", "leading"):
        return True  # keeps every leading dimension and splits the last one
    # `y.view(y.size(0), y.size(1), heads, -1)` after a permute of known rank 3.
    leading = 0
    for arg in args:
        if arg.star or _size_of(ctx, arg.value, tensor) != leading:
            break
        leading += 1
    rank = _permute_rank(producer)
    return rank is not None and leading >= rank - 1
