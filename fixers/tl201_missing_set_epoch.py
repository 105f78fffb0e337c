"""Fix for TL201: call `set_epoch(<epoch>)` on the sampler at the top of the epoch loop."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl201_missing_set_epoch import findings, set_epoch_statements

from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE


def fix(ctx, violation) -> Optional[Fix]:
    entry = findings(ctx).get(id(violation.node))
    if entry is None:
        return None
    loop = entry.loop
    body = loop.node.body
    if loop.var in (None, "_") or not isinstance(body, cst.IndentedBlock) or not body.body:
        return None  # no epoch variable to pass, or a one-line body
    statements = set_epoch_statements(ctx, entry, loop.var)
    if not statements:
        return None
    first = body.body[0]
    new = [cst.parse_statement(code) for code in statements]
    calls = " and ".join(f"`{code.strip().splitlines()[-1].strip()}`" for code in statements)
    return Fix(SAFE, f"call {calls} at the start of each epoch", {first: cst.FlattenSentinel([*new, first])})
