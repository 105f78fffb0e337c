"""Fix for TL502: move the default into `os.getenv(NAME, default)`."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl502_local_rank_parse import bad_base

from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE


def fix(ctx, violation) -> Optional[Fix]:
    call = ctx.parent(violation.node)
    found = bad_base(ctx, call) if isinstance(call, cst.Call) else None
    if found is None or found.env_read is None:
        return None
    read = found.env_read
    name_arg = read.args[0].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    default = cst.Arg(value=found.base.value)
    new_read = read.with_changes(args=[name_arg, default])
    first = call.args[0].with_changes(value=new_read, comma=cst.MaybeSentinel.DEFAULT)
    return Fix(SAFE, f"move `{ctx.code(found.base.value)}` into `{ctx.code(read.func)}(...)` as its default",
               {call: call.with_changes(args=[first])})
