"""Fix for TL501: compile `m.module` (or, where `m` is a wrapper only sometimes, unwrap conditionally)."""

from __future__ import annotations

from typing import List, Optional

import libcst as cst
from torchlint.rules.tl501_script_dataparallel import ALWAYS, wrapper_evidence

from torchlint.rule import SAFE, SOMETIMES, UNSAFE, Fix

APPLICABILITY = SOMETIMES


def fix(ctx, violation) -> Optional[Fix]:
    target = violation.node
    evidence = wrapper_evidence(ctx, target)
    if evidence is None:
        return None
    unwrapped = cst.Attribute(value=target, attr=cst.Name("module"))
    if evidence.how_often == ALWAYS:
        return Fix(SAFE, f"compile `{ctx.code(target)}.module`", {target: unwrapped})
    classes = _visible_wrapper_spellings(ctx, evidence.wrapper_calls, target)
    if not classes:
        return None  # the wrapper classes are not importable here under a name we know
    test = classes[0] if len(classes) == 1 else f"({', '.join(classes)})"
    code = f"{ctx.code(target)}.module if isinstance({ctx.code(target)}, {test}) else {ctx.code(target)}"
    return Fix(
        UNSAFE,
        f"compile `{ctx.code(target)}.module` when it is a data-parallel wrapper",
        {target: cst.parse_expression(code)},
    )


def _visible_wrapper_spellings(ctx, wrapper_calls, at) -> List[str]:
    """How the wrapper classes are spelled at the wrap sites, if those names are visible at `at`."""
    spellings: List[str] = []
    for call in wrapper_calls:
        spelled = ctx.code(call.func)
        root = spelled.split(".", 1)[0]
        if not _imported_where_visible(ctx, root, at):
            return []
        if spelled not in spellings:
            spellings.append(spelled)
    return spellings


def _imported_where_visible(ctx, name: str, at) -> bool:
    """Is `name` bound by an import at module level or in the scope around `at`?"""
    scopes = {id(ctx.module), id(ctx.scope_of(at))}
    return any(id(ctx.scope_of(node)) in scopes for node in ctx.import_bindings().get(name, ()))
