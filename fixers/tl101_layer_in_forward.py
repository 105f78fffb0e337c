"""Fix for TL101: build the layer once at the end of `__init__` and use `self.<name>` in forward.

Unsafe: the model gains parameters and `state_dict()` keys.  Offered only when the move
cannot change what the constructor receives (see `_available_in_init`) and the construction
runs exactly once per call of its method (no loop, branch or closure around it).
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Set

import libcst as cst

from torchlint.analysis.dataflow import attribute_assignments, local_assignments, self_name
from torchlint.analysis.modules import forward_only_function_around, methods, project_base_classes
from torchlint.context import FileContext
from torchlint.rule import UNSAFE, Fix

APPLICABILITY = UNSAFE

# Ancestors between the construction and its method that make moving it unsafe.
_NOT_STRAIGHT_LINE = (
    cst.If, cst.For, cst.While, cst.Try, cst.TryStar, cst.Match, cst.IfExp, cst.BooleanOperation,
    cst.Lambda, cst.FunctionDef, cst.ClassDef, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp,
)  # fmt: skip
_LITERALS = (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString)
_PURE_BUILTINS = {"int", "float", "max", "min", "round", "abs", "len", "tuple", "list", "bool", "str"}
# Attributes every nn.Module / LightningModule already has: never a name for the new layer.
_RESERVED = {
    "training", "forward", "train", "eval", "parameters", "buffers", "children", "modules", "state_dict",
    "load_state_dict", "to", "cuda", "cpu", "type", "float", "double", "half", "bfloat16", "apply",
    "zero_grad", "requires_grad_", "register_buffer", "register_parameter", "add_module", "named_modules",
    "named_parameters", "named_buffers", "named_children", "extra_repr", "device", "dtype", "trainer",
    "logger", "log", "log_dict", "hparams", "optimizers", "lr_schedulers", "global_step", "current_epoch",
    "precision", "example_input_array", "fabric", "automatic_optimization", "dump_patches", "call_super_init",
}  # fmt: skip


def fix(ctx: FileContext, violation) -> Optional[Fix]:
    call = violation.node
    where = forward_only_function_around(ctx, call)
    if where is None:
        return None
    class_def, method = where
    init = methods(class_def).get("__init__")
    if init is None or not isinstance(init.body, cst.IndentedBlock) or not _straight_line(ctx, call, method):
        return None
    if any(True for _ in ctx.walk(init, cst.Return)):
        return None  # an early return could skip the new last statement
    if not _calls_base_init(ctx, init):
        return None  # assigning a submodule before Module.__init__() raises
    forward_self = self_name(ctx, call)
    init_self = self_name(ctx, init.body.body[0]) if init.body.body else None
    if forward_self is None or forward_self != init_self:
        return None
    checker = _Availability(ctx, class_def, init, method, forward_self)
    if not all(arg.star == "" and checker.available(arg.value) for arg in call.args):
        return None
    if not checker.available(call.func):
        return None

    edits: Dict[cst.CSTNode, object] = {}
    binding = _local_binding(ctx, call, method)
    taken = _taken_names(ctx, class_def)
    moved_comments: List[cst.EmptyLine] = []
    trailing = cst.TrailingWhitespace()
    if binding is not None:
        line, uses = binding
        name = _unique(line.body[0].targets[0].target.value, taken)
        edits[line] = cst.RemovalSentinel.REMOVE
        moved_comments = [e for e in line.leading_lines if e.comment is not None]
        trailing = line.trailing_whitespace
        for use in uses:
            edits[use] = _self_attribute(forward_self, name)
    else:
        name = _unique(_derived_name(call.func), taken)
        edits[call] = _self_attribute(forward_self, name)

    last = init.body.body[-1]
    new_statement = cst.SimpleStatementLine(
        body=[cst.Assign(targets=[cst.AssignTarget(_self_attribute(init_self, name))], value=call)],
        leading_lines=moved_comments,
        trailing_whitespace=trailing,
    )
    edits[last] = cst.FlattenSentinel([last, new_statement])
    return Fix(
        UNSAFE,
        f"build `{ctx.code(call.func)}(...)` once in `__init__` as `self.{name}`",
        edits,
    )


def _calls_base_init(ctx: FileContext, init: cst.FunctionDef) -> bool:
    """`super().__init__(...)`, `super(Net, self).__init__(...)` or `Base.__init__(self, ...)`."""
    for call in ctx.walk(init, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "__init__":
            receiver = func.value
            if isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Name):
                if receiver.func.value == "super":
                    return True
            if isinstance(receiver, (cst.Name, cst.Attribute)) and call.args:
                return True
    return False


def _self_attribute(self_name_: str, attr: str) -> cst.Attribute:
    return cst.Attribute(value=cst.Name(self_name_), attr=cst.Name(attr))


def _straight_line(ctx: FileContext, call: cst.Call, method: cst.FunctionDef) -> bool:
    return ctx.contains(method, call) and ctx.enclosing(call, _NOT_STRAIGHT_LINE, stop=method) is None


# -- the name ------------------------------------------------------------------------------------
def _derived_name(func: cst.BaseExpression) -> str:
    spelled = func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "layer")
    name = re.sub(r"\W", "_", spelled).lower().strip("_") or "layer"
    return name if name.isidentifier() else "layer"


def _taken_names(ctx: FileContext, class_def: cst.ClassDef) -> Set[str]:
    taken = set(_RESERVED)
    for klass in [class_def, *project_base_classes(ctx, class_def)]:
        taken.update(methods(klass))
        for attribute in ctx.walk(klass, cst.Attribute):
            if isinstance(attribute.value, cst.Name) and attribute.value.value == self_name(ctx, attribute):
                taken.add(attribute.attr.value)
        for name in local_assignments(ctx, klass):
            taken.add(name)
    return taken


def _unique(name: str, taken: Set[str]) -> str:
    if name not in taken:
        return name
    suffix = 2
    while f"{name}_{suffix}" in taken:
        suffix += 1
    return f"{name}_{suffix}"


# -- `conv = nn.Conv2d(...)` then `conv(x)` --------------------------------------------------------
def _local_binding(ctx: FileContext, call: cst.Call, method: cst.FunctionDef):
    """(statement line, uses) when the construction is bound to a local used only as that layer."""
    assign = ctx.parent(call)
    if not (isinstance(assign, cst.Assign) and assign.value is call and len(assign.targets) == 1):
        return None
    target = assign.targets[0].target
    line = ctx.parent(assign)
    if not isinstance(target, cst.Name) or not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    block = ctx.parent(line)
    if not isinstance(block, cst.IndentedBlock) or len(block.body) < 2:
        return None  # removing the line would leave an empty block
    name = target.value
    if len(local_assignments(ctx, method).get(name, [])) != 1:
        return None
    uses = []
    for node in ctx.walk(method, cst.Name):
        if node.value != name or node is target or not _is_load(ctx, node):
            continue
        if ctx.order(node) < ctx.order(assign) or ctx.scope_of(node) is not method:
            return None  # used before it is bound, or inside a closure / comprehension
        uses.append(node)
    for node_type in (cst.Global, cst.Nonlocal, cst.Del):
        if any(True for _ in ctx.walk(method, node_type)):
            return None
    return line, uses


def _is_load(ctx: FileContext, node: cst.Name) -> bool:
    parent = ctx.parent(node)
    if isinstance(parent, cst.Attribute) and parent.attr is node:
        return False
    if isinstance(parent, cst.Arg) and parent.keyword is node:
        return False
    if isinstance(parent, (cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias, cst.AsName)):
        return False
    return True


# -- can the constructor's arguments be evaluated at the end of __init__? -------------------------
class _Availability:
    def __init__(self, ctx: FileContext, class_def, init, method, self_name_: str) -> None:
        self.ctx = ctx
        self.class_def = class_def
        self.self_name = self_name_
        self.init_params = {p.name.value for p in _all_params(init)}
        self.init_locals = set(local_assignments(ctx, init))
        self.method_names = {p.name.value for p in _all_params(method)} | set(local_assignments(ctx, method))
        self.init = init
        self.module_names = set(local_assignments(ctx, ctx.module))
        for node_type in (cst.FunctionDef, cst.ClassDef):
            self.module_names.update(n.name.value for n in ctx.nodes(node_type) if ctx.scope_of(n) is ctx.module)
        self.module_names.update(_module_level_imports(ctx))

    def available(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, _LITERALS):
            return True
        if isinstance(node, cst.Name):
            return self._name_available(node.value)
        if isinstance(node, cst.UnaryOperation):
            return self.available(node.expression)
        if isinstance(node, cst.BinaryOperation):
            return self.available(node.left) and self.available(node.right)
        if isinstance(node, (cst.Tuple, cst.List)):
            return all(not isinstance(e, cst.StarredElement) and self.available(e.value) for e in node.elements)
        if isinstance(node, cst.Attribute):
            return self._attribute_available(node)
        if isinstance(node, cst.Subscript):
            return self.available(node.value) and all(
                isinstance(s.slice, cst.Index) and self.available(s.slice.value) for s in node.slice
            )
        if isinstance(node, cst.Call):
            func = node.func
            pure = isinstance(func, cst.Name) and func.value in _PURE_BUILTINS and not self._shadowed(func.value)
            if not (pure or self.ctx.qualified_name(func) is not None):
                return False  # only builtins and imported callables (nn.ReLU(), torch.float32...)
            return all(not arg.star and self.available(arg.value) for arg in node.args)
        return False

    def _shadowed(self, name: str) -> bool:
        return name in self.method_names or name in self.init_locals or name in self.module_names

    def _name_available(self, name: str) -> bool:
        if name in ("True", "False", "None"):
            return True
        if name in self.method_names:
            return False  # forward's own local or parameter: not there in __init__
        if name in self.init_params:
            return name not in self.init_locals  # rebound in __init__: the value may differ
        if name in self.init_locals:
            return False
        return name in self.module_names

    def _attribute_available(self, node: cst.Attribute) -> bool:
        root = node.value
        if isinstance(root, cst.Name) and root.value == self.self_name:
            assigned = attribute_assignments(self.ctx, self.class_def, node.attr.value)
            if not assigned:
                return False
            in_init_body = [a for a in assigned if self.ctx.parent(self.ctx.parent(a.statement)) is self.init.body]
            every_in_init = all(self.ctx.contains(self.init, a.statement) for a in assigned)
            return every_in_init and bool(in_init_body)
        if isinstance(root, cst.Name) and root.value in self.method_names | self.init_locals | self.init_params:
            return False
        return self.available(root)


def _all_params(function: cst.FunctionDef) -> List[cst.Param]:
    params = function.params
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            found.append(star)
    return found


def _module_level_imports(ctx: FileContext) -> Set[str]:
    """Names bound by module-level imports (`import torch.nn` binds `torch`)."""
    return {
        name for name, nodes in ctx.import_bindings().items()
        if name != "*" and any(ctx.scope_of(node) is ctx.module for node in nodes)
    }  # fmt: skip
