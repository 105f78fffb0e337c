"""TL204 loss-accumulated-with-graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

import libcst as cst

from torchlint.analysis.dataflow import local_assignments, reaching_assignments
from torchlint.analysis.modes import grad_disabled_with
from torchlint.analysis.training import (
    graph_feeding_names,
    innermost_loop,
    is_loss_call,
    loss_names,
    training_loops,
)
from torchlint.context import FileContext
from torchlint.names import dotted_name
from torchlint.rule import Rule, Violation

# A value computed by one of these holds no graph: `loss = loss.item()` before accumulating.
_DETACHING = frozenset({"item", "detach", "cpu", "numpy", "tolist", "data"})
_TENSOR_ONLY = frozenset({"item", "detach", "cpu", "cuda", "to", "numpy", "tolist", "backward", "mean", "sum",
                          "div_", "add_", "clone", "float", "view", "reshape", "squeeze", "unsqueeze"})  # fmt: skip


# Calls that take a Python number as well as a tensor.
_NUMBER_CONSUMERS = frozenset({"print", "float", "int", "round", "str", "format", "max", "min", "abs", "repr"})


@dataclass
class Accumulation:
    """`total += loss` / `losses.append(loss)` of a value that holds its iteration's graph."""

    node: cst.CSTNode  # the AugAssign, Assign or append Call
    accumulator: str  # the accumulator as spelled
    values: List[cst.BaseExpression]  # the loss expressions to detach (Names or loss calls)
    append: bool
    item: bool  # the fix may use `.item()` (the accumulator starts as a number and is used as one)


def accumulations(ctx: FileContext) -> Dict[int, Accumulation]:
    return ctx.memo("tl204.accumulations", lambda: _find(ctx))


def _find(ctx: FileContext) -> Dict[int, Accumulation]:
    loops = {id(loop) for loop in training_loops(ctx)}
    if not loops:
        return {}
    found: Dict[int, Accumulation] = {}
    for node in (*ctx.nodes(cst.AugAssign), *ctx.nodes(cst.Assign), *ctx.nodes(cst.Call)):
        parts = _accumulated(ctx, node)
        if parts is None:
            continue
        accumulator, added, append = parts
        loop = _training_loop_around(ctx, node, loops)
        if loop is None or (not append and _under_no_grad(ctx, node, loop)):
            continue
        scope = ctx.scope_of(node)
        root = accumulator.split(".", 1)[0].split("[", 1)[0]
        if root in graph_feeding_names(ctx, scope) or not _initialised_outside(ctx, scope, root, loop):
            continue
        values = _graph_values(ctx, added, loss_names(ctx, loop))
        if values:
            found[id(node)] = Accumulation(node, accumulator, values, append, _numeric(ctx, scope, root, loop))
    return found


def _accumulated(ctx: FileContext, node: cst.CSTNode):
    """(accumulator, added expression, is_append) for `a += v`, `a = a + v`, `a.append(v)`."""
    if isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.AddAssign):
        spelled = dotted_name(node.target) if not isinstance(node.target, cst.Subscript) else None
        return (spelled, node.value, False) if spelled else None
    if isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
        value = node.value
        name = node.targets[0].target.value
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
            if isinstance(value.left, cst.Name) and value.left.value == name:
                return name, value.right, False
        return None
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "append":
        receiver = dotted_name(node.func.value)
        if receiver is not None and len(node.args) == 1 and node.args[0].keyword is None:
            return receiver, node.args[0].value, True
    return None


def _training_loop_around(ctx: FileContext, node: cst.CSTNode, loops) -> Optional[cst.CSTNode]:
    loop = innermost_loop(ctx, node)
    while loop is not None and id(loop) not in loops:
        loop = innermost_loop(ctx, loop)
    return loop


def _under_no_grad(ctx: FileContext, node: cst.CSTNode, loop: cst.CSTNode) -> bool:
    for ancestor in ctx.ancestors(node):
        if ancestor is loop:
            return False
        if isinstance(ancestor, cst.With) and grad_disabled_with(ctx, ancestor):
            return True
    return False


def _initialised_outside(ctx: FileContext, scope: cst.CSTNode, root: str, loop: cst.CSTNode) -> bool:
    """`total = 0` before the loop: the accumulator outlives the iterations."""
    if "." in root:
        return False
    assignments = local_assignments(ctx, scope).get(root, [])
    outside = [a for a in assignments if not ctx.contains(loop, a.statement) and a.value is not None]
    inside = [a for a in assignments if ctx.contains(loop, a.statement) and not isinstance(a.statement, cst.AugAssign)
              and not _self_add(a)]  # fmt: skip
    return bool(outside) and not inside


def _self_add(assignment) -> bool:
    value = assignment.value
    return (isinstance(value, cst.BinaryOperation) and isinstance(value.left, cst.Name)
            and value.left.value == assignment.target.value)  # fmt: skip


def _graph_values(ctx: FileContext, added: cst.BaseExpression, losses) -> List[cst.BaseExpression]:
    values: List[cst.BaseExpression] = []
    for expr in _arithmetic_leaves(added):
        if isinstance(expr, cst.Name) and expr.value in losses and not _detached_here(ctx, expr):
            values.append(expr)
        elif isinstance(expr, cst.Call) and is_loss_call(ctx, expr) and "detach" not in ctx.code(expr):
            values.append(expr)
    return values


def _arithmetic_leaves(expr: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    if isinstance(expr, cst.BinaryOperation):
        yield from _arithmetic_leaves(expr.left)
        yield from _arithmetic_leaves(expr.right)
    elif isinstance(expr, cst.UnaryOperation):
        yield from _arithmetic_leaves(expr.expression)
    else:
        yield expr


def _detached_here(ctx: FileContext, use: cst.Name) -> bool:
    """`loss = loss.item()` (or `.detach()`) reaches the use: the name no longer holds the graph."""
    for assignment in reaching_assignments(ctx, use):
        value = assignment.value
        if value is None:
            if isinstance(assignment.statement, cst.Assign):
                continue  # `ce, aux = model(x)`: parts of the backward pass's loss
            return True  # a loop target, a `with ... as`: cannot tell
        if isinstance(value, cst.Call):
            func = value.func
            if isinstance(func, cst.Attribute) and func.attr.value in _DETACHING:
                return True
            if isinstance(func, cst.Name) and func.value in ("float", "int"):
                return True
        if isinstance(value, cst.Attribute) and value.attr.value == "data":
            return True
    return False


def _numeric(ctx: FileContext, scope: cst.CSTNode, root: str, loop: cst.CSTNode) -> bool:
    """Starts as `0`/`0.0` and is never used like a tensor (`total.item()`): `.item()` keeps it working."""
    starts = [a for a in local_assignments(ctx, scope).get(root, []) if not ctx.contains(loop, a.statement)]
    if not starts or not all(isinstance(a.value, (cst.Integer, cst.Float)) for a in starts):
        return False
    for attr in ctx.walk(scope, cst.Attribute) if scope is not ctx.module else ctx.nodes(cst.Attribute):
        if isinstance(attr.value, cst.Name) and attr.value.value == root and attr.attr.value in _TENSOR_ONLY:
            return False
    for name in ctx.walk(scope, cst.Name) if scope is not ctx.module else ctx.nodes(cst.Name):
        if name.value != root:
            continue
        if ctx.enclosing(name, (cst.Return,)) is not None:
            return False  # a caller may use the result as a tensor (`train(...).item()`)
        call = ctx.enclosing(name, (cst.Call,))
        if call is not None and ctx.enclosing(name, (cst.Arg,)) is not None:
            if not (isinstance(call.func, cst.Name) and call.func.value in _NUMBER_CONSUMERS):
                if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in ("format", "append")):
                    return False  # `dist.all_reduce(total)`, `writer.add_scalar(..., total)`: may want a tensor
    return True


class LossAccumulatedWithGraph(Rule):
    code = "TL204"
    name = "loss-accumulated-with-graph"
    summary = "`total_loss += loss` in a training loop keeps every iteration's autograd graph alive"
    why = """
        A loss tensor carries the autograd graph that produced it: every intermediate activation
        the backward pass needs.  `total_loss += loss` makes `total_loss` a tensor whose graph
        contains every iteration's graph; `losses.append(loss)` keeps each loss, and its graph,
        in the list.  `backward()` frees the buffers only of the graph it runs through, not the
        references held by the accumulator, so memory grows with every step until the epoch
        ends -- or until `RuntimeError: CUDA out of memory. Tried to allocate ...` halfway
        through it.  The PyTorch FAQ's first answer ("My model reports cuda runtime error(2):
        out of memory") is this pattern: "Don't accumulate history across your training loop."

        torchlint reports, inside a loop that runs a backward pass, an accumulator created
        before the loop that adds (or appends) the loss the backward pass runs on, one of its
        parts (`loss = ce + aux`), or a criterion's result -- unless it was `.item()`ed,
        `.detach()`ed, taken `.data` of, or added under `torch.no_grad()`.
    """
    bad = """
        total_loss = 0.0
        for x, y in loader:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss
    """
    good = """
        total_loss = 0.0
        for x, y in loader:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total_loss += loss.item()
    """
    fix_does = """
        Accumulates `loss.item()` (a Python float) when the accumulator starts as a number and is
        only used as a number later (printed, formatted, divided), otherwise `loss.detach()` (also
        for `append`, and when the accumulator is returned or handed to other code, which may
        expect a tensor).  Unsafe: the accumulator's type changes (a float, or a tensor without
        history); `.item()` also waits for the GPU once per step.
    """
    requires_text = (("backward",), ("+=", "append", "+ "))

    # Its screen is `tl204` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for found in accumulations(ctx).values():
            value = ctx.code(found.values[0])
            if isinstance(found.values[0], cst.Call):
                value = ctx.code(found.values[0].func) + "(...)"
            remedy = f"{value}.detach()" if found.append or not found.item else f"{value}.item()"
            candidates = [
                f"`{found.accumulator}` accumulates `{value}` with its autograd graph: every iteration's graph "
                f"stays in memory; use `{remedy}`",
                f"`{value}` is accumulated with its autograd graph: every iteration's graph stays in memory; "
                f"use `{remedy}`",
                f"a loss is accumulated with its autograd graph: every iteration's graph stays in memory; use "
                f"`.{remedy.rsplit('.', 1)[-1]}` on it",
            ]
            message = next(m for m in candidates if len(m) <= 160 or m is candidates[-1])
            yield self.violation(ctx, found.node, message)
