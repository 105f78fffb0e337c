"""TL602 missing-train-after-eval."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

import libcst as cst

from torchlint.analysis.dataflow import local_assignments
from torchlint.analysis.facts import epoch_loops
from torchlint.analysis.modes import (
    EVAL,
    INDEPENDENT,
    TRAIN,
    UNKNOWN,
    ModeCall,
    backward_through,
    first_training_call,
    is_training_call,
    mode_calls_in,
    model_status,
    optimized,
    param_names,
    related,
    strip_module,
    words,
)
from torchlint.context import FileContext
from torchlint.names import dotted_name
from torchlint.rule import Rule, Violation

_LOOPS = (cst.For, cst.While)
_LEAVES = (cst.Break, cst.Return, cst.Raise)


@dataclass
class StuckInEval:
    """An epoch loop whose body puts `key` in eval mode and never back in training mode."""

    loop: cst.CSTNode
    key: str
    eval_call: ModeCall  # the first (relevant) eval call in the body
    first_training: cst.Call  # the first training step in the body


class MissingTrainAfterEval(Rule):
    code = "TL602"
    name = "missing-train-after-eval"
    summary = "`model.eval()` inside the epoch loop but `model.train()` only before it: later epochs train in eval mode"
    why = """
        `model.eval()` stays in effect until `model.train()` is called.  When the validation step
        inside the epoch loop calls `model.eval()` (directly or in a helper such as `validate(model)`)
        and `model.train()` is called once before the loop, only the first epoch trains in training
        mode: from the second epoch on dropout is off and batch norm normalises with frozen running
        statistics instead of batch statistics.  Nothing fails -- the model simply trains worse (often
        visibly: the training loss jumps or plateaus after epoch 1, and a model with batch norm may
        diverge).

        torchlint reports a loop that runs a training step (a backward pass or optimizer step, directly,
        in a same-file function or in a function imported from another file of the project), puts a
        model that is trained in eval mode, and has no
        `model.train()` (nor a call it cannot see that is handed the model) anywhere in its body.  A
        model is trained when an optimizer gets its parameters, or -- for an optimizer handed in as a
        parameter (`def run(net, data, optimizer, n_epochs)`) -- when the loop steps that optimizer
        and back-propagates a loss computed from the model's output (outside `no_grad`, the model not
        frozen).  A model whose class is known to have no dropout or batch norm is not reported.
        A helper imported from another file of the project counts for what it does there:
        `evaluate(model)` that calls `model.eval()` (and not `model.train()`) leaves the model in eval
        mode; a helper that never touches the mode (nor hands the model on) changes nothing.
    """
    bad = """
        import torch

        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        model.train()
        for epoch in range(epochs):
            for x, y in train_loader:
                loss = criterion(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            model.eval()  # validation
            validate(model, val_loader)
    """
    good = """
        import torch

        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for epoch in range(epochs):
            model.train()
            for x, y in train_loader:
                loss = criterion(model(x), y)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            model.eval()  # validation
            validate(model, val_loader)
    """
    fix_does = """
        Inserts `model.train()` as the first statement of the epoch loop body, so every epoch starts
        in training mode whatever the previous epoch's evaluation left.  Offered when the evaluation
        comes after the training step in the loop body (the usual train-then-validate order).
    """
    # The training step may be in another file (`train_one_epoch()` imported), so only the mode counts.
    requires_text = (("eval", "train"),)

    # Its screen is `tl602` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        plans = ctx.memo("tl602.plans", dict)
        found = stuck_loops(ctx)
        for stuck in found:
            plans[id(stuck.eval_call.node)] = stuck
            key = stuck.key
            via = ""
            if not _is_direct(stuck.eval_call):
                via = f" (through `{ctx.code(stuck.eval_call.node.func)}()`)"
            yield self.violation(
                ctx,
                stuck.eval_call.node,
                _message(key, via),
            )


def _message(key: str, via: str) -> str:
    """What is wrong and what to do, at most 160 characters (the story is in `why`)."""
    for through in (via, ""):
        message = (f"`{key}` is left in eval mode by the epoch loop{through}: later epochs train in eval mode; call "
                   f"`{key}.train()` at the top of the loop")  # fmt: skip
        if len(message) <= 160:
            return message
    return message


def _is_direct(mode_call: ModeCall) -> bool:
    func = mode_call.node.func
    return isinstance(func, cst.Attribute) and func.attr.value in ("eval", "train")


def stuck_loops(ctx: FileContext) -> List[StuckInEval]:
    found: List[StuckInEval] = []
    for epoch_loop in epoch_loops(ctx):
        loop = epoch_loop.node
        training = first_training_call(ctx, loop)
        if training is None:
            continue
        calls = mode_calls_in(ctx, loop)
        for key, first_eval in _keys_left_in_eval(ctx, loop, calls).items():
            if _rebound_in(ctx, loop, key):
                continue
            if not (optimized(ctx, key) or _trained_by_handed_in_optimizer(ctx, loop, key)):
                continue
            expression = _expression_of(first_eval, key)
            if expression is not None and model_status(ctx, expression).verdict == INDEPENDENT:
                continue
            found.append(StuckInEval(loop, key, first_eval, training))
    # Report the innermost loop only: an epoch loop inside a run loop is one finding.
    return [
        s for s in found
        if not any(o is not s and o.key == s.key and ctx.contains(s.loop, o.loop) for o in found)
    ]  # fmt: skip


def _keys_left_in_eval(ctx: FileContext, loop: cst.CSTNode, calls: List[ModeCall]) -> Dict[str, ModeCall]:
    keys: Dict[str, ModeCall] = {}
    for call in calls:
        if call.kind != EVAL or _leaves_right_after(ctx, call.node, loop):
            continue
        if any(other.kind in (TRAIN, UNKNOWN) and related(ctx, other.key, call.key) for other in calls):
            continue
        if not any(related(ctx, call.key, k) for k in keys):
            keys[call.key] = call
    return keys


def _leaves_right_after(ctx: FileContext, node: cst.CSTNode, loop: cst.CSTNode) -> bool:
    """`model.eval(); test(model); break`: no epoch follows this evaluation."""
    statement = ctx.statement_of(node)
    while statement is not None and statement is not loop:
        parent = ctx.parent(statement)
        if isinstance(parent, cst.SimpleStatementLine):
            statement, parent = parent, ctx.parent(parent)
        if isinstance(parent, cst.IndentedBlock):
            after = parent.body[parent.body.index(statement) + 1:] if statement in parent.body else []
            for later in after:
                if isinstance(later, cst.SimpleStatementLine) and any(isinstance(s, _LEAVES) for s in later.body):
                    return True
        if isinstance(parent, _LOOPS) and parent is not loop:
            return False  # left a nested loop, not the epoch loop
        statement = ctx.enclosing(statement, (cst.BaseCompoundStatement,))
    return False


def _rebound_in(ctx: FileContext, loop: cst.CSTNode, key: str) -> bool:
    """`for fold in ...: model = Net()`: a fresh model (in training mode) each pass."""
    root = key.split(".", 1)[0]
    if isinstance(loop, cst.For) and root in (dotted_name(loop.target) or "").split("."):
        return True
    scope = ctx.scope_of(loop)
    for assignment in local_assignments(ctx, scope).get(root, []):
        if ctx.contains(loop, assignment.statement):
            return True
    if "." in key:
        attr = key.split(".", 1)[1]
        for node in ctx.walk(loop, cst.Assign):
            if any(ctx.code(t.target) == key or ctx.code(t.target).endswith("." + attr) for t in node.targets):
                return True
    return False


# A model that is only ever run to produce targets is not trained, whatever its loss feeds.
_NOT_TRAINED_WORDS = {"teacher", "target", "ema", "frozen", "reference", "ref"}


def _trained_by_handed_in_optimizer(ctx: FileContext, loop: cst.CSTNode, key: str) -> bool:
    """`def run(net, data, optimizer, n_epochs)`: the optimizer comes in as a parameter (its
    `net.parameters()` are elsewhere), the loop steps it and back-propagates a loss computed from
    `key`'s forward -- `key` is the model being trained, unless it is frozen."""
    function = ctx.enclosing(loop, (cst.FunctionDef,))
    if function is None or set(words(key.rsplit(".", 1)[-1])) & _NOT_TRAINED_WORDS:
        return False
    handed_in = param_names(function) - set(local_assignments(ctx, function))
    steps = False
    for call in ctx.walk(loop, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "step" and is_training_call(ctx, call):
            steps = steps or (dotted_name(func.value) or "").split(".", 1)[0] in handed_in
    return steps and not _frozen(ctx, key) and backward_through(ctx, loop, key)


def _frozen(ctx: FileContext, key: str) -> bool:
    """`for p in net.parameters(): p.requires_grad = False`, `net.requires_grad_(False)`."""
    for call in ctx.nodes(cst.Call):
        func = call.func
        if not isinstance(func, cst.Attribute):
            continue
        owner = dotted_name(func.value)
        if owner is None or not related(ctx, key, strip_module(owner)):
            continue
        if func.attr.value == "requires_grad_":
            return True
        if func.attr.value in ("parameters", "named_parameters"):
            statement = ctx.enclosing(call, (cst.For,)) or ctx.statement_of(call)
            if statement is not None and "requires_grad" in ctx.code(statement):
                return True
    return False


def _expression_of(mode_call: ModeCall, key: str) -> Optional[cst.BaseExpression]:
    """The model expression at the eval site (for resolving its class)."""
    func = mode_call.node.func
    if _is_direct(mode_call):
        return func.value
    for arg in mode_call.node.args:
        if dotted_name(arg.value) is not None and strip_module(dotted_name(arg.value)) == key:
            return arg.value
    return None
