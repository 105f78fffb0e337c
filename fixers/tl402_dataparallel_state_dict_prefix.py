"""Fix for TL402: save the wrapped model's state_dict (unwrapping conditionally where needed)."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl402_dataparallel_state_dict_prefix import wrapped_state_dict

from torchlint.analysis.objects import ALWAYS, wrapper_class_spellings
from torchlint.rule import UNSAFE, Fix

APPLICABILITY = UNSAFE


def fix(ctx, violation) -> Optional[Fix]:
    found = wrapped_state_dict(ctx, violation.node)
    if found is None:
        return None
    wrapper = found.wrapper
    name = ctx.code(wrapper)
    if found.evidence.how_often == ALWAYS:
        unwrapped = cst.Attribute(value=wrapper, attr=cst.Name("module"))
        return Fix(UNSAFE, f"save `{name}.module.state_dict()`", {wrapper: unwrapped})
    classes = wrapper_class_spellings(ctx, found.evidence.values, wrapper)
    if not classes:
        return None
    test = classes[0] if len(classes) == 1 else f"({', '.join(classes)})"
    unwrapped = cst.parse_expression(f"({name}.module if isinstance({name}, {test}) else {name})")
    return Fix(UNSAFE, f"save the state_dict of `{name}.module` when it is a wrapper", {wrapper: unwrapped})
