"""Will `.view(...)` of a permuted tensor succeed?  A small symbolic model of dimensions.

`.view()` may split any dimension and may merge a run of dimensions only if they are
still laid out one after another in memory.  After `.permute(order)` of a contiguous
tensor, merging permuted dims j..k works exactly when `order[j..k]` is a run of
consecutive source dims (`order[t + 1] == order[t] + 1`).

We know the permutation when its dims are literals and the rank is known (from the
`permute` itself, or from an unpacking like `B, C, H, W = x.shape`), and we know what the
view's arguments mean when they spell sizes: `B`, `H * W`, `y.size(1)`, `x.shape[-1]`.
Arguments we cannot read (`-1`, `n`) may stand for any run of dimensions, or for a part
of one.  The verdict is FAILS only when *every* reading of the arguments merges dims that
the permutation separated (assuming sizes > 1); OK when some reading works; UNKNOWN when
we cannot tell.  Rules report FAILS only.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import FrozenSet, List, Optional, Sequence, Tuple

import libcst as cst

from torchlint.context import FileContext

FAILS, OK, UNKNOWN = "fails", "ok", "unknown"


@dataclass(frozen=True)
class Permuted:
    base: cst.BaseExpression  # the tensor that was permuted
    order: Optional[Tuple[int, ...]]  # source dim of each result dim; None if the rank is unknown
    swaps_something: bool  # False for identity permutations


def _int(node: cst.BaseExpression) -> Optional[int]:
    if isinstance(node, cst.Integer):
        return int(node.value, 0)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _int(node.expression)
        return -inner if inner is not None else None
    return None


def _ints(args: Sequence[cst.Arg]) -> Optional[List[int]]:
    if len(args) == 1 and isinstance(args[0].value, (cst.Tuple, cst.List)):
        values = [_int(e.value) for e in args[0].value.elements]
    else:
        values = [_int(a.value) if not a.star and a.keyword is None else None for a in args]
    return None if any(v is None for v in values) else values  # type: ignore[return-value]


def _swap(rank: Optional[int], a: int, b: int) -> Optional[Tuple[int, ...]]:
    if rank is None:
        return None
    a, b = a % rank, b % rank
    order = list(range(rank))
    order[a], order[b] = order[b], order[a]
    return tuple(order)


def _move(rank: Optional[int], source: int, destination: int) -> Optional[Tuple[int, ...]]:
    if rank is None:
        return None
    order = list(range(rank))
    moved = order.pop(source % rank)
    order.insert(destination % rank, moved)
    return tuple(order)


def describe_permutation(
    ctx: FileContext, producer: cst.BaseExpression, rank_of
) -> Optional[Permuted]:
    """What permutation `producer` applies; `rank_of(base)` gives the base's rank if known."""
    if isinstance(producer, cst.Attribute):  # .T, .mT, .mH
        base = producer.value
        rank = rank_of(base)
        if producer.attr.value == "T":
            order = tuple(reversed(range(rank))) if rank is not None else None
        else:
            order = _swap(rank, -2, -1)
        return Permuted(base, order, swaps_something=rank is None or rank >= 2)
    if not isinstance(producer, cst.Call):
        return None
    args = list(producer.args)
    if isinstance(producer.func, cst.Attribute) and ctx.qualified_name(producer.func) is None:
        base, name = producer.func.value, producer.func.attr.value
    elif args:
        base, name, args = args[0].value, ctx.qualified_name(producer.func).rsplit(".", 1)[1], args[1:]
    else:
        return None
    rank = rank_of(base)
    dims = _ints(args)
    if name == "permute":
        if dims is None:
            return Permuted(base, None, True)
        order = tuple(d % len(dims) for d in dims)
        return Permuted(base, order, order != tuple(range(len(order))))
    if name in ("transpose", "swapaxes", "swapdims"):
        if dims is None or len(dims) != 2:
            return Permuted(base, None, True)
        same = rank is not None and dims[0] % rank == dims[1] % rank or dims[0] == dims[1]
        return Permuted(base, _swap(rank, *dims), not same)
    if name in ("movedim", "moveaxis"):
        if dims is None or len(dims) != 2:
            return Permuted(base, None, True)
        order = _move(rank, *dims)
        return Permuted(base, order, order is None or order != tuple(range(len(order))))
    if name == "t":  # 2-D transpose (identity on 0-D and 1-D tensors)
        return Permuted(base, (1, 0), True) if rank in (None, 2) else Permuted(base, None, False)
    if name == "adjoint":
        return Permuted(base, _swap(rank, -2, -1), True)
    return None


# -- reading the view's arguments ------------------------------------------------------
def _spelling(ctx: FileContext, node: cst.CSTNode) -> str:
    return "".join(ctx.code(node).split())


def size_spellings(ctx: FileContext, tensor: cst.BaseExpression, dim: int, rank: Optional[int]) -> set:
    """How code may spell the size of `tensor`'s dim: `t.size(1)`, `t.shape[1]`, `t.shape[-3]`."""
    name = _spelling(ctx, tensor)
    indices = {dim} | ({dim - rank} if rank is not None else set())
    return {f"{name}.size({i})" for i in indices} | {f"{name}.shape[{i}]" for i in indices}


def _factors(ctx: FileContext, node: cst.BaseExpression) -> Optional[List[str]]:
    """`H * W` -> ["H", "W"]; `x.size(1)` -> ["x.size(1)"]; anything else -> None."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        left, right = _factors(ctx, node.left), _factors(ctx, node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, (cst.Name, cst.Call, cst.Subscript, cst.Attribute)):
        return [_spelling(ctx, node)]
    return None


def view_verdict(
    ctx: FileContext,
    view: cst.Call,
    permuted: Permuted,
    dim_symbols: Optional[List[FrozenSet[str]]],
) -> str:
    """FAILS / OK / UNKNOWN for `view` applied to the permuted tensor.

    `dim_symbols[j]` are spellings of the size of result dim j (None if rank unknown).
    """
    if not permuted.swaps_something:
        return OK
    receiver = _spelling(ctx, view.func.value)
    args = list(view.args)
    if args and args[0].star == "*":
        spelled = _spelling(ctx, args[0].value)
        if spelled.endswith(".shape[:-1]") or spelled.endswith(".size()[:-1]"):
            return OK  # keeps every leading dim, splits the last one
        if len(args) == 1 and spelled in (f"{receiver}.shape", f"{receiver}.size()"):
            return OK
    if len(args) == 1 and _spelling(ctx, args[0].value) in (f"{receiver}.shape", f"{receiver}.size()"):
        return OK  # viewed to its own shape
    if any(a.star or a.keyword is not None for a in args):
        return UNKNOWN
    if len(args) == 1 and _int(args[0].value) is None:
        shape = args[0].value
        if isinstance(shape, (cst.Tuple, cst.List)):  # `view((B, T, C))`: read its elements
            if any(isinstance(e, cst.StarredElement) for e in shape.elements):
                return UNKNOWN
            args = [cst.Arg(e.value) for e in shape.elements]
        elif dim_symbols is None or _read_argument(ctx, shape, dim_symbols) is None:
            # One argument we cannot read may be a whole shape, not one size:
            # `view(shape)`, `view((b, heads) + v.size()[1:])`.
            return UNKNOWN
    if permuted.order is None or dim_symbols is None:
        # Rank unknown: only flattening proves anything (every permutation breaks it).
        if len(args) == 1 and _int(args[0].value) == -1:
            return FAILS
        return UNKNOWN
    readings = [_read_argument(ctx, a.value, dim_symbols) for a in args]
    return _best_reading(readings, permuted.order, dim_symbols)


def _read_argument(ctx, node, dim_symbols) -> Optional[List[str]]:
    factors = _factors(ctx, node)
    if factors is None:
        return None
    known = set().union(*dim_symbols)
    return factors if all(f in known for f in factors) else None


def _matches(factors: List[str], dims: Sequence[FrozenSet[str]]) -> bool:
    return any(all(f in d for f, d in zip(perm, dims)) for perm in itertools.permutations(factors))


def _transitions(readings, i: int, j: int, n: int, dim_symbols):
    """Ways args[i:] can start at dim j: (args consumed, dims consumed, is it a merge?)."""
    if readings[i] is None:  # -1 or unreadable: part of a dim (0 dims), or any run of dims
        for k in range(0, n - j + 1):
            yield 1, k, k >= 2
        return
    # A block of readable args that regroups a run of dims: `view(B, T, C)` of (B, C, T)
    # merges C and T and splits them again, so it is a merge of that run.
    factors: List[str] = []
    for a in range(i, len(readings)):
        if readings[a] is None:
            return
        factors = factors + readings[a]
        k = len(factors)
        if j + k > n:
            return
        if _matches(factors, dim_symbols[j : j + k]):
            yield a - i + 1, k, k >= 2 and not (a == i + k - 1 and _each_own_dim(readings[i : a + 1], dim_symbols[j:]))


def _each_own_dim(readings, dim_symbols) -> bool:
    return all(len(r) == 1 and r[0] in d for r, d in zip(readings, dim_symbols))


def _best_reading(readings, order: Tuple[int, ...], dim_symbols) -> str:
    n, m = len(order), len(readings)

    def mergeable(j: int, k: int) -> bool:
        return all(order[t + 1] == order[t] + 1 for t in range(j, j + k - 1))

    # reachable[(i, j)] = best outcome so far: True = no failing merge used, False = one was.
    reachable = {(0, 0): True}
    for i in range(m):
        for j in range(n + 1):
            if (i, j) not in reachable:
                continue
            clean = reachable[(i, j)]
            for span_args, k, merged in _transitions(readings, i, j, n, dim_symbols):
                outcome = clean and (not merged or mergeable(j, k))
                key = (i + span_args, j + k)
                reachable[key] = reachable.get(key, False) or outcome
    final = reachable.get((m, n))
    if final is None:
        return UNKNOWN  # no reading fits the shape we believe in: our model is wrong
    return OK if final else FAILS


# -- what we know of the permuted tensor's input --------------------------------------
def known_shape(ctx: FileContext, tensor: cst.BaseExpression, use: cst.CSTNode) -> Optional[List[set]]:
    """Spellings of each dim's size of `tensor`, if its rank can be seen; else None.

    Sources: `B, C, H, W = x.shape` (or `x.size()`) earlier in the same scope, or `x` being
    the result of `.view(a, b, c)` / `.reshape(a, b, c)` (directly or through a name).
    """
    from torchlint.analysis.dataflow import reaching_assignments

    producer = tensor
    if isinstance(tensor, cst.Name):
        reaching = reaching_assignments(ctx, tensor)
        if len(reaching) == 1 and reaching[0].unconditional and reaching[0].value is not None:
            producer = reaching[0].value
    shape = _shape_of_reshape(ctx, producer) or _shape_from_unpacking(ctx, tensor, use)
    if shape is None:
        return None
    rank = len(shape)
    return [set(symbols) | size_spellings(ctx, tensor, d, rank) for d, symbols in enumerate(shape)]


def _shape_of_reshape(ctx: FileContext, node: cst.BaseExpression) -> Optional[List[set]]:
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)):
        return None
    if node.func.attr.value not in ("view", "reshape") or not node.args:
        return None
    if any(a.star or a.keyword is not None for a in node.args):
        return None
    args = [a.value for a in node.args]
    if len(args) == 1 and isinstance(args[0], (cst.Tuple, cst.List)):
        args = [e.value for e in args[0].elements]
    shape = []
    for arg in args:
        factors = _factors(ctx, arg)
        shape.append({factors[0]} if factors is not None and len(factors) == 1 else set())
    return shape


def _shape_from_unpacking(ctx: FileContext, tensor: cst.BaseExpression, use: cst.CSTNode) -> Optional[List[set]]:
    """`B, C, H, W = x.shape` before `use` in the same scope, with `x` not rebound since."""
    from torchlint.analysis.dataflow import local_assignments

    wanted = {f"{_spelling(ctx, tensor)}.shape", f"{_spelling(ctx, tensor)}.size()"}
    scope = ctx.scope_of(use)
    use_order = ctx.order(use)
    latest = None
    for assign in ctx.nodes(cst.Assign):
        if ctx.order(assign) > use_order or ctx.scope_of(assign) is not scope or ctx.contains(assign, use):
            continue
        if len(assign.targets) == 1 and _spelling(ctx, assign.value) in wanted:
            if isinstance(assign.targets[0].target, (cst.Tuple, cst.List)):
                latest = assign
    if latest is None:
        return None
    if isinstance(tensor, cst.Name):
        for assignment in local_assignments(ctx, scope).get(tensor.value, []):
            statement = assignment.statement
            if ctx.order(latest) < ctx.order(statement) < use_order and not ctx.contains(statement, use):
                return None  # rebound after the unpacking: those sizes describe another tensor
    elements = latest.targets[0].target.elements
    if any(isinstance(e, cst.StarredElement) for e in elements):
        return None
    return [{e.value.value} if isinstance(e.value, cst.Name) and e.value.value != "_" else set() for e in elements]
