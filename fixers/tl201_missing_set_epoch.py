"""Fix for TL201: call `set_epoch(<epoch>)` on the sampler at the top of the epoch loop."""

from __future__ import annotations

from typing import List, Optional

import libcst as cst
from torchlint.rules.tl201_missing_set_epoch import findings

from torchlint.analysis.dataflow import local_assignments, self_name
from torchlint.analysis.facts import access_path
from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE


def fix(ctx, violation) -> Optional[Fix]:
    entry = findings(ctx).get(id(violation.node))
    if entry is None:
        return None
    loop = entry.loop
    body = loop.node.body
    if loop.var in (None, "_") or not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    statements: List[str] = []
    for loader_call in {id(i.source.loader_call): i.source.loader_call for i in entry.loaders}.values():
        routes = [i for i in entry.loaders if i.source.loader_call is loader_call]
        code = next((c for c in (_statement(ctx, loop, i) for i in routes) if c is not None), None)
        if code is None:
            return None  # one loader we cannot reach: a partial fix would hide the rest
        if code not in statements:
            statements.append(code)
    first = body.body[0]
    new = [cst.parse_statement(code) for code in statements]
    calls = ", ".join(f"`{code.splitlines()[-1].strip()}`" for code in statements)
    return Fix(SAFE, f"call {calls} at the start of each epoch", {first: cst.FlattenSentinel([*new, first])})


def _statement(ctx, loop, item) -> Optional[str]:
    source = item.source
    if not source.only_distributed:
        return None  # sometimes another sampler type, without set_epoch
    var = loop.var
    sampler = _visible(ctx, loop.node, source.sampler_expr)
    if sampler is not None:
        call = f"{sampler}.set_epoch({var})"
        return f"if {sampler} is not None:\n    {call}\n" if source.maybe_none else call + "\n"
    if source.maybe_none or item.handle is None:
        return None
    loader = _visible(ctx, loop.node, item.handle)
    if loader is None or (item.handle_attr and "." in loader):
        return None
    if item.handle_attr:
        loader = f"{loader}.{item.handle_attr}"
    chain = "batch_sampler.sampler" if source.via_batch_sampler else "sampler"
    return f"{loader}.{chain}.set_epoch({var})\n"


def _visible(ctx, loop: cst.CSTNode, expr: cst.BaseExpression) -> Optional[str]:
    """How the loop's scope spells `expr` when it is bound before the loop and not rebound in it."""
    path = access_path(ctx, expr)
    if path is None:
        return None
    root, attrs = path
    loop_self = self_name(ctx, loop)
    if attrs:
        # `self.sampler`: any method of the same class reaches it through its own `self`.
        if "." in attrs or root != self_name(ctx, expr) or loop_self is None:
            return None
        if ctx.enclosing(loop, (cst.ClassDef,)) is not ctx.enclosing(expr, (cst.ClassDef,)):
            return None
        return f"{loop_self}.{attrs}"
    if ctx.scope_of(expr) is not ctx.scope_of(loop):
        return None
    assigned = local_assignments(ctx, ctx.scope_of(loop)).get(root, [])
    for assignment in assigned:
        if ctx.contains(loop, assignment.statement) or ctx.order(assignment.statement) > ctx.order(loop):
            return None
    return root
