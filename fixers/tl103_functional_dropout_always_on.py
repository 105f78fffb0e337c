"""Fix for TL103: pass `training=self.training` to the functional dropout."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl103_functional_dropout_always_on import always_on_dropouts

from torchlint.rule import UNSAFE, Fix

APPLICABILITY = UNSAFE


def fix(ctx, violation) -> Optional[Fix]:
    call = violation.node
    me = always_on_dropouts(ctx).get(id(call))
    if me is None or not isinstance(call, cst.Call):
        return None
    training = cst.Arg(
        keyword=cst.Name("training"),
        value=cst.Attribute(value=cst.Name(me), attr=cst.Name("training")),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )
    args = list(call.args)
    if args and isinstance(args[-1].comma, cst.Comma):
        # `F.dropout(\n    x,\n    p,\n)`: keep the trailing-comma layout.
        training = training.with_changes(comma=args[-1].comma)
        between = args[-2].comma if len(args) > 1 else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        args[-1] = args[-1].with_changes(comma=between)
    elif args:
        args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    new = call.with_changes(args=[*args, training])
    return Fix(UNSAFE, f"pass `training={me}.training`", {call: new})
