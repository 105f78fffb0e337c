"""Fix for TL404: `torch.load(..., weights_only=False)` for a load of a pickled model (trusted files only)."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl404_load_pickled_model import is_default_load, module_use

from torchlint.rule import UNSAFE, Fix

APPLICABILITY = UNSAFE


def fix(ctx, violation) -> Optional[Fix]:
    call = violation.node
    if not isinstance(call, cst.Call) or not is_default_load(ctx, call) or module_use(ctx, call) is None:
        return None  # a save: reported only
    args = list(call.args)
    if args and not isinstance(args[-1].comma, cst.Comma):
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.append(cst.Arg(keyword=cst.Name("weights_only"), value=cst.Name("False"),
                        equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                              whitespace_after=cst.SimpleWhitespace(""))))
    return Fix(UNSAFE, "pass `weights_only=False` (runs the file's pickle code: only for trusted files)",
               {call: call.with_changes(args=args)})
