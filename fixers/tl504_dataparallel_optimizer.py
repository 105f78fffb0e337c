"""Fix for TL504: unwrap the optimizer and drop the `.module` hops (only when every use is one)."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl504_dataparallel_optimizer import wrapped_optimizer

from torchlint.analysis.objects import used_in_nested_scope, uses_of_assigned_value
from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE


def fix(ctx, violation) -> Optional[Fix]:
    call = violation.node
    arg = wrapped_optimizer(ctx, call) if isinstance(call, cst.Call) else None
    statement = ctx.parent(call)
    if arg is None or not isinstance(statement, cst.Assign) or statement.value is not call:
        return None
    if len(statement.targets) != 1 or not isinstance(statement.targets[0].target, cst.Name):
        return None
    name = statement.targets[0].target.value
    scope = ctx.scope_of(statement)
    if used_in_nested_scope(ctx, scope, name):
        return None
    uses = uses_of_assigned_value(ctx, call)
    edits = {}
    for use in uses:
        hop = ctx.parent(use)
        if not (isinstance(hop, cst.Attribute) and hop.value is use and hop.attr.value == "module"):
            return None  # used as the wrapper itself (`optimizer.zero_grad()`, returned...): not the same program
        edits[hop] = use
    unwrapped = arg.value
    if isinstance(unwrapped, cst.Name) and unwrapped.value == name:
        line = ctx.parent(statement)
        if _has_comment(line):
            return None  # deleting the line would delete the comment
        if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
            edits[line] = cst.RemovalSentinel.REMOVE  # `optimizer = DataParallel(optimizer)`: nothing left
        else:
            edits[statement] = cst.RemovalSentinel.REMOVE
    else:
        edits[call] = unwrapped
    return Fix(SAFE, f"use the optimizer `{name}` without the wrapper", edits)


def _has_comment(line) -> bool:
    if not isinstance(line, cst.SimpleStatementLine):
        return True
    return line.trailing_whitespace.comment is not None or any(e.comment is not None for e in line.leading_lines)
