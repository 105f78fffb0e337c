"""Fix for TL405: save `.clone()` of the view."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl405_save_tensor_view import view_at

from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE


def fix(ctx, violation) -> Optional[Fix]:
    view = violation.node
    if view_at(ctx, view) is None:
        return None
    cloned = cst.Call(func=cst.Attribute(value=view.with_changes(lpar=[], rpar=[]), attr=cst.Name("clone")))
    if view.lpar:
        cloned = cloned.with_changes(lpar=view.lpar, rpar=view.rpar)
    return Fix(SAFE, f"save `{ctx.code(view).strip()}.clone()`", {view: cloned})
