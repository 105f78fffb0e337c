"""Fix for TL503: accept `--local-rank` beside `--local_rank`."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl503_deprecated_launch_local_rank import HYPHEN, underscore_only_option

from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE


def fix(ctx, violation) -> Optional[Fix]:
    option = violation.node
    call = ctx.parent(option)
    if not isinstance(option, cst.Arg) or not isinstance(call, cst.Call) or underscore_only_option(call) is not option:
        return None
    quote = option.value.quote
    prefix = option.value.prefix.replace("f", "").replace("F", "")
    alias = cst.Arg(value=cst.SimpleString(f"{prefix}{quote}{HYPHEN}{quote}"), comma=option.comma)
    kept = option.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args = []
    for arg in call.args:
        args.extend((kept, alias) if arg is option else (arg,))
    return Fix(SAFE, f"accept `{HYPHEN}` too", {call: call.with_changes(args=args)})
