"""Fix for TL204: accumulate `loss.item()` (or `loss.detach()`) instead of the loss tensor."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl204_loss_accumulated_with_graph import accumulations

from torchlint.rule import UNSAFE, Fix

APPLICABILITY = UNSAFE


def fix(ctx, violation) -> Optional[Fix]:
    found = accumulations(ctx).get(id(violation.node))
    if found is None:
        return None
    method = "detach" if found.append or not found.item else "item"
    edits = {}
    for value in found.values:
        receiver = value
        if not isinstance(value, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
            receiver = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        edits[value] = cst.Call(func=cst.Attribute(value=receiver, attr=cst.Name(method)))
    return Fix(UNSAFE, f"accumulate `.{method}()` of the loss", edits)
