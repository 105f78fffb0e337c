"""Fix for TL301: `.view(` -> `.reshape(` (same view whenever `view` would have worked)."""

from __future__ import annotations

from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE


def fix(ctx, violation) -> Fix:
    name = violation.node  # the `view` in `x.view(...)`
    return Fix(SAFE, "replace `.view(` with `.reshape(`", {name: name.with_changes(value="reshape")})
