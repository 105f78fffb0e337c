"""Fix for TL401: load onto the CPU (`map_location="cpu"`)."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl401_unmapped_load_distributed import unmapped_load

from torchlint.rule import UNSAFE, Fix

APPLICABILITY = UNSAFE


def fix(ctx, violation) -> Optional[Fix]:
    call = violation.node
    if not isinstance(call, cst.Call) or not unmapped_load(ctx, call):
        return None
    new_value = cst.SimpleString('"cpu"')
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == "map_location":  # `map_location=None`
            args[index] = arg.with_changes(value=new_value)
            break
        if arg.keyword is None and index == 1:  # `torch.load(f, None)`
            args[index] = arg.with_changes(value=new_value)
            break
    else:
        last = args[-1]
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        if isinstance(last.comma, cst.Comma) and isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace):
            # one argument per line with a trailing comma: the new one goes on its own line
            indent = _argument_indent(call, len(args) - 1)
            comma = last.comma.with_changes(whitespace_after=last.comma.whitespace_after.with_changes(last_line=indent))
        args[-1] = last.with_changes(comma=comma, whitespace_after_arg=cst.SimpleWhitespace(""))
        args.append(
            cst.Arg(
                keyword=cst.Name("map_location"),
                value=new_value,
                equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                      whitespace_after=cst.SimpleWhitespace("")),
                comma=last.comma,  # a trailing comma (and the closing paren's indent) stays last
                whitespace_after_arg=last.whitespace_after_arg,
            )
        )
    description = (
        'load with `map_location="cpu"` (safe when the result only goes to `load_state_dict`, which copies '
        "onto the parameters' devices; unsafe where the loaded tensors are used directly)"
    )
    return Fix(UNSAFE, description, {call: call.with_changes(args=args)})


def _argument_indent(call: cst.Call, index: int) -> cst.SimpleWhitespace:
    """The indentation the `index`-th argument starts with, when it starts a line."""
    before = call.args[index - 1].comma.whitespace_after if index > 0 else call.whitespace_before_args
    if isinstance(before, cst.ParenthesizedWhitespace):
        return before.last_line
    return cst.SimpleWhitespace("")
