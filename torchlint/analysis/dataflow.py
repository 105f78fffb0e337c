"""Which assignments of a local name can reach a use of it.

Light, structured-code reaching definitions: within one function (or the module's
top level), the assignments to `name` that come before the use, latest first, until
one that runs unconditionally before the use (its block encloses the use) shadows
all earlier ones.  Assignments in branches (`if`, `for`, `try`...) do not shadow.
Loop back-edges are not followed: a use at the top of a loop does not see an
assignment at its bottom, which keeps rules quiet rather than noisy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

import libcst as cst

from torchlint.context import SCOPE_TYPES, FileContext

# Blocks that always run once reached.  Anything else between an assignment and the
# use's enclosing block (if/else, loops, try/except, match) makes it conditional.
_STRAIGHT_LINE = (cst.IndentedBlock, cst.SimpleStatementSuite, cst.With, cst.SimpleStatementLine,
                  cst.Module)  # fmt: skip


@dataclass(frozen=True)
class Assignment:
    target: cst.BaseExpression  # the Name (or `self.attr` Attribute) assigned
    value: Optional[cst.BaseExpression]  # None when the value is unknown (a parameter, a loop target...)
    statement: cst.CSTNode
    unconditional: bool = False  # set relative to a particular use


def _all_local_assignments(ctx: FileContext) -> Dict[int, Dict[str, List[Assignment]]]:
    """id(scope) -> name -> assignments made directly in that scope, in source order."""
    found: Dict[int, Dict[str, List[Assignment]]] = {}

    def add(target, value, statement):
        names = found.setdefault(id(ctx.scope_of(statement)), {})
        names.setdefault(target.value, []).append(Assignment(target, value, statement))

    for node in ctx.nodes(cst.Assign):
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                add(target.target, node.value, node)
            else:
                for name in _names_in(target.target):
                    add(name, None, node)
    for node in ctx.nodes(cst.AnnAssign):
        if isinstance(node.target, cst.Name) and node.value is not None:
            add(node.target, node.value, node)
    for node in ctx.nodes(cst.AugAssign):
        if isinstance(node.target, cst.Name):
            add(node.target, None, node)
    for node in ctx.nodes(cst.NamedExpr):
        if isinstance(node.target, cst.Name):
            add(node.target, node.value, node)
    for node_type in (cst.For, cst.CompFor):
        for node in ctx.nodes(node_type):
            for name in _names_in(node.target):
                add(name, None, node)
    for node in ctx.nodes(cst.WithItem):
        if node.asname is not None:
            for name in _names_in(node.asname.name):
                add(name, None, node)
    for names in found.values():
        for values in names.values():
            values.sort(key=lambda a: ctx.order(a.statement))
    return found


def _names_in(target: cst.BaseExpression) -> List[cst.Name]:
    if isinstance(target, cst.Name):
        return [target]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for element in target.elements for n in _names_in(element.value)]
    if isinstance(target, cst.StarredElement):
        return _names_in(target.value)
    return []


def local_assignments(ctx: FileContext, scope: cst.CSTNode) -> Dict[str, List[Assignment]]:
    """name -> assignments in `scope` itself (not in nested functions/classes), in source order."""
    per_scope = ctx.memo("local_assignments", lambda: _all_local_assignments(ctx))
    return per_scope.get(id(scope), {})


def runs_before_unconditionally(ctx: FileContext, statement: cst.CSTNode, use: cst.CSTNode) -> bool:
    """Does `statement` always run before `use` once `use` is reached (same straight-line path)?"""
    use_ancestors = {id(a) for a in ctx.ancestors(use)}
    for ancestor in ctx.ancestors(statement):
        if id(ancestor) in use_ancestors:
            return True
        if not isinstance(ancestor, _STRAIGHT_LINE):
            return False
    return False


def in_exclusive_branches(ctx: FileContext, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """Are the two nodes in different branches of one `if`/`elif`/`else` (never both run)?

    A node in the `if`'s test is in neither branch: the test runs before both."""
    second_ancestors = {id(a): a for a in ctx.ancestors(second)}
    child = first
    for ancestor in ctx.ancestors(first):
        if id(ancestor) in second_ancestors:
            if not isinstance(ancestor, cst.If):
                return False
            if child is ancestor.test or ctx.contains(ancestor.test, second):
                return False  # the test runs before either branch
            first_branch = "body" if child is ancestor.body else "orelse"
            second_branch = "body" if ctx.contains(ancestor.body, second) else "orelse"
            return first_branch != second_branch
        child = ancestor
    return False


def reaching_assignments(ctx: FileContext, use: cst.Name) -> List[Assignment]:
    """Assignments of `use`'s name that may reach it, latest first; [] if none are known.

    The last entry is unconditional when some assignment dominates the use; if none does,
    the name may also hold a value from outside (a parameter, a global) that we cannot see.
    """
    scope = ctx.scope_of(use)
    candidates = local_assignments(ctx, scope).get(use.value, [])
    use_order = ctx.order(use)
    reaching: List[Assignment] = []
    for assignment in reversed(candidates):
        statement = assignment.statement
        if ctx.order(statement) > use_order or ctx.contains(statement, use):
            continue  # later, or the use is inside its own right-hand side
        if in_exclusive_branches(ctx, statement, use):
            continue  # `if ...: x = a` never reaches a use in the `else:`
        if runs_before_unconditionally(ctx, statement, use):
            reaching.append(Assignment(assignment.target, assignment.value, statement, unconditional=True))
            break
        reaching.append(assignment)
    return reaching


def reaching_attribute_assignments(ctx: FileContext, use: cst.Attribute) -> List[Assignment]:
    """For `self.<attr>` inside a method: the method's own `self.<attr> = ...` that may reach `use`,
    latest first, the last one unconditional when one dominates the use; [] when the method assigns
    none before it (the value then comes from whatever ran before the method)."""
    function = ctx.enclosing(use, (cst.FunctionDef,))
    me = self_name(ctx, use)
    if function is None or me is None or not (isinstance(use.value, cst.Name) and use.value.value == me):
        return []
    use_order = ctx.order(use)
    reaching: List[Assignment] = []
    candidates = []
    for node in ctx.walk(function, cst.Assign):
        if ctx.inside_nested_scope(node, function) or ctx.order(node) > use_order or ctx.contains(node, use):
            continue
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and t.attr.value == use.attr.value and \
                    isinstance(t.value, cst.Name) and t.value.value == me:  # fmt: skip
                candidates.append(Assignment(t, node.value, node))
    for assignment in reversed(candidates):
        statement = assignment.statement
        if in_exclusive_branches(ctx, statement, use):
            continue
        if runs_before_unconditionally(ctx, statement, use):
            reaching.append(Assignment(assignment.target, assignment.value, statement, unconditional=True))
            break
        reaching.append(assignment)
    return reaching


def is_defined_locally_before(ctx: FileContext, use: cst.Name) -> bool:
    """True when the use's value certainly comes from an assignment we can see."""
    reaching = reaching_assignments(ctx, use)
    return bool(reaching) and reaching[-1].unconditional


def self_name(ctx: FileContext, node: cst.CSTNode) -> Optional[str]:
    """The name of `self` in the method around `node` (its first parameter), if in a class."""
    function = ctx.enclosing(node, (cst.FunctionDef,))
    if function is None or not isinstance(ctx.scope_of(function), cst.ClassDef):
        return None
    params = function.params.params or function.params.posonly_params
    return params[0].name.value if params else None


def attribute_assignments(ctx: FileContext, class_def: cst.ClassDef, attr: str) -> List[Assignment]:
    """Every `self.<attr> = value` in the methods of `class_def`, in source order."""
    result = []
    for node in ctx.walk(class_def, cst.Assign):
        if ctx.enclosing(node, (cst.ClassDef,)) is not class_def:
            continue
        for target in node.targets:
            t = target.target
            if (isinstance(t, cst.Attribute) and t.attr.value == attr and isinstance(t.value, cst.Name)
                    and t.value.value == self_name(ctx, node)):  # fmt: skip
                result.append(Assignment(t, node.value, node))
    return result


__all__ = [
    "Assignment", "SCOPE_TYPES", "attribute_assignments", "is_defined_locally_before",
    "local_assignments", "reaching_assignments", "reaching_attribute_assignments", "runs_before_unconditionally",
    "self_name",
]  # fmt: skip
