"""Fix for TL202: drop `shuffle=True` (or shuffle only when there is no sampler)."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl202_shuffle_with_sampler import ALWAYS, shuffle_conflict

from torchlint.analysis.facts import access_path
from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE


def fix(ctx, violation) -> Optional[Fix]:
    shuffle = violation.node
    call = ctx.parent(shuffle)
    conflict = shuffle_conflict(ctx, call) if isinstance(call, cst.Call) else None
    if conflict is None or conflict.shuffle is not shuffle:
        return None
    if conflict.how_often != ALWAYS:
        option = conflict.option_arg.value
        if access_path(ctx, option) is None:
            return None  # evaluating it twice could have effects
        test = cst.parse_expression(f"({ctx.code(option)} is None)")
        return Fix(SAFE, f"shuffle only when `{ctx.code(option)}` is None", {shuffle.value: test})
    if shuffle.keyword is None:  # positional: keep the positions of the arguments after it
        return Fix(SAFE, "pass `shuffle=False`", {shuffle.value: cst.Name("False")})
    args = list(call.args)
    index = next(i for i, arg in enumerate(args) if arg is shuffle)
    del args[index]
    if index == len(args) and args:  # removed the last one: the new last takes its comma
        args[-1] = args[-1].with_changes(comma=_merged_comma(args[-1].comma, shuffle.comma))
    return Fix(SAFE, "remove `shuffle=True`", {call: call.with_changes(args=args)})


def _merged_comma(kept, removed):
    """The removed last argument's comma (trailing comma, closing-paren indent), minus its comment."""
    if not isinstance(removed, cst.Comma):
        return removed  # no trailing comma: `f(a, b=1, shuffle=True)` -> `f(a, b=1)`
    after = removed.whitespace_after
    if (isinstance(kept, cst.Comma) and isinstance(after, cst.ParenthesizedWhitespace)
            and isinstance(kept.whitespace_after, cst.ParenthesizedWhitespace)):  # fmt: skip
        after = after.with_changes(first_line=kept.whitespace_after.first_line)  # keep the kept line's comment
    return removed.with_changes(whitespace_after=after)
