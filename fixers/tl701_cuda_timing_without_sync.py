"""Fix for TL701: `torch.cuda.synchronize()` before the clock reads."""

from __future__ import annotations

from typing import Optional

import libcst as cst
from torchlint.rules.tl701_cuda_timing_without_sync import timings

from torchlint.analysis.devices import CERTAIN
from torchlint.rule import SAFE, Fix

# A plain synchronize where CUDA is certainly in use, a guarded one elsewhere: neither changes results.
APPLICABILITY = SAFE

_PLAIN = "torch.cuda.synchronize()\n"
_GUARDED = "if torch.cuda.is_available():\n    torch.cuda.synchronize()\n"


def _line_of(ctx, node) -> Optional[cst.CSTNode]:
    """The statement line holding `node`, when it sits directly in a block (so a line can go before it)."""
    for ancestor in ctx.ancestors(node):
        if isinstance(ancestor, cst.SimpleStatementLine):
            parent = ctx.parent(ancestor)
            return ancestor if isinstance(parent, (cst.IndentedBlock, cst.Module)) else None
        if isinstance(ancestor, cst.BaseCompoundStatement):
            return None
    return None


def _already_synced(ctx, line) -> bool:
    parent = ctx.parent(line)
    body = list(parent.body)
    index = body.index(line) if line in body else 0
    return index > 0 and "synchronize" in ctx.code(body[index - 1])


def fix(ctx, violation) -> Optional[Fix]:
    timing = timings(ctx).get(id(violation.node))
    if timing is None or ctx.qualified_name(cst.Name("torch")) != "torch":
        return None
    code = _PLAIN if timing.certainty == CERTAIN else _GUARDED
    config = ctx.module.config_for_parsing
    edits = {}
    lines = [_line_of(ctx, timing.end)]
    if timing.sync_before_start:
        lines.append(_line_of(ctx, timing.start))
    for line in lines:
        if line is None:
            return None
        if _already_synced(ctx, line) or line in edits:
            continue
        sync = cst.parse_statement(code, config=config)
        moved = line
        if line.leading_lines:
            sync = sync.with_changes(leading_lines=line.leading_lines)
            moved = line.with_changes(leading_lines=())
        edits[line] = cst.FlattenSentinel([sync, moved])
    if not edits:
        return None
    where = "plain" if timing.certainty == CERTAIN else "guarded"
    return Fix(SAFE, f"insert a {where} `torch.cuda.synchronize()` before the clock reads", edits)
