"""Fix for TL501: compile `m.module` (or, where `m` is a wrapper only sometimes, unwrap conditionally)."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from torchlint.analysis.objects import ALWAYS, is_wrapper_call, wrapper_class_spellings
from torchlint.rule import SAFE, SOMETIMES, UNSAFE, Fix

APPLICABILITY = SOMETIMES


def fix(ctx, violation) -> Optional[Fix]:
    from torchlint.rules.tl501_script_dataparallel import wrapper_evidence

    target = violation.node
    evidence = wrapper_evidence(ctx, target)  # the rule's own evidence (a wrapper may come from another file)
    if evidence is None:
        return None
    unwrapped = cst.Attribute(value=target, attr=cst.Name("module"))
    if evidence.how_often == ALWAYS:
        return Fix(SAFE, f"compile `{ctx.code(target)}.module`", {target: unwrapped})
    if not all(is_wrapper_call(ctx, value) for value in evidence.values):
        return None  # some paths hold another file's wrapper: its class is not spelled here
    classes = wrapper_class_spellings(ctx, evidence.values, target)
    if not classes:
        return None  # the wrapper classes are not importable here under a name we know
    test = classes[0] if len(classes) == 1 else f"({', '.join(classes)})"
    code = f"{ctx.code(target)}.module if isinstance({ctx.code(target)}, {test}) else {ctx.code(target)}"
    return Fix(
        UNSAFE,
        f"compile `{ctx.code(target)}.module` when it is a data-parallel wrapper",
        {target: cst.parse_expression(code)},
    )
