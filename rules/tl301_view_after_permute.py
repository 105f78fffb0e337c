"""TL301 view-after-permute."""

from __future__ import annotations

from typing import Iterator, Optional, Tuple

import libcst as cst

from torchlint import tables
from torchlint.analysis.dataflow import reaching_assignments
from torchlint.analysis.shapes import (
    FAILS,
    describe_permutation,
    known_shape,
    may_be_strided,
    size_spellings,
    unchanged_between,
    view_verdict,
)
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation

_LAYOUT = tables.load("tensor_layout")
NONCONTIGUOUS_METHODS = frozenset(_LAYOUT["noncontiguous_view_methods"])
NONCONTIGUOUS_PROPERTIES = frozenset(_LAYOUT["noncontiguous_view_properties"])
NONCONTIGUOUS_FUNCTIONS = frozenset(_LAYOUT["noncontiguous_view_functions"])

# `.T` as an attribute: followed by anything but an identifier character.  A bare ".T"
# would admit every `.TYPE_CHECKING`, `.Thread`, `.TimerHandle` (`.T` last in a file cannot
# feed a later `.view`).
_DOT_T = tuple(f".T{c}" for c in " \t\r\n.,;:()[]{}+-*/%@&|^~<>=!#\\")

# How far `a = x.permute(...); b = a; b.view(...)` is followed through names.
_MAX_NAME_HOPS = 3


class ViewAfterPermute(Rule):
    code = "TL301"
    name = "view-after-permute"
    summary = "`.view()` that merges dimensions separated by `.permute()`/`.transpose()`/`.T`: use `.reshape()`"
    why = """
        `.permute()`, `.transpose()`, `.t()`, `.T`, `.mT`, `.swapaxes()`, `.movedim()` return views
        with reordered strides.  `.view()` cannot merge dimensions that are no longer adjacent in
        memory and raises at run time:

            RuntimeError: view size is not compatible with input tensor's size and stride (at
            least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.

        The crash often shows only on CPU or on some shapes (a `.cuda()` copy or a size-1
        dimension can hide it), so it slips through a quick test.

        torchlint reports a view only when it can prove the merge: it knows the permutation (literal
        dims, and the rank from the `permute` itself, from `B, C, H, W = x.shape`, or from a small
        shape propagation through `.view`/`.reshape`, `nn.Linear`, `chunk`/`split`/`unbind`,
        indexing, `@`/`matmul`, `softmax`, dropout and elementwise ops: the multi-head attention
        head merge `(attn @ v).transpose(1, 2).view(B, N, C)`), and every reading of the view's
        arguments (`B`, `H * D`, `y.size(1)`, `-1`) merges dimensions the permutation separated.
        Sizes read from a tensor (`n = x.size(0)`, `x.shape[0]`, `B, C = x.shape[:2]`) are known
        sizes of its dims, and a dim the permutation leaves in place keeps its size, so
        `x.permute(0, 2, 3, 1).view(x.shape[0], -1)` and `n = y.size(0); y.transpose(2, 3).view(n, -1)`
        are proven whatever the rank.  It stays silent when some reading works:
        identity permutations, views to the tensor's own shape, views that only split dimensions
        (`x.transpose(1, 2).view(B, C, H, W)`), merges of dimensions that stayed adjacent
        (`x.permute(0, 2, 3, 1).view(N, H * W, C)`), arguments it cannot read, and permutations
        of a tensor that may itself be strided: a slice of a permuted `qkv`, the output of
        `F.scaled_dot_product_attention` (laid out as `(B, N, H, D)` already), a permutation of
        a permutation.  `.view(dtype)` reinterprets bytes and is not a reshape: never reported.
    """
    bad = """
        def merge_heads(x):
            B, H, T, D = x.shape
            x = x.transpose(1, 2)  # (B, T, H, D), no longer contiguous
            return x.view(B, T, H * D)
    """
    good = """
        def merge_heads(x):
            B, H, T, D = x.shape
            x = x.transpose(1, 2)
            return x.reshape(B, T, H * D)
    """
    fix_does = """
        Replaces `.view(` with `.reshape(`.  `reshape` returns the very same view whenever `view`
        would have succeeded and copies only where `view` would have raised, so no program that
        ran before changes behaviour.  (Inserting `.contiguous()` is not equivalent: it copies even
        where `view` would have aliased.)
    """
    requires_text = (
        (".view",),  # not "view": `memoryview` is everywhere in I/O code
        ("permute", "transpose", ".t(", ".mT", ".mH", "swapaxes", "swapdims", "movedim", "moveaxis",
         "adjoint", *_DOT_T),
    )  # fmt: skip

    # Its screen is `tl301` in torchlint/rule_screens.py (libcst-free, run before any parse).

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
            if not view_fails(ctx, call, producer):
                continue
            yield self.violation(
                ctx,
                func.attr,
                f"`.view()` merges dims that `{op_name}` moved apart and raises \"view size is not compatible "
                f"with input tensor's size and stride\"; use `.reshape()`",
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


# -- does this view merge what the permutation separated? -----------------------------
def view_fails(ctx: FileContext, view: cst.Call, producer: cst.BaseExpression) -> bool:
    """True only when every reading of the view's arguments merges separated dims."""

    def rank_of(tensor):
        shape = known_shape(ctx, tensor, producer)
        return len(shape) if shape is not None else None

    permuted = describe_permutation(ctx, producer, rank_of)
    if permuted is None or may_be_strided(ctx, permuted.base):
        return False  # the proofs hold for a permutation of a contiguous tensor
    receiver = view.func.value  # `y` in `y = x.permute(...); y.view(...)`, or the permute itself
    # `x.size(0)` in the view's arguments means the permute's input only if `x` still is it.
    base_readable = receiver is producer or unchanged_between(ctx, permuted.base, producer, view)
    dim_symbols = None
    if permuted.order is not None:
        rank = len(permuted.order)
        base_shape = known_shape(ctx, permuted.base, producer) or [set()] * rank
        result_shape = (known_shape(ctx, receiver, view) if receiver is not producer else None) or [set()] * rank
        if len(base_shape) != rank or len(result_shape) != rank:
            return False  # the ranks we read elsewhere disagree: do not guess
        dim_symbols = [
            frozenset(base_shape[source] | result_shape[j] | size_spellings(ctx, receiver, j, rank)
                      | (size_spellings(ctx, permuted.base, source, rank) if base_readable else set()))
            for j, source in enumerate(permuted.order)
        ]  # fmt: skip
    prefix = [
        frozenset(size_spellings(ctx, receiver, j, None)
                  | (size_spellings(ctx, permuted.base, j, None) if base_readable else set()))
        for j in range(permuted.fixed_prefix)
    ]  # fmt: skip
    return view_verdict(ctx, view, permuted, dim_symbols, prefix) == FAILS
