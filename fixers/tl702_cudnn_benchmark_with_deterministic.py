"""Fix for TL702: `cudnn.benchmark = not cudnn.deterministic` (after it) or `= False` (before it)."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl702_cudnn_benchmark_with_deterministic import conflicts

from torchlint.rule import UNSAFE, Fix

APPLICABILITY = UNSAFE


def fix(ctx, violation) -> Optional[Fix]:
    conflict = conflicts(ctx).get(id(violation.node))
    if conflict is None or not conflict.same_scope:
        return None
    value = conflict.benchmark.statement.value
    target = conflict.benchmark.target
    after = ctx.order(conflict.benchmark.statement) > ctx.order(conflict.deterministic.statement)
    if after and isinstance(target, cst.Attribute):
        # `deterministic = True` is often set only when seeded (`if args.seed is not None:`):
        # benchmarking stays on in the runs that do not ask for deterministic results.
        flag = target.with_changes(attr=cst.Name("deterministic"), lpar=[], rpar=[])
        replacement = cst.UnaryOperation(cst.Not(), flag, lpar=value.lpar, rpar=value.rpar)
        spelled = f"{ctx.code(target.value)}.benchmark = not {ctx.code(target.value)}.deterministic"
        return Fix(UNSAFE, f"set `{spelled}`", {value: replacement})
    replacement = cst.Name("False") if isinstance(value, cst.Name) else cst.Integer("0")
    replacement = replacement.with_changes(lpar=value.lpar, rpar=value.rpar)
    return Fix(UNSAFE, "set `cudnn.benchmark = False`", {value: replacement})
