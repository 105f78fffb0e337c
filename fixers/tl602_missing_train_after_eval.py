"""Fix for TL602: `model.train()` at the top of the epoch loop body."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE


def fix(ctx, violation) -> Optional[Fix]:
    stuck = ctx.memo("tl602.plans", dict).get(id(violation.node))
    if stuck is None or not isinstance(stuck.loop.body, cst.IndentedBlock):
        return None
    if ctx.order(stuck.eval_call.node) < ctx.order(stuck.first_training):
        return None  # evaluates before training in the body: the top of the loop is not the right place
    first = stuck.loop.body.body[0]
    train = cst.parse_statement(f"{stuck.key}.train()\n")
    return Fix(
        SAFE,
        f"call `{stuck.key}.train()` at the top of the epoch loop",
        {first: cst.FlattenSentinel([train, first])},
    )
