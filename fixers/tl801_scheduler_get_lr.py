"""Fix for TL801: `scheduler.get_lr()` -> `scheduler.get_last_lr()` (unsafe: logged values change, to the real ones)."""

from __future__ import annotations

from typing import Optional

import libcst as cst

from torchlint.context import FileContext
from torchlint.rule import UNSAFE, Fix

APPLICABILITY = UNSAFE


def fix(ctx: FileContext, violation) -> Optional[Fix]:
    attribute = violation.node.func
    if not isinstance(attribute, cst.Attribute):
        return None
    replacement = attribute.with_changes(attr=cst.Name("get_last_lr"))
    return Fix(UNSAFE, "call `get_last_lr()`, the learning rates the optimizer uses", {attribute: replacement})
