"""Training-step facts: backward passes, optimizer steps, gradient resets and losses in a loop.

TL204 (loss-accumulated-with-graph) and TL205 (missing-zero-grad) ask the same questions
about the loops of a training script:

- `backward_calls_in(ctx, root)`: `loss.backward()`, `scaler.scale(loss).backward()`,
  `torch.autograd.backward(loss)` made directly in `root` (not in functions defined there).
- `backward_target(call)`: the expression whose gradient is computed (`loss`).
- `optimizer_steps_in(ctx, root)`: `optimizer.step()` / `scaler.step(optimizer)` made
  directly in `root`, with the optimizer expression.
- `resets_gradients(ctx, root)`: does `root` (or a same-file function it calls) zero or drop
  the gradients -- `zero_grad()` on anything, `p.grad = None`, `p.grad.zero_()`, a helper
  named like `clear_grads`?
- `training_loops(ctx)`: `for`/`while` loops whose body runs a backward pass directly.
- `loss_names(ctx, loop)`: names a backward pass is called on in the loop, and the names
  they are computed from (`loss = l1 + l2`: `l1`, `l2` hold the same graph).

Precision first: a `.backward(...)` with a positional argument on a non-tensor receiver
(`accelerator.backward(loss)`, DeepSpeed's `engine.backward(loss)`) counts as a backward
pass whose target is the argument, but such engines also manage the gradients, so
`resets_gradients` says True for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Set

import libcst as cst

from torchlint.analysis.dataflow import local_assignments
from torchlint.analysis.facts import reachable_functions
from torchlint.context import FileContext
from torchlint.names import dotted_name

_LOOPS = (cst.For, cst.While)
# Wrappers whose result is the loss scaled: `scaler.scale(loss).backward()`, `(loss / k).backward()`.
_SCALING_METHODS = frozenset({"scale", "mean", "sum", "float", "double"})
_RESET_WORDS = (("zero", "grad"), ("clear", "grad"), ("reset", "grad"), ("set_to_none",))


@dataclass(frozen=True)
class OptimizerStep:
    call: cst.Call
    optimizer: cst.BaseExpression  # `optimizer` in `optimizer.step()` and in `scaler.step(optimizer)`


def _own(ctx: FileContext, root: cst.CSTNode, node_type):
    nodes = ctx.nodes(node_type) if root is ctx.module else ctx.walk(root, node_type)
    return [n for n in nodes if not ctx.inside_nested_scope(n, root)]


def is_backward_call(ctx: FileContext, call: cst.Call) -> bool:
    if ctx.is_name(call.func, "torch.autograd.backward"):
        return True
    return isinstance(call.func, cst.Attribute) and call.func.attr.value == "backward"


def backward_calls_in(ctx: FileContext, root: cst.CSTNode) -> List[cst.Call]:
    """Backward passes made in `root` itself (loops nested in it included, functions defined in it not)."""
    return [call for call in _own(ctx, root, cst.Call) if is_backward_call(ctx, call)]


def engine_backward(ctx: FileContext, call: cst.Call) -> bool:
    """`accelerator.backward(loss)`, `model_engine.backward(loss)`: a framework owns the step."""
    return (
        isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "backward"
        and bool(call.args)
        and call.args[0].keyword is None
        and not ctx.is_name(call.func, "torch.autograd.backward")
    )


def backward_target(ctx: FileContext, call: cst.Call) -> Optional[cst.BaseExpression]:
    """`loss` for `loss.backward()`, `scaler.scale(loss).backward()`, `(loss / k).backward()`."""
    if ctx.is_name(call.func, "torch.autograd.backward") or engine_backward(ctx, call):
        return call.args[0].value if call.args else None
    if not isinstance(call.func, cst.Attribute):
        return None
    return unwrap_loss(call.func.value)


def unwrap_loss(expr: cst.BaseExpression) -> cst.BaseExpression:
    while True:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            if expr.func.attr.value == "scale" and expr.args:
                expr = expr.args[0].value
                continue
            if expr.func.attr.value in _SCALING_METHODS and not expr.args:
                expr = expr.func.value
                continue
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.Divide, cst.Multiply)):
            expr = expr.left if not isinstance(expr.left, (cst.Integer, cst.Float)) else expr.right
            continue
        return expr


def is_optimizer_expression(ctx: FileContext, expr: cst.BaseExpression) -> bool:
    """`optimizer`, `self.opt_G`, `optimizers[0]`, or a name assigned a `torch.optim` optimizer."""
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    spelled = dotted_name(expr)
    if spelled is None:
        return False
    last = spelled.rsplit(".", 1)[-1].lower()
    if "opt" in last and "adopt" not in last:
        return True
    if isinstance(expr, cst.Name):
        for scope in {id(ctx.scope_of(expr)): ctx.scope_of(expr), id(ctx.module): ctx.module}.values():
            for assignment in local_assignments(ctx, scope).get(expr.value, []):
                value = assignment.value
                if isinstance(value, cst.Call) and (ctx.call_name(value) or "").startswith("torch.optim."):
                    return True
    return False


def optimizer_steps_in(ctx: FileContext, root: cst.CSTNode) -> List[OptimizerStep]:
    steps = []
    for call in _own(ctx, root, cst.Call):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "step"):
            continue
        receiver = dotted_name(func.value) or ""
        if "scaler" in receiver.lower() and call.args and call.args[0].keyword is None:
            if is_optimizer_expression(ctx, call.args[0].value):
                steps.append(OptimizerStep(call, call.args[0].value))
        elif not call.args and is_optimizer_expression(ctx, func.value):
            steps.append(OptimizerStep(call, func.value))
    return steps


def _mentions_reset(text: str) -> bool:
    lowered = text.lower()
    return any(all(word in lowered for word in words) for words in _RESET_WORDS)


def _resets_directly(ctx: FileContext, root: cst.CSTNode) -> bool:
    for name in _own(ctx, root, cst.Name):
        if _mentions_reset(name.value):
            return True  # `opt.zero_grad()`, `self.clear_gradients()`, `zero_grad` passed as a callback
    for attr in _own(ctx, root, cst.Attribute):
        if attr.attr.value != "grad":
            continue
        parent = ctx.parent(attr)
        if isinstance(parent, cst.AssignTarget) or isinstance(parent, cst.Del):
            return True  # `p.grad = None`, `del p.grad`
        if isinstance(parent, cst.Attribute):  # `p.grad.zero_()`, `p.grad.data.zero_()`, `p.grad.detach_()`
            return True
    for call in _own(ctx, root, cst.Call):
        if engine_backward(ctx, call):
            return True
    return False


def resets_gradients(ctx: FileContext, root: cst.CSTNode) -> bool:
    """Does `root` zero or drop gradients, directly or in a same-file function it calls?"""
    if _resets_directly(ctx, root):
        return True
    return any(_resets_directly(ctx, function) for function in reachable_functions(ctx, root))


def training_loops(ctx: FileContext) -> List[cst.CSTNode]:
    """`for`/`while` loops whose body runs a backward pass directly (in source order)."""

    def compute():
        found = []
        for node_type in _LOOPS:
            for loop in ctx.nodes(node_type):
                if backward_calls_in(ctx, loop):
                    found.append(loop)
        return sorted(found, key=ctx.order)

    return ctx.memo("training.loops", compute)


def innermost_loop(ctx: FileContext, node: cst.CSTNode, stop: Optional[cst.CSTNode] = None) -> Optional[cst.CSTNode]:
    """The nearest `for`/`while` around `node` in its own function (not beyond `stop`)."""
    return next((a for a in _ancestors_until_scope(ctx, node, stop) if isinstance(a, _LOOPS)), None)


def _ancestors_until_scope(ctx: FileContext, node: cst.CSTNode, stop: Optional[cst.CSTNode]):
    for ancestor in ctx.ancestors(node):
        if ancestor is stop or isinstance(ancestor, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            return
        yield ancestor


def names_in(expr: cst.BaseExpression) -> Set[str]:
    """Plain names an arithmetic expression is built from (`l1 + 0.5 * l2` -> {l1, l2})."""
    if isinstance(expr, cst.Name):
        return {expr.value}
    if isinstance(expr, cst.BinaryOperation):
        return names_in(expr.left) | names_in(expr.right)
    if isinstance(expr, cst.UnaryOperation):
        return names_in(expr.expression)
    return set()


def loss_names(ctx: FileContext, loop: cst.CSTNode) -> Set[str]:
    """Names whose value is (part of) what a backward pass in `loop` differentiates."""
    scope = ctx.scope_of(loop)
    found: Set[str] = set()
    for call in backward_calls_in(ctx, loop):
        target = backward_target(ctx, call)
        if isinstance(target, cst.Name):
            found.add(target.value)
        elif target is not None:
            found |= names_in(target)
    # One level of components: `loss = l1 + l2` inside the loop.
    for name in list(found):
        for assignment in local_assignments(ctx, scope).get(name, []):
            if assignment.value is not None and ctx.contains(loop, assignment.statement):
                found |= names_in(assignment.value)
    return found


# `torch.nn.functional` losses not spelled `*_loss`.
_FUNCTIONAL_LOSSES = frozenset({"cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
                                "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"})  # fmt: skip


def is_loss_call(ctx: FileContext, call: cst.Call) -> bool:
    """`criterion(out, y)`, `self.loss_fn(...)`, `F.cross_entropy(...)`, `nn.MSELoss()(...)`."""
    qualified = ctx.call_name(call) or ""
    if qualified.startswith("torch.nn.functional."):
        last = qualified.rsplit(".", 1)[-1]
        return last.endswith("_loss") or last in _FUNCTIONAL_LOSSES
    if isinstance(call.func, cst.Call):  # `nn.CrossEntropyLoss()(out, y)`
        return (ctx.call_name(call.func) or "").endswith("Loss")
    spelled = dotted_name(call.func)
    if spelled is None or qualified:
        return False
    last = spelled.rsplit(".", 1)[-1].lower()
    return "criterion" in last or last in ("loss_fn", "loss_func", "lossfn", "loss_function", "compute_loss")


def graph_feeding_names(ctx: FileContext, scope: cst.CSTNode) -> Set[str]:
    """Names in `scope` whose values flow into a backward pass there (`losses` in
    `torch.stack(losses).mean().backward()`, `total` in `total = sum(parts); total.backward()`)."""

    def compute():
        pending: List[str] = []
        for call in backward_calls_in(ctx, scope):
            for node in ctx.walk(call, cst.Name):
                pending.append(node.value)
        found: Set[str] = set()
        assignments = local_assignments(ctx, scope)
        while pending:
            name = pending.pop()
            if name in found:
                continue
            found.add(name)
            for assignment in assignments.get(name, []):
                if assignment.value is not None:
                    pending.extend(n.value for n in ctx.walk(assignment.value, cst.Name))
                elif isinstance(assignment.statement, cst.AugAssign):
                    pending.extend(n.value for n in ctx.walk(assignment.statement.value, cst.Name))
        return found

    return ctx.memo(("training.graph_feeding", id(scope)), compute)


__all__ = [
    "OptimizerStep", "backward_calls_in", "backward_target", "engine_backward", "graph_feeding_names",
    "innermost_loop", "is_backward_call", "is_loss_call", "is_optimizer_expression", "loss_names", "names_in",
    "optimizer_steps_in", "resets_gradients", "training_loops", "unwrap_loss",
]  # fmt: skip
