"""Fix for TL802: `Variable(t)` -> `t`; `Variable(t, requires_grad=True)` -> `t.detach().requires_grad_()`.

The fixes of one file work as a group so that the `Variable` import can go in the same run:
the last fixable call (of the least safe kind present) carries every call's rewrite plus the
import's removal, so the import goes only in a run that also removes its last use.  The
import helpers here are shared by the other deprecated-API fixers (TL803, TL804).
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set

import libcst as cst
from torchlint.rules.tl802_autograd_variable import VARIABLE, VariableCall, applicability, variable_calls

from torchlint.context import FileContext
from torchlint.rule import SAFE, UNSAFE, Fix

APPLICABILITY = "sometimes"

_ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Integer, cst.Float, cst.SimpleString,
          cst.List, cst.Tuple, cst.Dict, cst.Set)  # fmt: skip


def fix(ctx: FileContext, violation) -> Optional[Fix]:
    found = next((f for f in variable_calls(ctx) if f.call is violation.node), None)
    if found is None:
        return None
    kind = applicability(found)
    if kind is None or "#" in ctx.code(found.call):
        return None
    description = f"replace `{ctx.code(found.call.func)}(...)` with `{ctx.code(rewrite(found))}`"
    edits: Dict[cst.CSTNode, object] = {}
    _add_rewrite(ctx, edits, found)
    fixable = [f for f in variable_calls(ctx) if applicability(f) and "#" not in ctx.code(f.call)]
    carrier_kind = UNSAFE if any(applicability(f) == UNSAFE for f in fixable) else SAFE
    carrier = [f for f in fixable if applicability(f) == carrier_kind][-1]
    nested = any(a is not b and ctx.contains(a.call, b.call) for a in fixable for b in fixable)
    if found is carrier and not nested:  # nested calls: the inner ones go first, the import in a later round
        for other in fixable:
            _add_rewrite(ctx, edits, other)
        going = {id(f.call.func) for f in fixable}
        edits.update(drop_unused_imports(ctx, _variable_names(ctx), going))
    tidy_removed_lines(ctx, edits)
    return Fix(kind, description, edits)


def _add_rewrite(ctx: FileContext, edits: Dict[cst.CSTNode, object], found: VariableCall) -> None:
    """`found`'s rewrite; `x = Variable(x)` would become `x = x`: the statement goes instead."""
    line = _self_assignment(ctx, found)
    if line is not None:
        edits[line] = cst.RemovalSentinel.REMOVE
    else:
        edits[found.call] = rewrite(found)


def _self_assignment(ctx: FileContext, found: VariableCall) -> Optional[cst.SimpleStatementLine]:
    """The line of `name = Variable(name)` when it is that statement alone (plain, one target)."""
    new = rewrite(found)
    assign = ctx.parent(found.call)
    if not isinstance(new, cst.Name) or not isinstance(assign, cst.Assign) or assign.value is not found.call:
        return None
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return None
    if assign.targets[0].target.value != new.value or new.lpar:
        return None
    line = ctx.parent(assign)
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    return line


def rewrite(found: VariableCall) -> cst.BaseExpression:
    data = found.data.with_changes(lpar=[], rpar=[]) if isinstance(found.data, _ATOMS) else found.data
    if found.requires_grad is None:
        return parenthesized(data)
    receiver = parenthesized(data)
    if not found.grad_free:
        receiver = cst.Call(cst.Attribute(receiver, cst.Name("detach")))
    flag = found.requires_grad
    args = [] if isinstance(flag, cst.Name) and flag.value == "True" else [cst.Arg(flag)]
    return cst.Call(cst.Attribute(receiver, cst.Name("requires_grad_")), args)


def parenthesized(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`expr`, in parentheses unless it is an atom (so `.method()` or an operator binds to all of it)."""
    if isinstance(expr, _ATOMS) or expr.lpar:
        return expr
    return expr.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _variable_names(ctx: FileContext) -> Set[str]:
    """Local names that `from ... import Variable` binds to torch's Variable."""
    return {name for name in ctx.import_bindings() if name != "*" and ctx.is_name(cst.Name(name), *VARIABLE)}


# -- imports, shared with TL803/TL804 ------------------------------------------------------------
def references(ctx: FileContext, name: str) -> List[cst.Name]:
    """Every use of the local `name` as a value (not its import, an attribute's name or a keyword)."""
    found = []
    for node in ctx.nodes(cst.Name):
        if node.value != name:
            continue
        parent = ctx.parent(node)
        if isinstance(parent, (cst.ImportAlias, cst.AsName)):
            continue
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            continue
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            continue
        found.append(node)
    return found


def drop_unused_imports(ctx: FileContext, names: Iterable[str], going: Set[int]) -> Dict[cst.CSTNode, object]:
    """Edits that remove `from m import <name>` for each name whose every reference is in `going` (ids).

    Returns no edit for a statement it cannot remove cleanly (the only statement of a block, or
    one with a comment): an unused import is harmless, a missing one is not.
    """
    unused = {name for name in names if all(id(ref) in going for ref in references(ctx, name))}
    edits: Dict[cst.CSTNode, object] = {}
    for statement in ctx.nodes(cst.ImportFrom):
        if isinstance(statement.names, cst.ImportStar):
            continue
        kept = [alias for alias in statement.names if _bound_name(alias) not in unused]
        if len(kept) == len(statement.names):
            continue
        if kept:
            kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            if statement.rpar is None and any("#" in ctx.code(alias) for alias in statement.names):
                continue
            edits[statement] = statement.with_changes(names=kept)
            continue
        removal = _statement_removal(ctx, statement)
        if removal is not None:
            edits[removal[0]] = removal[1]
    return edits


def _bound_name(alias: cst.ImportAlias) -> Optional[str]:
    node = alias.asname.name if alias.asname else alias.name
    return node.value if isinstance(node, cst.Name) else None


def _statement_removal(ctx: FileContext, statement: cst.ImportFrom):
    line = ctx.parent(statement)
    if not isinstance(line, cst.SimpleStatementLine):
        return None
    if len(line.body) > 1:
        return statement, cst.RemovalSentinel.REMOVE
    block = ctx.parent(line)
    siblings = block.body if isinstance(block, (cst.Module, cst.IndentedBlock)) else ()
    if len(siblings) < 2 or any(empty.comment is not None for empty in line.leading_lines):
        return None
    if line.trailing_whitespace.comment is not None:
        return None
    return line, cst.RemovalSentinel.REMOVE


def add_import(ctx: FileContext, edits: Dict[cst.CSTNode, object], statement: str) -> bool:
    """Add `statement` (`import torch`) after the module's last top-level import, merging with `edits`.

    False when there is no top-level import to put it after (the fix should then not be offered).
    """
    anchor = None
    for line in ctx.module.body:
        if isinstance(line, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom)) for s in line.body
        ):
            anchor = line
    if anchor is None:
        return False
    new = cst.parse_statement(statement + "\n")
    current = edits.get(anchor, anchor)
    if current is cst.RemovalSentinel.REMOVE:  # the anchor itself goes: the new import takes its place
        edits[anchor] = new.with_changes(leading_lines=anchor.leading_lines)  # and the blank lines above it
        return True
    if isinstance(current, cst.FlattenSentinel):  # another import added here already
        edits[anchor] = cst.FlattenSentinel([*current.nodes, new])
        return True
    body = []
    for small in anchor.body:  # fold edits of the line's own statements in: `anchor` is replaced whole
        replaced = edits.pop(small, small)
        if replaced is not cst.RemovalSentinel.REMOVE:
            body.append(replaced)
    if body:
        body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        edits[anchor] = cst.FlattenSentinel([anchor.with_changes(body=body), new])
    else:
        edits[anchor] = new
    return True


def is_module_binding(ctx: FileContext, name: str) -> bool:
    """Is `name` bound by a top-level import (so it is visible in every function)?"""
    return any(ctx.scope_of(node) is ctx.module for node in ctx.import_bindings().get(name, ()))


class _ApplyEdits(cst.CSTTransformer):
    def __init__(self, edits) -> None:
        super().__init__()
        self.edits = edits

    def on_leave(self, original_node, updated_node):
        return self.edits.get(original_node, updated_node)


def tidy_removed_lines(ctx: FileContext, edits: Dict[cst.CSTNode, object]) -> None:
    """Removed statements give their lines above (blank or comment) to the next kept statement.

    libcst drops a removed statement's leading lines with it, which would merge the import
    groups around a removed import.  A block does not start with the blank lines that are left
    (`if fp16:` / `from torch.cuda import amp` / blank / `scaler = ...`).  A removed line's trailing
    comment becomes a comment line above the next statement; with no next statement, a removed
    line carrying comments becomes `pass`, and so does the first one of a block left empty.
    The next statement's own edits are folded into it.
    """
    blocks = {}
    for line, replacement in edits.items():
        if replacement is cst.RemovalSentinel.REMOVE and isinstance(line, cst.SimpleStatementLine):
            block = ctx.parent(line)
            if isinstance(block, (cst.Module, cst.IndentedBlock)):
                blocks[id(block)] = block
    for block in blocks.values():
        body = list(block.body)
        if all(edits.get(line) is cst.RemovalSentinel.REMOVE for line in body):
            edits[body[0]] = _as_pass(body[0])
        pending: List[cst.EmptyLine] = []
        run: List[cst.SimpleStatementLine] = []
        for line in body:
            if edits.get(line) is cst.RemovalSentinel.REMOVE and isinstance(line, cst.SimpleStatementLine):
                pending.extend(_owned_lines(line))
                run.append(line)
                continue
            if run:
                at_start = body.index(run[0]) == 0
                _give_lines(ctx, edits, line, pending, at_start)
            pending, run = [], []
        for line in run:  # removed lines at the block's end: nothing to give their comments to
            if any(empty.comment is not None for empty in _owned_lines(line)):
                edits[line] = _as_pass(line)


def _owned_lines(line: cst.SimpleStatementLine) -> List[cst.EmptyLine]:
    lines = list(line.leading_lines)
    comment = line.trailing_whitespace.comment
    if comment is not None:
        lines.append(cst.EmptyLine(indent=True, whitespace=cst.SimpleWhitespace(""), comment=comment))
    return lines


def _as_pass(line: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
    return line.with_changes(body=[cst.Pass()])


def _give_lines(ctx: FileContext, edits, following, pending: List[cst.EmptyLine], at_start: bool) -> None:
    current = edits.get(following, following)
    if not isinstance(current, cst.BaseStatement) or not hasattr(current, "leading_lines"):
        return  # replaced by several statements or removed otherwise: leave it be
    lines = [*pending, *current.leading_lines]
    if not pending and not at_start:
        return
    while at_start and lines and lines[0].comment is None:  # a block does not start with a blank line
        lines.pop(0)
    if current is following:
        inner = {node: edits.pop(node) for node in list(edits) if node is not following
                 and ctx.contains(following, node)}  # fmt: skip
        current = following.visit(_ApplyEdits(inner)) if inner else following
    edits[following] = current.with_changes(leading_lines=lines)
