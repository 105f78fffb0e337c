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

from torchlint import tables
from torchlint.analysis.dataflow import (
    Assignment,
    attribute_assignments,
    local_assignments,
    reaching_assignments,
    self_name,
)
from torchlint.context import FileContext

_LAYOUT = tables.load("tensor_layout")
NONCONTIGUOUS_METHODS = frozenset(_LAYOUT["noncontiguous_view_methods"])
NONCONTIGUOUS_PROPERTIES = frozenset(_LAYOUT["noncontiguous_view_properties"])
NONCONTIGUOUS_FUNCTIONS = frozenset(_LAYOUT["noncontiguous_view_functions"])

FAILS, OK, UNKNOWN = "fails", "ok", "unknown"


@dataclass(frozen=True)
class Permuted:
    base: cst.BaseExpression  # the tensor that was permuted
    order: Optional[Tuple[int, ...]]  # source dim of each result dim; None if the rank is unknown
    swaps_something: bool  # False for identity permutations
    # Rank unknown: how many leading dims are known to stay in place while the dims after
    # them are reordered (`x.transpose(2, 3)`: 2, whatever the rank).
    fixed_prefix: int = 0


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


def _prefix_kept(dims: Sequence[int]) -> int:
    """`transpose(a, b)` / `movedim(a, b)` with 0 <= a != b: dims before min(a, b) stay in place."""
    return min(dims) if min(dims) >= 0 and dims[0] != dims[1] else 0


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
        return Permuted(base, _swap(rank, *dims), not same, _prefix_kept(dims))
    if name in ("movedim", "moveaxis"):
        if dims is None or len(dims) != 2:
            return Permuted(base, None, True)
        order = _move(rank, *dims)
        return Permuted(base, order, order is None or order != tuple(range(len(order))), _prefix_kept(dims))
    if name == "t":  # 2-D transpose (identity on 0-D and 1-D tensors)
        return Permuted(base, (1, 0), True) if rank in (None, 2) else Permuted(base, None, False)
    if name == "adjoint":
        return Permuted(base, _swap(rank, -2, -1), True)
    return None


# -- reading the view's arguments ------------------------------------------------------
def _spelling(ctx: FileContext, node: cst.CSTNode) -> str:
    return "".join(ctx.code(node).split())


def _symbol(ctx: FileContext, node: cst.CSTNode, text: Optional[str] = None) -> str:
    """`text` (default: how `node` is spelled) tagged with the definitions its names have at
    `node`: `N` read before and after `N = N * 2` are two symbols, never one size."""
    names = [node] if isinstance(node, cst.Name) else list(ctx.walk(node, cst.Name))
    tags = []
    for name in names:
        parent = ctx.parent(name)
        if isinstance(parent, cst.Attribute) and parent.attr is name or isinstance(parent, cst.Arg):
            if not (isinstance(parent, cst.Arg) and parent.value is name):
                continue  # `.num_heads`, `dim=`: not a variable
        tags.append(_definition_tag(ctx, name))
    return f"{_spelling(ctx, node) if text is None else text}@{','.join(tags)}"


def _definition_tag(ctx: FileContext, name: cst.Name) -> str:
    statement = ctx.statement_of(name)
    if isinstance(statement, cst.Assign) and any(ctx.contains(t.target, name) for t in statement.targets):
        return f"{name.value}:{ctx.order(statement)}"  # the name being bound (`B` in `B, N, C = x.shape`)
    reaching = reaching_assignments(ctx, name)
    if not reaching:
        return f"{name.value}:outer"  # a parameter or a global, the same everywhere in the function
    if len(reaching) == 1 and reaching[0].unconditional:
        return f"{name.value}:{ctx.order(reaching[0].statement)}"
    return f"{name.value}:?{id(name)}"  # several definitions may reach: a symbol of its own


def size_spellings(ctx: FileContext, tensor: cst.BaseExpression, dim: int, rank: Optional[int]) -> set:
    """How code may spell the size of `tensor`'s dim: `t.size(1)`, `t.shape[1]`, `t.shape[-3]`."""
    name = _spelling(ctx, tensor)
    indices = {dim} | ({dim - rank} if rank is not None else set())
    texts = {f"{name}.size({i})" for i in indices} | {f"{name}.shape[{i}]" for i in indices}
    return {_symbol(ctx, tensor, text) for text in texts}


def _factors(ctx: FileContext, node: cst.BaseExpression) -> Optional[List[FrozenSet[str]]]:
    """`H * W` -> [{"H"}, {"W"}]; `x.size(1)` -> [{"x.size(1)"}]; anything else -> None.

    Each factor is the set of its spellings: `n` after `n = x.size(0)` is also `x.shape[0]`.
    """
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
        left, right = _factors(ctx, node.left), _factors(ctx, node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, (cst.Name, cst.Call, cst.Subscript, cst.Attribute)):
        return [frozenset({_symbol(ctx, node)} | _aliases(ctx, node))]
    value = _int(node)
    if value is not None and value >= 0:
        return [frozenset({str(value)})]
    return None


def view_verdict(
    ctx: FileContext,
    view: cst.Call,
    permuted: Permuted,
    dim_symbols: Optional[List[FrozenSet[str]]],
    prefix_symbols: Sequence[FrozenSet[str]] = (),
) -> str:
    """FAILS / OK / UNKNOWN for `view` applied to the permuted tensor.

    `dim_symbols[j]` are spellings of the size of result dim j (None if rank unknown);
    `prefix_symbols[j]` the same for the `permuted.fixed_prefix` leading dims when the
    rank is unknown.
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
        # Rank unknown: only flattening proves anything (every permutation breaks it) ...
        if len(args) == 1 and _int(args[0].value) == -1:
            return FAILS
        # ... or keeping the leading dims the permutation left in place and flattening the
        # rest: `y.transpose(2, 3).view(y.size(0), y.size(1), -1)` merges dims 2 and 3 swapped.
        if prefix_symbols and _keeps_prefix_then_flattens(ctx, args, prefix_symbols):
            return FAILS
        return UNKNOWN
    readings = [_read_argument(ctx, a.value, dim_symbols) for a in args]
    return _best_reading(readings, permuted.order, dim_symbols)


def _keeps_prefix_then_flattens(ctx, args: Sequence[cst.Arg], prefix_symbols) -> bool:
    """`view(d0, ..., dk, -1)` where each `di` is exactly the size of dim i, i < the kept prefix.

    Those sizes pin the first k dims of the result; -1 then merges every later dim, among
    them the two the permutation reordered.
    """
    *kept, last = args
    if not kept or len(kept) > len(prefix_symbols) or _int(last.value) != -1:
        return False
    for arg, symbols in zip(kept, prefix_symbols):
        factors = _factors(ctx, arg.value)
        if factors is None or len(factors) != 1 or not factors[0] & symbols:
            return False
    return True


def _read_argument(ctx, node, dim_symbols) -> Optional[List[FrozenSet[str]]]:
    known = set().union(*dim_symbols)
    factors = _factors(ctx, node)
    if factors is not None and all(f & known for f in factors):
        return factors
    whole = _symbol(ctx, node)  # `C // self.num_heads`, spelled as a size by an earlier reshape
    if not isinstance(node, cst.UnaryOperation) and whole in known:
        return [frozenset({whole})]
    return None


def _matches(factors: List[FrozenSet[str]], dims: Sequence[FrozenSet[str]]) -> bool:
    return any(all(f & d for f, d in zip(perm, dims)) for perm in itertools.permutations(factors))


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
    return all(len(r) == 1 and r[0] & d for r, d in zip(readings, dim_symbols))


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


# -- what we know of a tensor's shape: a small symbolic propagator ----------------------
# A shape is a tuple with one entry per dim: the spellings known to equal that dim's size
# (`{"B"}`, `{"self.num_heads"}`, `{"3"}`), empty when unknown.  The rank is what matters
# most; sizes are kept only where an expression spells them exactly.  Unknown stays
# unknown: any step this model does not know gives None.
Shape = Tuple[FrozenSet[str], ...]
_UNKNOWN_DIM: FrozenSet[str] = frozenset()
_MAX_DEPTH = 40

# Tensor methods and torch functions whose result has their (first) input's shape.
_SHAPE_KEEPING_METHODS = frozenset({
    "contiguous", "float", "double", "half", "bfloat16", "to", "type", "type_as", "cuda", "cpu", "clone",
    "detach", "softmax", "log_softmax", "sigmoid", "tanh", "relu", "gelu", "exp", "abs", "neg", "sqrt",
    "requires_grad_", "float_", "sigmoid_", "relu_", "tanh_", "mul_", "div_", "add_", "sub_", "clamp",
    "clamp_", "masked_fill_", "pin_memory",
})  # fmt: skip
_SHAPE_KEEPING_FUNCTIONS = frozenset({
    "torch.softmax", "torch.log_softmax", "torch.sigmoid", "torch.tanh", "torch.relu", "torch.exp",
    "torch.nn.functional.softmax", "torch.nn.functional.log_softmax", "torch.nn.functional.dropout",
    "torch.nn.functional.relu", "torch.nn.functional.gelu", "torch.nn.functional.silu",
    "torch.nn.functional.sigmoid", "torch.nn.functional.tanh", "torch.nn.functional.elu",
    "torch.nn.functional.leaky_relu", "torch.tril", "torch.triu",
})  # fmt: skip
_FACTORIES = frozenset({"torch.ones", "torch.zeros", "torch.empty", "torch.rand", "torch.randn"})
# nn modules whose output has their input's shape (checked on real torch in tests/test_shapes_torch.py).
SHAPE_KEEPING_MODULES = frozenset({
    "torch.nn.Dropout", "torch.nn.Identity", "torch.nn.LayerNorm", "torch.nn.ReLU", "torch.nn.GELU",
    "torch.nn.SiLU", "torch.nn.Sigmoid", "torch.nn.Tanh", "torch.nn.Softmax", "torch.nn.LeakyReLU",
    "torch.nn.ELU", "torch.nn.Hardswish",
})  # fmt: skip
_ELEMENTWISE_OPERATORS = (cst.Add, cst.Subtract, cst.Multiply, cst.Divide, cst.FloorDivide, cst.Power)


def known_shape(ctx: FileContext, tensor: cst.BaseExpression, use: cst.CSTNode) -> Optional[List[set]]:
    """Spellings of each dim's size of `tensor` (as seen at `use`), if its rank can be seen; else None.

    The spellings include `t.size(d)` / `t.shape[d]` of `tensor` itself.
    """
    shape = propagated_shape(ctx, tensor, use)
    if shape is None:
        return None
    rank = len(shape)
    return [set(symbols) | size_spellings(ctx, tensor, d, rank) for d, symbols in enumerate(shape)]


def propagated_shape(ctx: FileContext, node: cst.BaseExpression, use: Optional[cst.CSTNode] = None,
                     depth: int = 0) -> Optional[Shape]:  # fmt: skip
    """The rank and named sizes of the tensor `node` evaluates to, or None if not known."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(node, cst.Name):
        return _name_shape(ctx, node, depth)
    if isinstance(node, cst.Call):
        return _call_shape(ctx, node, depth)
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.MatrixMultiply):
            return _matmul(ctx, node.left, node.right, depth)
        if isinstance(node.operator, _ELEMENTWISE_OPERATORS):
            return _elementwise(ctx, node.left, node.right, depth)
        return None
    if isinstance(node, cst.Subscript):
        return _index_shape(ctx, node, depth)
    if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:  # `mask == 0`
        if isinstance(node.comparisons[0].operator, (cst.Is, cst.IsNot, cst.In, cst.NotIn)):
            return None
        return _elementwise(ctx, node.left, node.comparisons[0].comparator, depth)
    if isinstance(node, cst.Attribute):
        if node.attr.value in ("T", "mT", "data"):
            base = propagated_shape(ctx, node.value, None, depth + 1)
            if base is None or node.attr.value == "data":
                return base
            if node.attr.value == "T":
                return tuple(reversed(base))
            return _reorder(base, _swap(len(base), -2, -1)) if len(base) >= 2 else None
        if use is not None:  # `self.x` with `B, N, C = self.x.shape` before the use
            unpacked = _shape_from_unpacking(ctx, node, use)
            if unpacked is not None:
                return tuple(frozenset(s) for s in unpacked)
        return _self_tensor_shape(ctx, node, depth)
    return None


def _self_tensor_shape(ctx: FileContext, node: cst.Attribute, depth: int) -> Optional[Shape]:
    """`self.bias` set by `self.register_buffer("bias", <value>)` (or `self.bias = <value>`) only;
    the sizes are the constructor's, so only the rank is kept."""
    if not (isinstance(node.value, cst.Name) and node.value.value == self_name(ctx, node)):
        return None
    class_def = ctx.enclosing(node, (cst.ClassDef,))
    if class_def is None:
        return None
    values = [a.value for a in attribute_assignments(ctx, class_def, node.attr.value)]
    for call in ctx.walk(class_def, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "register_buffer" and len(call.args) >= 2:
            key = call.args[0].value
            if isinstance(key, cst.SimpleString) and key.evaluated_value == node.attr.value:
                values.append(call.args[1].value)
    if not values or any(v is None for v in values):
        return None
    return _merge_paths([_rank_only(propagated_shape(ctx, v, None, depth + 1)) for v in values])


def _rank_only(shape: Optional[Shape]) -> Optional[Shape]:
    return None if shape is None else tuple(d if d == frozenset({"1"}) else _UNKNOWN_DIM for d in shape)


def _reorder(shape: Shape, order: Optional[Sequence[int]]) -> Optional[Shape]:
    if order is None or len(order) != len(shape):
        return None
    return tuple(shape[source] for source in order)


def _merge_paths(shapes: List[Optional[Shape]]) -> Optional[Shape]:
    """One value from one of several paths: the rank must agree; a size is known where all agree."""
    if not shapes or any(s is None for s in shapes) or len({len(s) for s in shapes}) != 1:
        return None
    return tuple(frozenset.intersection(*dims) for dims in zip(*shapes))


def _same_value(first: Optional[Shape], second: Optional[Shape]) -> Optional[Shape]:
    """Two descriptions of one value: every spelling of either holds."""
    if first is None or second is None:
        return first if second is None else second
    if len(first) != len(second):
        return None  # they contradict each other: our model is wrong somewhere
    return tuple(a | b for a, b in zip(first, second))


# -- names -------------------------------------------------------------------------------
def _name_shape(ctx: FileContext, name: cst.Name, depth: int) -> Optional[Shape]:
    memo = ctx.memo("shapes.names", dict)
    if id(name) in memo:
        return memo[id(name)]
    memo[id(name)] = None  # a cycle (never expected: reaching definitions run forward) is unknown
    reaching = reaching_assignments(ctx, name)
    assigned = None
    if reaching and reaching[-1].unconditional:
        assigned = _merge_paths([_assignment_shape(ctx, a, depth) for a in reaching])
    unpacked = _shape_from_unpacking(ctx, name, name)
    shape = _same_value(assigned, tuple(frozenset(s) for s in unpacked) if unpacked is not None else None)
    memo[id(name)] = shape
    return shape


def _assignment_shape(ctx: FileContext, assignment: Assignment, depth: int) -> Optional[Shape]:
    statement = assignment.statement
    if isinstance(statement, cst.AugAssign) and isinstance(statement.target, cst.Name):
        if isinstance(statement.operator, (cst.MatrixMultiplyAssign,)):
            return None
        return _name_shape(ctx, statement.target, depth + 1)  # in place: the target keeps its shape
    if assignment.value is not None:
        return propagated_shape(ctx, assignment.value, None, depth + 1)
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target = statement.targets[0].target
        if isinstance(target, (cst.Tuple, cst.List)):
            return _unpacked_element_shape(ctx, target, assignment.target, statement.value, depth)
    return None


def _unpacked_element_shape(ctx, target, name: cst.BaseExpression, value, depth: int) -> Optional[Shape]:
    """`q, k, v = <value>`: the shape of the element bound to `name`."""
    elements = target.elements
    if any(isinstance(e, cst.StarredElement) for e in elements):
        return None
    index = next((i for i, e in enumerate(elements) if e.value is name), None)
    if index is None:
        return None
    if isinstance(value, (cst.Tuple, cst.List)):
        if len(value.elements) != len(elements) or isinstance(value.elements[index], cst.StarredElement):
            return None
        return propagated_shape(ctx, value.elements[index].value, None, depth + 1)
    if isinstance(value, cst.Call):
        pieces = _pieces_shape(ctx, value, depth)
        if pieces is not None:
            return pieces
        if _tuple_returning(value):
            return None
    if _spelling(ctx, value).endswith((".shape", ".size()")):
        return None  # sizes, not tensors
    whole = propagated_shape(ctx, value, None, depth + 1)
    return whole[1:] if whole else None  # iterating a tensor walks its dim 0


def _tuple_returning(call: cst.Call) -> bool:
    return isinstance(call.func, cst.Attribute) and call.func.attr.value in ("unbind", "chunk", "split", "size")


def _pieces_shape(ctx: FileContext, call: cst.Call, depth: int) -> Optional[Shape]:
    """The shape of each piece of `t.unbind(d)`, `t.chunk(n, d)`, `t.split(s, d)` (and `torch.` forms)."""
    func = call.func
    args = list(call.args)
    qualified = ctx.qualified_name(func)
    if qualified in ("torch.unbind", "torch.chunk", "torch.split") and args:
        method, receiver, args = qualified.rsplit(".", 1)[1], args[0].value, args[1:]
    elif isinstance(func, cst.Attribute) and qualified is None and func.attr.value in ("unbind", "chunk", "split"):
        method, receiver = func.attr.value, func.value
    else:
        return None
    if any(a.star for a in args):
        return None
    positional = [a.value for a in args if a.keyword is None]
    keywords = {a.keyword.value: a.value for a in args if a.keyword is not None}
    dim_position = 0 if method == "unbind" else 1
    dim_node = keywords.get("dim", positional[dim_position] if len(positional) > dim_position else None)
    dim = 0 if dim_node is None else _int(dim_node)
    base = propagated_shape(ctx, receiver, None, depth + 1)
    if dim is None or base is None or not -len(base) <= dim < len(base):
        return None
    dim %= len(base)
    if method == "unbind":
        return base[:dim] + base[dim + 1 :]
    return base[:dim] + (_UNKNOWN_DIM,) + base[dim + 1 :]


# -- calls -------------------------------------------------------------------------------
def _call_shape(ctx: FileContext, call: cst.Call, depth: int) -> Optional[Shape]:
    func = call.func
    qualified = ctx.qualified_name(func)
    args = list(call.args)
    if any(a.star for a in args):
        return None
    if qualified is not None:
        if qualified in ("torch.matmul", "torch.bmm") and len(args) == 2:
            return _matmul(ctx, args[0].value, args[1].value, depth)
        if qualified == "torch.nn.functional.scaled_dot_product_attention" and len(args) >= 3:
            return _attention_shape(ctx, args[0].value, args[2].value, depth)
        if qualified in _SHAPE_KEEPING_FUNCTIONS and args and args[0].keyword is None:
            return propagated_shape(ctx, args[0].value, None, depth + 1)
        if qualified in _FACTORIES:  # `torch.ones(bs, bs, device=d)`: sizes like a reshape's
            positional = [a for a in args if a.keyword is None]
            return _reshape_shape(ctx, call.with_changes(args=positional)) if positional else None
        if qualified.rsplit(".", 1)[-1] in ("permute", "transpose", "swapaxes", "swapdims", "movedim"):
            return _permuted_shape(ctx, call, depth)
        return None
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    receiver = func.value
    if method in ("view", "reshape"):
        return _reshape_shape(ctx, call)
    if method in ("permute", "transpose", "swapaxes", "swapdims", "movedim", "t"):
        return _permuted_shape(ctx, call, depth)
    if method in _SHAPE_KEEPING_METHODS:
        return propagated_shape(ctx, receiver, None, depth + 1)
    if method in ("matmul", "bmm") and len(args) == 1:
        return _matmul(ctx, receiver, args[0].value, depth)
    if method == "masked_fill" and len(args) == 2:  # broadcasts with the mask
        base = propagated_shape(ctx, receiver, None, depth + 1)
        mask = propagated_shape(ctx, args[0].value, None, depth + 1)
        return _broadcast(base, mask) if base is not None and mask is not None else None
    if method == "unsqueeze" and len(args) == 1:
        base, dim = propagated_shape(ctx, receiver, None, depth + 1), _int(args[0].value)
        if base is None or dim is None or not -len(base) - 1 <= dim <= len(base):
            return None
        dim %= len(base) + 1
        return base[:dim] + (frozenset({"1"}),) + base[dim:]
    return _module_call_shape(ctx, call, depth)


def _permuted_shape(ctx: FileContext, call: cst.Call, depth: int) -> Optional[Shape]:
    holder: dict = {}

    def rank_of(base):
        holder["shape"] = propagated_shape(ctx, base, None, depth + 1)
        return len(holder["shape"]) if holder["shape"] is not None else None

    permuted = describe_permutation(ctx, call, rank_of)
    shape = holder.get("shape")
    if permuted is None or shape is None:
        return None
    if permuted.order is None:
        return shape if not permuted.swaps_something else None
    return _reorder(shape, permuted.order)


def _dim_symbol(ctx: FileContext, node: cst.BaseExpression) -> FrozenSet[str]:
    value = _int(node)
    if value is not None:
        return frozenset({str(value)}) if value >= 0 else _UNKNOWN_DIM
    if isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.BinaryOperation)):
        return frozenset({_symbol(ctx, node)} | _aliases(ctx, node))
    return _UNKNOWN_DIM


def _reshape_shape(ctx: FileContext, call: cst.Call) -> Optional[Shape]:
    if not call.args or any(a.star or a.keyword is not None for a in call.args):
        return None
    args = [a.value for a in call.args]
    if len(args) == 1:
        if isinstance(args[0], (cst.Tuple, cst.List)):
            if any(isinstance(e, cst.StarredElement) for e in args[0].elements):
                return None
            args = [e.value for e in args[0].elements]
        elif _int(args[0]) is None:
            return None  # `view(shape)`, `view(dtype)`: one argument that is not one size
    return tuple(_dim_symbol(ctx, a) for a in args)


def _module_call_shape(ctx: FileContext, call: cst.Call, depth: int) -> Optional[Shape]:
    """`self.qkv(x)` where `self.qkv = nn.Linear(...)`; `self.drop(x)` of a shape-keeping module."""
    positional = [a for a in call.args if a.keyword is None]
    if len(positional) != 1 or len(call.args) != 1:
        return None
    func = call.func
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
            and func.value.value == self_name(ctx, func)):  # fmt: skip
        return None
    class_def = ctx.enclosing(func, (cst.ClassDef,))
    assigned = attribute_assignments(ctx, class_def, func.attr.value) if class_def is not None else []
    kinds = set()
    for assignment in assigned:
        value = assignment.value
        if not isinstance(value, cst.Call):
            return None
        name = ctx.call_name(value)
        if name == "torch.nn.Linear":
            kinds.add("linear")
        elif name in SHAPE_KEEPING_MODULES:
            kinds.add("same")
        else:
            return None
    if len(kinds) != 1:
        return None
    base = propagated_shape(ctx, positional[0].value, None, depth + 1)
    if base is None or not base:
        return None
    return base if kinds == {"same"} else base[:-1] + (_UNKNOWN_DIM,)


# -- operators ---------------------------------------------------------------------------
def _broadcast_dim(a: FrozenSet[str], b: FrozenSet[str]) -> FrozenSet[str]:
    if "1" in a:
        return b
    if "1" in b:
        return a
    return a | b  # sizes > 1 that broadcast are equal


def _broadcast(first: Shape, second: Shape) -> Shape:
    rank = max(len(first), len(second))
    first = (frozenset({"1"}),) * (rank - len(first)) + first
    second = (frozenset({"1"}),) * (rank - len(second)) + second
    return tuple(_broadcast_dim(a, b) for a, b in zip(first, second))


def _matmul(ctx: FileContext, left, right, depth: int) -> Optional[Shape]:
    a = propagated_shape(ctx, left, None, depth + 1)
    b = propagated_shape(ctx, right, None, depth + 1)
    if a is None or b is None or len(a) < 2 or len(b) < 2:
        return None
    return _broadcast(a[:-2], b[:-2]) + (a[-2], b[-1])


def _attention_shape(ctx: FileContext, query, value, depth: int) -> Optional[Shape]:
    """`F.scaled_dot_product_attention(q, k, v)`: q's shape with v's last dim."""
    q = propagated_shape(ctx, query, None, depth + 1)
    v = propagated_shape(ctx, value, None, depth + 1)
    if q is None or v is None or len(q) < 2 or len(q) != len(v):
        return None
    return q[:-1] + (v[-1],)


def _elementwise(ctx: FileContext, left, right, depth: int) -> Optional[Shape]:
    a = propagated_shape(ctx, left, None, depth + 1)
    b = propagated_shape(ctx, right, None, depth + 1)
    if a is not None and b is not None:
        return _broadcast(a, b)
    if a is not None and is_scalar(ctx, right):
        return a
    if b is not None and is_scalar(ctx, left):
        return b
    return None


def is_scalar(ctx: FileContext, node: cst.BaseExpression, depth: int = 0) -> bool:
    """A Python number: literals, `math.sqrt(d)`, arithmetic of those, `self.scale = head_dim ** -0.5`.

    Names and `self.<attr>` are followed to their assignments; a constructor's parameters
    (`dim`, `num_heads` in `__init__`) are taken for numbers, as model configuration is.
    """
    if depth > 6:
        return False
    if isinstance(node, (cst.Integer, cst.Float)):
        return True
    if isinstance(node, cst.UnaryOperation):
        return is_scalar(ctx, node.expression, depth + 1)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _ELEMENTWISE_OPERATORS):
        return is_scalar(ctx, node.left, depth + 1) and is_scalar(ctx, node.right, depth + 1)
    if isinstance(node, cst.BooleanOperation):
        return is_scalar(ctx, node.left, depth + 1) and is_scalar(ctx, node.right, depth + 1)
    if isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("size", "item") and not ctx.qualified_name(func):
            return func.attr.value == "item" or bool(node.args)  # `k.size(-1)`: an int
        if isinstance(func, cst.Name) and func.value in ("int", "float", "len") and not ctx.names.is_bound(func.value):
            return True
        name = ctx.call_name(node)
        return bool(name) and name.startswith("math.") and all(is_scalar(ctx, a.value, depth + 1) for a in node.args)
    if isinstance(node, cst.Subscript):  # `x.shape[-1]`
        return isinstance(node.value, cst.Attribute) and node.value.attr.value == "shape"
    if isinstance(node, cst.Name):
        reaching = reaching_assignments(ctx, node)
        if not reaching:
            function = ctx.enclosing(node, (cst.FunctionDef,))
            return function is not None and function.name.value == "__init__" and _is_param(function, node.value)
        return reaching[-1].unconditional and all(
            a.value is not None and is_scalar(ctx, a.value, depth + 1) for a in reaching
        )
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        if node.value.value != self_name(ctx, node):
            return False
        class_def = ctx.enclosing(node, (cst.ClassDef,))
        assigned = attribute_assignments(ctx, class_def, node.attr.value) if class_def is not None else []
        return bool(assigned) and all(a.value is not None and is_scalar(ctx, a.value, depth + 1) for a in assigned)
    return False


def _is_param(function: cst.FunctionDef, name: str) -> bool:
    params = function.params
    return any(p.name.value == name for p in (*params.posonly_params, *params.params, *params.kwonly_params))


# -- indexing ----------------------------------------------------------------------------
def _index_shape(ctx: FileContext, node: cst.Subscript, depth: int) -> Optional[Shape]:
    """`qkv[0]`, `x[:, 0]`, `x[None]`: integer indices drop a dim, slices keep it."""
    base = propagated_shape(ctx, node.value, None, depth + 1)
    if base is None:
        return None
    result: List[FrozenSet[str]] = []
    position = 0
    for element in node.slice:
        index = element.slice
        if isinstance(index, cst.Index):
            if isinstance(index.value, cst.Name) and index.value.value == "None":
                result.append(frozenset({"1"}))
                continue
            if _int(index.value) is None or index.star is not None:
                return None  # a tensor index, an Ellipsis, a name: unknown
            position += 1
        elif isinstance(index, cst.Slice):
            if position >= len(base):
                return None
            whole = index.lower is None and index.upper is None and index.step is None
            result.append(base[position] if whole else _UNKNOWN_DIM)
            position += 1
        else:
            return None
        if position > len(base):
            return None
    return tuple(result) + base[position:]


# -- sizes read from a tensor --------------------------------------------------------------
def _shape_from_unpacking(ctx: FileContext, tensor: cst.BaseExpression, use: cst.CSTNode) -> Optional[List[set]]:
    """`B, C, H, W = x.shape` before `use` in the same scope, with `x` not rebound since."""
    wanted = {f"{_spelling(ctx, tensor)}.shape", f"{_spelling(ctx, tensor)}.size()"}
    scope = ctx.scope_of(use)
    use_order = ctx.order(use)
    latest = None
    for assign in ctx.memo("shapes.unpackings", lambda: _unpackings(ctx)):
        if ctx.order(assign) > use_order or ctx.scope_of(assign) is not scope or ctx.contains(assign, use):
            continue
        if _spelling(ctx, assign.value) in wanted:
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
    return [{_symbol(ctx, e.value)} if isinstance(e.value, cst.Name) and e.value.value != "_" else set()
            for e in elements]  # fmt: skip


def _unpackings(ctx: FileContext) -> List[cst.Assign]:
    return [a for a in ctx.nodes(cst.Assign)
            if len(a.targets) == 1 and isinstance(a.targets[0].target, (cst.Tuple, cst.List))]  # fmt: skip


def _aliases(ctx: FileContext, node: cst.BaseExpression) -> FrozenSet[str]:
    """Other spellings of a size: `n` after `n = x.size(0)` or `n, c = x.shape[:2]` is `x.shape[0]`
    (as long as `x` is not rebound between that read and `node`)."""
    if not isinstance(node, cst.Name):
        return frozenset()
    reaching = reaching_assignments(ctx, node)
    if len(reaching) != 1 or not reaching[0].unconditional:
        return frozenset()
    statement = reaching[0].statement
    if not isinstance(statement, cst.Assign) or len(statement.targets) != 1:
        return frozenset()
    target, value = statement.targets[0].target, statement.value
    if isinstance(target, cst.Name):
        read = _size_read(ctx, value)
        if read is None:
            return frozenset()
        tensor, index = read
    elif isinstance(target, (cst.Tuple, cst.List)):
        position = next((i for i, e in enumerate(target.elements) if e.value is reaching[0].target), None)
        tensor = _sliced_shape_of(ctx, value)
        if position is None or tensor is None:
            return frozenset()
        if any(isinstance(e, cst.StarredElement) for e in target.elements[: position + 1]):
            return frozenset()
        index = position
    else:
        return frozenset()
    if not unchanged_between(ctx, tensor, statement, node):
        return frozenset()
    spelled = _spelling(ctx, tensor)
    return frozenset({_symbol(ctx, tensor, f"{spelled}.shape[{index}]"),
                      _symbol(ctx, tensor, f"{spelled}.size({index})")})  # fmt: skip


def _size_read(ctx: FileContext, value: cst.BaseExpression):
    """`x.size(0)`, `x.shape[0]`, `x.size()[0]` -> (x, 0) for a plain name `x`."""
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and value.func.attr.value == "size":
        if len(value.args) == 1 and value.args[0].keyword is None:
            index = _int(value.args[0].value)
            tensor = value.func.value
            if index is not None and index >= 0 and isinstance(tensor, cst.Name):
                return tensor, index
        return None
    if isinstance(value, cst.Subscript) and len(value.slice) == 1 and isinstance(value.slice[0].slice, cst.Index):
        index = _int(value.slice[0].slice.value)
        tensor = _sliced_shape_of(ctx, value.value)
        if index is not None and index >= 0 and tensor is not None:
            return tensor, index
    return None


def _sliced_shape_of(ctx: FileContext, node: cst.BaseExpression) -> Optional[cst.Name]:
    """`x` for `x.shape`, `x.size()`, `x.shape[:2]` (a prefix of the sizes)."""
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Slice):
        piece = node.slice[0].slice
        if piece.lower is not None and _int(piece.lower) != 0 or piece.step is not None:
            return None
        node = node.value
    if isinstance(node, cst.Attribute) and node.attr.value == "shape" and isinstance(node.value, cst.Name):
        return node.value
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "size":
        if not node.args and isinstance(node.func.value, cst.Name):
            return node.func.value
    return None


def unchanged_between(ctx: FileContext, name: cst.BaseExpression, first: cst.CSTNode, later: cst.CSTNode) -> bool:
    """Does the plain name `name` hold the same value at `later` as it did at `first` (same scope)?"""
    if not isinstance(name, cst.Name):
        return False
    scope = ctx.scope_of(first)
    if ctx.scope_of(later) is not scope:
        return False
    start, end = ctx.order(first), ctx.order(later)
    for assignment in local_assignments(ctx, scope).get(name.value, []):
        statement = assignment.statement
        if isinstance(statement, (cst.Assign, cst.AnnAssign, cst.AugAssign)) and ctx.contains(statement, later):
            continue  # `x = x.view(...)`: the value is read before the name is bound again
        if ctx.contains(statement, first) or start < ctx.order(statement) < end:
            return False  # `x = x.permute(...)`, then `x.view(...)`: bound again in between
    return True


# -- is a tensor laid out contiguously? ----------------------------------------------------
# The proofs above assume that the permuted tensor was contiguous: a permutation of a tensor
# that was itself permuted (or sliced, or returned by a kernel with its own layout, like
# `scaled_dot_product_attention`) may well be viewable.  A tensor of unknown origin (a
# parameter, an unknown function's result) is taken for contiguous, as PyTorch code mostly is.
_FRESH_METHODS = frozenset({"contiguous", "matmul", "bmm"})
_STRIDED_METHODS = frozenset({"expand", "expand_as", "narrow", "unfold", "as_strided", "diagonal", "select",
                              "split", "chunk", "unbind", "tensor_split"})  # fmt: skip


def may_be_strided(ctx: FileContext, node: cst.BaseExpression, depth: int = 0, operand: bool = False) -> bool:
    """True when `node` may not be contiguous by what this file shows (see above).

    `operand`: `node` is an operand of an elementwise op, whose result is laid out like its
    permuted inputs but ignores broadcast ones (`.expand()`ed, measured on torch).
    """
    if depth > _MAX_DEPTH:
        return True
    if isinstance(node, cst.Name):
        return _name_may_be_strided(ctx, node, depth, operand)
    if isinstance(node, cst.Attribute):
        if node.attr.value in NONCONTIGUOUS_PROPERTIES:
            return True
        return node.attr.value == "data" and may_be_strided(ctx, node.value, depth + 1)
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.MatrixMultiply):
            return False  # a fresh result
        return may_be_strided(ctx, node.left, depth + 1, True) or may_be_strided(ctx, node.right, depth + 1, True)
    if isinstance(node, cst.Subscript):
        if may_be_strided(ctx, node.value, depth + 1):
            return True
        # `qkv[0]`, `x[1:]`, `x[None]` of a contiguous tensor are contiguous; `x[:, 0]` is not.
        return len(node.slice) != 1
    if isinstance(node, cst.Call):
        return _call_may_be_strided(ctx, node, depth, operand)
    return False


def _call_may_be_strided(ctx: FileContext, call: cst.Call, depth: int, operand: bool = False) -> bool:
    func = call.func
    qualified = ctx.qualified_name(func)
    if qualified is not None:
        if qualified in NONCONTIGUOUS_FUNCTIONS or qualified == "torch.nn.functional.scaled_dot_product_attention":
            return True
        if qualified in ("torch.matmul", "torch.bmm"):
            return False
        if qualified in _SHAPE_KEEPING_FUNCTIONS and call.args:
            return may_be_strided(ctx, call.args[0].value, depth + 1)
        return False  # another function: unknown origin
    if not isinstance(func, cst.Attribute):
        return False
    method = func.attr.value
    if operand and method in ("expand", "expand_as"):
        return may_be_strided(ctx, func.value, depth + 1, operand)
    if method in NONCONTIGUOUS_METHODS or method in _STRIDED_METHODS:
        return True
    if method in _FRESH_METHODS:
        return False
    if _is_self_linear(ctx, func):
        return False
    if isinstance(func.value, cst.Name) and func.value.value == self_name(ctx, func):
        # `self.drop(x)`, `self.norm(x)`: a module keeps (at most) its input's layout
        return any(may_be_strided(ctx, a.value, depth + 1) for a in call.args)
    return may_be_strided(ctx, func.value, depth + 1)  # a method keeps its receiver's layout at best


def _is_self_linear(ctx: FileContext, func: cst.Attribute) -> bool:
    if not (isinstance(func.value, cst.Name) and func.value.value == self_name(ctx, func)):
        return False
    class_def = ctx.enclosing(func, (cst.ClassDef,))
    assigned = attribute_assignments(ctx, class_def, func.attr.value) if class_def is not None else []
    return bool(assigned) and all(
        isinstance(a.value, cst.Call) and ctx.call_name(a.value) == "torch.nn.Linear" for a in assigned
    )


def _name_may_be_strided(ctx: FileContext, name: cst.Name, depth: int, operand: bool = False) -> bool:
    memo = ctx.memo("shapes.strided", dict)
    key = (id(name), operand)
    if key in memo:
        return memo[key]
    memo[key] = True  # a cycle: play safe
    result = False
    for assignment in reaching_assignments(ctx, name):
        statement = assignment.statement
        if isinstance(statement, cst.AugAssign) and isinstance(statement.target, cst.Name):
            strided = _name_may_be_strided(ctx, statement.target, depth + 1)
        elif assignment.value is not None:
            strided = may_be_strided(ctx, assignment.value, depth + 1, operand)
        elif isinstance(statement, cst.Assign):
            strided = _unpacked_may_be_strided(ctx, statement, assignment.target, depth)
        else:
            strided = True  # a loop target, a `with` target: not seen
        if strided:
            result = True
            break
    memo[key] = result
    return result


def _unpacked_may_be_strided(ctx: FileContext, statement: cst.Assign, name, depth: int) -> bool:
    """`q, k, v = qkv.unbind(0)` of a contiguous `qkv` gives contiguous pieces; along dim 2, not."""
    value = statement.value
    target = statement.targets[0].target if len(statement.targets) == 1 else None
    if not isinstance(target, (cst.Tuple, cst.List)):
        return True
    index = next((i for i, e in enumerate(target.elements) if e.value is name), None)
    if index is None:
        return True
    if isinstance(value, (cst.Tuple, cst.List)):
        if len(value.elements) != len(target.elements) or isinstance(value.elements[index], cst.StarredElement):
            return True
        return may_be_strided(ctx, value.elements[index].value, depth + 1)
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and not ctx.qualified_name(value.func):
        method = value.func.attr.value
        if method in ("unbind", "chunk", "split"):
            positional = [a.value for a in value.args if a.keyword is None]
            keywords = {a.keyword.value: a.value for a in value.args if a.keyword is not None}
            position = 0 if method == "unbind" else 1
            dim_node = keywords.get("dim", positional[position] if len(positional) > position else None)
            if dim_node is not None and _int(dim_node) != 0:
                return True  # pieces along a later dim are strided
            return may_be_strided(ctx, value.func.value, depth + 1)
        return True
    if isinstance(value, (cst.Name, cst.Subscript)):
        return may_be_strided(ctx, value, depth + 1)  # iterating walks dim 0
    return True
