"""Fix for TL205: `optimizer.zero_grad()` before the loop body's backward pass."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl205_missing_zero_grad import accumulating_loops, optimizer_names

from torchlint.rule import UNSAFE, Fix

APPLICABILITY = UNSAFE


def fix(ctx, violation) -> Optional[Fix]:
    found = accumulating_loops(ctx).get(id(violation.node))
    if found is None or len(found.backwards) != 1:
        return None
    names = optimizer_names(ctx, found)
    body = found.loop.body
    if len(names) != 1 or not isinstance(body, cst.IndentedBlock):
        return None  # several optimizers (a GAN): which one goes with which backward is for the author
    step = found.steps[0].call if len(found.steps) == 1 else None
    step_statement = ctx.statement_of(step) if step is not None else None
    if step_statement is not None and not isinstance(ctx.parent(step_statement), cst.IndentedBlock):
        step_statement = ctx.parent(step_statement)  # the SimpleStatementLine around `optimizer.step()`
    if step_statement is not None and ctx.parent(ctx.parent(step_statement)) is not found.loop:
        # `if (i + 1) % k == 0: optimizer.step()`: accumulation was meant; reset right after the step.
        reset = cst.parse_statement(f"{names[0]}.zero_grad()\n", config=ctx.module.config_for_parsing)
        return Fix(
            UNSAFE,
            f"call `{names[0]}.zero_grad()` after `{names[0]}.step()`",
            {step_statement: cst.FlattenSentinel([step_statement, reset])},
        )
    statement = next((a for a in ctx.ancestors(violation.node) if ctx.parent(a) is body), None)
    if statement is None or statement not in body.body:
        return None
    reset = cst.parse_statement(f"{names[0]}.zero_grad()\n", config=ctx.module.config_for_parsing)
    moved = statement
    if isinstance(statement, cst.SimpleStatementLine) and statement.leading_lines:
        # A comment heading the backward line stays above the inserted call.
        reset = reset.with_changes(leading_lines=statement.leading_lines)
        moved = statement.with_changes(leading_lines=())
    return Fix(
        UNSAFE,
        f"call `{names[0]}.zero_grad()` before `backward()`",
        {statement: cst.FlattenSentinel([reset, moved])},
    )
