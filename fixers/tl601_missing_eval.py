"""Fix for TL601: eval mode for the evaluation, and the previous mode restored after it.

    was_training = model.training
    model.eval()
    with torch.no_grad():          # or: for x in val_loader: / the evaluation function's body
        ...
    model.train(was_training)

Restoring matters: the evaluation is typically called from an epoch loop that trains next.
"""

from __future__ import annotations

from typing import List, Optional, Sequence

import libcst as cst

from torchlint.analysis.dataflow import local_assignments, runs_before_unconditionally, self_name
from torchlint.analysis.facts import resolve_call
from torchlint.analysis.modes import (
    eval_role_name,
    first_training_call,
    grad_disabled_function,
    inside_nested_scope,
    param_names,
)
from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE

_LOOPS = (cst.For, cst.While)


def fix(ctx, violation) -> Optional[Fix]:
    evaluation = ctx.memo("tl601.plans", dict).get(id(violation.node))
    if evaluation is None:
        return None
    function = evaluation.function
    target = _statement_target(ctx, evaluation)
    if target is not None:
        found = _wrap_statement(ctx, evaluation, target)
        if found is not None:
            return found
    # The whole function, when it only evaluates (it never trains, so eval mode cannot leak into training).
    if function is not None and (evaluation.whole_function or _evaluation_function(ctx, function)):
        if first_training_call(ctx, function) is None:
            return _wrap_function(ctx, evaluation, function)
    return None


def _evaluation_function(ctx, function) -> bool:
    return grad_disabled_function(ctx, function) or eval_role_name(function.name.value)


def _statement_target(ctx, evaluation) -> Optional[cst.CSTNode]:
    """The `with no_grad` block, or the outermost validation loop around it, to wrap."""
    target = evaluation.with_node
    if evaluation.data_loop is not None and (target is None or ctx.contains(evaluation.data_loop, target)):
        target = evaluation.data_loop
    return target


def _names_in(ctx, root) -> set:
    return {n.value for n in ctx.walk(root, cst.Name)} | (
        {p for p in param_names(root)} if isinstance(root, cst.FunctionDef) else set()
    )


def _flag_name(ctx, scope, key: str) -> str:
    taken = _names_in(ctx, scope)
    candidates = ["was_training", f"{key.rsplit('.', 1)[-1]}_was_training"]
    candidates += [f"was_training_{i}" for i in range(2, 100)]
    return next(c for c in candidates if c not in taken)


def _statements(key: str, flag: str):
    save = cst.parse_statement(f"{flag} = {key}.training\n")
    to_eval = cst.parse_statement(f"{key}.eval()\n")
    restore = cst.parse_statement(f"{key}.train({flag})\n")
    return save, to_eval, restore


def _bound_before(ctx, evaluation, statement) -> bool:
    """Is the model's name bound when `statement` starts (a parameter, `self`, a global, or assigned before)?"""
    root = evaluation.key.split(".", 1)[0]
    function = evaluation.function
    scope = function or ctx.module
    if function is not None and root == self_name(ctx, evaluation.use):
        return True
    assigned = local_assignments(ctx, scope).get(root, [])
    if not assigned:
        return function is not None  # a parameter, a closure or a global defined elsewhere
    if any(ctx.contains(statement, a.statement) or ctx.order(a.statement) > ctx.order(statement) for a in assigned):
        return False
    if function is not None and root in param_names(function):
        return True
    return any(runs_before_unconditionally(ctx, a.statement, statement) for a in assigned)


def _escapes(ctx, root, allow_loop_exits: bool) -> bool:
    """Could control leave `root` other than by falling off its end (return, yield, break...)?"""
    for node_type in (cst.Return, cst.Yield, cst.Await):
        for node in ctx.walk(root, node_type):
            if not inside_nested_scope(ctx, node, root):
                return True
    for node_type in (cst.Break, cst.Continue):
        for node in ctx.walk(root, node_type):
            if inside_nested_scope(ctx, node, root):
                continue
            loop = ctx.enclosing(node, _LOOPS)
            inside = loop is not None and ctx.contains(root, loop) and (allow_loop_exits or loop is not root)
            if not inside:
                return True
    return False


def _wrap_statement(ctx, evaluation, statement) -> Optional[Fix]:
    parent = ctx.parent(statement)
    if not isinstance(parent, (cst.IndentedBlock, cst.Module)):
        return None
    if _escapes(ctx, statement, allow_loop_exits=True) or not _bound_before(ctx, evaluation, statement):
        return None
    key = evaluation.key
    flag = _flag_name(ctx, evaluation.function or ctx.module, key)
    save, to_eval, restore = _statements(key, flag)
    save = save.with_changes(leading_lines=statement.leading_lines)  # comments above stay on top
    moved = statement.with_changes(leading_lines=())
    return Fix(
        SAFE,
        f"call `{key}.eval()` before the evaluation and restore its mode after it",
        {statement: cst.FlattenSentinel([save, to_eval, moved, restore])},
    )


def _wrap_function(ctx, evaluation, function: cst.FunctionDef) -> Optional[Fix]:
    if not isinstance(function.body, cst.IndentedBlock) or not _bound_before(ctx, evaluation, function):
        return None
    for node in (*ctx.walk(function, cst.Yield), *ctx.walk(function, cst.Await)):
        if not inside_nested_scope(ctx, node, function):
            return None  # a generator or coroutine: its body runs later, piece by piece
    key = evaluation.key
    flag = _flag_name(ctx, function, key)
    save, to_eval, restore = _statements(key, flag)
    body = list(function.body.body)
    head: List[cst.BaseStatement] = []
    if body and _is_docstring(body[0]):
        head.append(body.pop(0))
    if not body:
        return None
    returns = [r for r in ctx.walk(function, cst.Return) if not inside_nested_scope(ctx, r, function)]
    if not returns:
        new_body = [*head, save, to_eval, *body, restore]
    elif len(returns) == 1 and _is_last_plain_return(body, returns[0]) and _independent_of_mode(
        ctx, returns[0], key
    ):
        new_body = [*head, save, to_eval, *body[:-1], restore, body[-1]]
    else:
        guarded = cst.Try(
            body=cst.IndentedBlock(body=body),
            finalbody=cst.Finally(body=cst.IndentedBlock(body=[restore])),
        )
        new_body = [*head, save, to_eval, guarded]
    return Fix(
        SAFE,
        f"call `{key}.eval()` at the start of `{function.name.value}()` and restore its mode at the end",
        {function.body: function.body.with_changes(body=new_body)},
    )


def _is_docstring(statement) -> bool:
    return (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1
            and isinstance(statement.body[0], cst.Expr)
            and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))  # fmt: skip


def _is_last_plain_return(body: Sequence[cst.BaseStatement], ret: cst.Return) -> bool:
    last = body[-1]
    return isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 and last.body[0] is ret


def _independent_of_mode(ctx, ret: cst.Return, key: str) -> bool:
    """May the model's mode be restored before computing the returned value?"""
    if ret.value is None:
        return True
    root = key.split(".", 1)[0]
    if any(n.value == root for n in ctx.walk(ret.value, cst.Name)) or (
        isinstance(ret.value, cst.Name) and ret.value.value == root
    ):
        return False
    return not any(resolve_call(ctx, c) is not None for c in ctx.walk(ret.value, cst.Call))
