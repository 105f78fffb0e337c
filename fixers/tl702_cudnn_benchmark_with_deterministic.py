"""Fix for TL702: `cudnn.benchmark = False` where deterministic results are asked for."""

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
    replacement = cst.Name("False") if isinstance(value, cst.Name) else cst.Integer("0")
    replacement = replacement.with_changes(lpar=value.lpar, rpar=value.rpar)
    return Fix(UNSAFE, "set `cudnn.benchmark = False`", {value: replacement})
