"""What kind of object an expression holds: a model, a data-parallel wrapper, an optimizer, a tensor.

Each question is answered the same way: `evidence(ctx, expr, is_kind)` looks at the values
that can reach `expr` -- the expression itself, the assignments of a local name that reach
the use (`dataflow.reaching_assignments`), or every `self.<attr> = ...` of the class -- and
says whether all of them are of the kind (ALWAYS), only some (SOMETIMES), or none that we
can see (None: stay silent).  A name whose value may come from outside (a parameter, a
global) is never ALWAYS.

- `wrapper_evidence`: `nn.DataParallel(...)` / `DistributedDataParallel(...)`.  `direct_evidence` /
  `direct_wrapper_evidence` look one assignment deep only (TL501's question).
- `module_evidence`: an `nn.Module` instance: a `torch.nn` class, a module class of this file,
  a `torchvision.models` / `timm.create_model` model, a wrapper, `m.to(...)`/`.cuda()`/... of
  one, or `w.module` of a wrapper.
- `optimizer_evidence`: a `torch.optim` optimizer or a same-file subclass of one.
- `tensor_evidence`: a tensor made by a torch factory (`torch.randn`, `torch.zeros`...) or a
  same-size method of one (`.float()`, `.detach()`...).
A call of a same-file function counts through its `return` values (`model = build_model()`).

- `slicing_view`: a view onto part of a tensor's storage (`t[:10]`, `t[0]`, `t.narrow(...)`,
  `t.chunk(4)[0]`, and `.T`/`.view()`/... of those).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, List, Optional

import libcst as cst

from torchlint import tables
from torchlint.analysis.dataflow import (
    attribute_assignments,
    local_assignments,
    reaching_assignments,
    reaching_attribute_assignments,
    self_name,
)
from torchlint.analysis.facts import param_names, resolve_call
from torchlint.analysis.modules import is_module_class, nn_classes, project_base_classes, project_class_called
from torchlint.context import FileContext

ALWAYS, SOMETIMES = "always", "sometimes"
WRAPPERS = ("torch.nn.DataParallel", "torch.nn.parallel.DistributedDataParallel")
# torch.optim's optimizer classes, from the generated table (scripts/tables/optimizers.py).
OPTIMIZERS = tables.optimizer_classes()
# Methods of an nn.Module that return the module itself.
_MODULE_TO_MODULE = frozenset({"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "train", "eval",
                               "requires_grad_", "to_empty", "share_memory"})  # fmt: skip
_TENSOR_FACTORIES = frozenset({
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "rand", "randn", "randint",
    "randperm", "arange", "linspace", "logspace", "eye", "cat", "concat", "stack", "zeros_like",
    "ones_like", "empty_like", "full_like", "rand_like", "randn_like", "randint_like",
})  # fmt: skip
# Tensor methods whose result holds as many elements as the tensor (a copy or a view of all of it).
_SAME_SIZE_TENSOR_METHODS = frozenset({"float", "half", "double", "long", "int", "bool", "to", "cpu", "cuda",
                                       "detach", "clone", "contiguous", "requires_grad_"})  # fmt: skip
# Views that keep the whole storage of what they view, so they are partial only if their base is.
_WHOLE_VIEWS = frozenset({"view", "view_as", "t", "transpose", "permute", "squeeze", "unsqueeze", "expand",
                          "expand_as", "detach", "swapaxes", "movedim", "unflatten"})  # fmt: skip
_WHOLE_VIEW_ATTRIBUTES = frozenset({"T", "mT", "H", "mH", "data"})
_PARTIAL_VIEWS = frozenset({"narrow", "select", "diagonal", "unfold", "as_strided"})
_PIECES = frozenset({"chunk", "split", "unbind", "tensor_split", "hsplit", "vsplit", "split_with_sizes"})
_MAX_DEPTH = 6


@dataclass
class Evidence:
    how_often: str  # ALWAYS or SOMETIMES
    values: List[cst.BaseExpression] = field(default_factory=list)  # the values of the kind that reach


Predicate = Callable[[FileContext, cst.BaseExpression, int], bool]


def evidence(ctx: FileContext, node: cst.BaseExpression, is_kind: Predicate, depth: int = 0) -> Optional[Evidence]:
    """Is `node` of the kind on every path (ALWAYS), on some (SOMETIMES), or (None) not that we can see?"""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(node, cst.Name):
        reaching = reaching_assignments(ctx, node)
        found = [evidence(ctx, a.value, is_kind, depth + 1) if a.value is not None else None for a in reaching]
        return _combined(found, open_path=not (reaching and reaching[-1].unconditional))
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        if node.value.value == self_name(ctx, node):
            class_def = ctx.enclosing(node, (cst.ClassDef,))
            assigned = attribute_assignments(ctx, class_def, node.attr.value) if class_def else []
            return _combined([evidence(ctx, a.value, is_kind, depth + 1) for a in assigned], open_path=False)
    if is_kind(ctx, node, depth):
        return Evidence(ALWAYS, [node])
    if isinstance(node, cst.Call):
        callee = resolve_call(ctx, node)
        if callee is not None:
            return _returned_evidence(ctx, callee, is_kind, depth)
    return None


def _combined(found: List[Optional[Evidence]], open_path: bool) -> Optional[Evidence]:
    """Evidence over several possible values: ALWAYS when every one is ALWAYS (and no path is open)."""
    values = [v for f in found if f is not None for v in f.values]
    if not values:
        return None
    always = not open_path and all(f is not None and f.how_often == ALWAYS for f in found)
    return Evidence(ALWAYS if always else SOMETIMES, values)


def _returned_evidence(ctx: FileContext, callee: cst.FunctionDef, is_kind: Predicate, depth: int):
    """What a same-file function returns (`table = build_table()`), from its `return` values."""
    returns = [r for r in ctx.walk(callee, cst.Return) if not ctx.inside_nested_scope(r, callee)]
    found = [evidence(ctx, r.value, is_kind, depth + 1) if r.value is not None else None for r in returns]
    return _combined(found, open_path=False)


def _always(ctx: FileContext, node: cst.BaseExpression, is_kind: Predicate, depth: int) -> bool:
    found = evidence(ctx, node, is_kind, depth)
    return found is not None and found.how_often == ALWAYS


# -- wrappers and models ----------------------------------------------------------------------
def is_wrapper_call(ctx: FileContext, node: cst.BaseExpression, depth: int = 0) -> bool:
    return isinstance(node, cst.Call) and ctx.is_name(node.func, *WRAPPERS)


def wrapper_evidence(ctx: FileContext, node: cst.BaseExpression) -> Optional[Evidence]:
    return evidence(ctx, node, is_wrapper_call)


def direct_evidence(ctx: FileContext, node: cst.BaseExpression, is_kind: Predicate) -> Optional[Evidence]:
    """Like `evidence`, but one step only: `node` itself, or the values assigned to it (a name's
    reaching assignments; `self.<attr>`'s), each judged by `is_kind` without following further
    names or calls.  For `self.<attr>` the method's own assignments before the use decide first;
    only when they leave the value open do the assignments elsewhere in the class count (and
    then never as ALWAYS when the method assigns it too).  TL501 asks this of wrappers."""
    if is_kind(ctx, node, 0):
        return Evidence(ALWAYS, [node])
    if isinstance(node, cst.Name):
        reaching = reaching_assignments(ctx, node)
        values = [a.value for a in reaching if a.value is not None and is_kind(ctx, a.value, 0)]
        if not values:
            return None
        always = len(values) == len(reaching) and reaching[-1].unconditional
        return Evidence(ALWAYS if always else SOMETIMES, values)
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        if node.value.value != self_name(ctx, node):
            return None
        return _direct_attribute_evidence(ctx, node, is_kind)
    return None


def _direct_attribute_evidence(ctx: FileContext, node: cst.Attribute, is_kind: Predicate) -> Optional[Evidence]:
    reaching = reaching_attribute_assignments(ctx, node)
    own = [a.value for a in reaching if a.value is not None and is_kind(ctx, a.value, 0)]
    if reaching and reaching[-1].unconditional:
        if not own:
            return None
        return Evidence(ALWAYS if len(own) == len(reaching) else SOMETIMES, own)
    method = ctx.enclosing(node, (cst.FunctionDef,))
    if method is not None and method.name.value == "__init__":
        # Nothing before this point of `__init__` set it (later methods run after `__init__`).
        return Evidence(SOMETIMES, own) if own else None
    class_def = ctx.enclosing(node, (cst.ClassDef,))
    assigned = attribute_assignments(ctx, class_def, node.attr.value) if class_def else []
    values = [a.value for a in assigned if a.value is not None and is_kind(ctx, a.value, 0)]
    if not values:
        return None
    always = len(values) == len(assigned) and not reaching
    return Evidence(ALWAYS if always else SOMETIMES, values)


def direct_wrapper_evidence(ctx: FileContext, node: cst.BaseExpression) -> Optional[Evidence]:
    """`direct_evidence` of a `DataParallel`/`DistributedDataParallel` construction."""
    return direct_evidence(ctx, node, is_wrapper_call)


def _is_model_constructor(ctx: FileContext, call: cst.Call) -> bool:
    name = ctx.call_name(call)
    if name is not None:
        if name in nn_classes() or name in WRAPPERS:
            return True
        if name == "timm.create_model":
            return True
        module, _, last = name.rpartition(".")
        if module.startswith("torchvision.models") and last[:1].islower() and not last.startswith("get_"):
            return True  # `torchvision.models.resnet50(...)`; not `get_weight`, `list_models`
    return project_class_called(ctx, call) is not None


def is_module_value(ctx: FileContext, node: cst.BaseExpression, depth: int = 0) -> bool:
    """Does this value expression certainly produce an `nn.Module` instance?"""
    if isinstance(node, cst.Call):
        if _is_model_constructor(ctx, node):
            return True
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in _MODULE_TO_MODULE:
            return _always(ctx, func.value, is_module_value, depth + 1)
        return False
    if isinstance(node, cst.Attribute) and node.attr.value == "module":
        found = evidence(ctx, node.value, is_wrapper_call, depth + 1)
        return found is not None and found.how_often == ALWAYS
    return False


def module_evidence(ctx: FileContext, node: cst.BaseExpression) -> Optional[Evidence]:
    return evidence(ctx, node, is_module_value)


# -- optimizers -------------------------------------------------------------------------------
def _is_optimizer_class_name(ctx: FileContext, node: cst.BaseExpression) -> bool:
    name = ctx.qualified_name(node)
    if name is None:
        return False
    module, _, last = name.rpartition(".")
    return module.startswith("torch.optim") and last in OPTIMIZERS


def _optimizer_class_of(ctx: FileContext, class_def: cst.ClassDef) -> bool:
    """A class of this file deriving (through same-file classes) from a torch.optim optimizer."""
    if is_module_class(ctx, class_def):
        return False
    for klass in (class_def, *project_base_classes(ctx, class_def)):
        if any(arg.keyword is None and _is_optimizer_class_name(ctx, arg.value) for arg in klass.bases):
            return True
    return False


def is_optimizer_value(ctx: FileContext, node: cst.BaseExpression, depth: int = 0) -> bool:
    if not isinstance(node, cst.Call):
        return False
    if _is_optimizer_class_name(ctx, node.func):
        return True
    if isinstance(node.func, cst.Name):
        local = [c for c in ctx.nodes(cst.ClassDef) if c.name.value == node.func.value]
        return len(local) == 1 and _optimizer_class_of(ctx, local[0])
    return False


def optimizer_evidence(ctx: FileContext, node: cst.BaseExpression) -> Optional[Evidence]:
    return evidence(ctx, node, is_optimizer_value)


# -- tensors and views ------------------------------------------------------------------------
def is_tensor_value(ctx: FileContext, node: cst.BaseExpression, depth: int = 0) -> bool:
    """A value that is certainly a tensor: a torch factory's result or a same-size method of one."""
    if not isinstance(node, cst.Call):
        return False
    name = ctx.call_name(node)
    if name is not None and name.startswith("torch.") and name[len("torch."):] in _TENSOR_FACTORIES:
        return True
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value in _SAME_SIZE_TENSOR_METHODS:
        return _always(ctx, func.value, is_tensor_value, depth + 1)
    return False


def _is_tensor(ctx: FileContext, node: cst.BaseExpression, depth: int) -> bool:
    return _always(ctx, node, is_tensor_value, depth) or slicing_view(ctx, node, depth) or _whole_view(ctx, node, depth)


def _narrowing_index(sub: cst.Subscript) -> bool:
    """Basic indexing (ints, slices, None, ...) that selects less than the whole tensor."""
    narrows = False
    for element in sub.slice:
        index = element.slice
        if isinstance(index, cst.Slice):
            if any(part is not None for part in (index.lower, index.upper, index.step)):
                narrows = True
            continue
        value = index.value
        if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus):
            value = value.expression
        if isinstance(value, cst.Integer):
            narrows = True
        elif not (isinstance(value, cst.Name) and value.value == "None") and not isinstance(value, cst.Ellipsis):
            return False  # a tensor, list or variable index: advanced indexing copies, or unknown
    return narrows


def slicing_view(ctx: FileContext, node: cst.BaseExpression, depth: int = 0) -> bool:
    """Is `node` a view onto only part of a tensor's storage (saving it writes all of the storage)?"""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(node, cst.Subscript):
        base = node.value
        if isinstance(base, cst.Call) and isinstance(base.func, cst.Attribute) and base.func.attr.value in _PIECES:
            return _is_tensor(ctx, base.func.value, depth + 1) and _narrowing_index_or_int(node)
        return _narrowing_index(node) and _is_tensor(ctx, base, depth + 1)
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        method, receiver = node.func.attr.value, node.func.value
        if method == "narrow":
            return True  # only tensors have `.narrow`
        if method in _PARTIAL_VIEWS:
            return _is_tensor(ctx, receiver, depth + 1)
        if method in _WHOLE_VIEWS:
            return slicing_view(ctx, receiver, depth + 1)
    if isinstance(node, cst.Attribute) and node.attr.value in _WHOLE_VIEW_ATTRIBUTES:
        return slicing_view(ctx, node.value, depth + 1)
    return False


def _narrowing_index_or_int(sub: cst.Subscript) -> bool:
    return len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index) and isinstance(
        sub.slice[0].slice.value, cst.Integer)  # fmt: skip


def _whole_view(ctx: FileContext, node: cst.BaseExpression, depth: int) -> bool:
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _WHOLE_VIEWS:
        return _always(ctx, node.func.value, is_tensor_value, depth + 1)
    return False


def wrapper_class_spellings(ctx: FileContext, wrapper_calls: List[cst.Call], at: cst.CSTNode) -> List[str]:
    """How the wrapper classes are spelled at their construction sites, if those names are imported
    where `at` can see them (module level or `at`'s own scope); [] otherwise."""
    scopes = {id(ctx.module), id(ctx.scope_of(at))}
    spellings: List[str] = []
    for call in wrapper_calls:
        spelled = ctx.code(call.func)
        root = spelled.split(".", 1)[0]
        if not any(id(ctx.scope_of(node)) in scopes for node in ctx.import_bindings().get(root, ())):
            return []
        if spelled not in spellings:
            spellings.append(spelled)
    return spellings


# -- what torch.save stores ---------------------------------------------------------------------
def saved_object(ctx: FileContext, call: cst.Call) -> Optional[cst.BaseExpression]:
    """The object argument of a `torch.save(obj, f)` call, if `call` is one."""
    if not ctx.is_name(call.func, "torch.save"):
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "obj":
            return arg.value
    first = call.args[0] if call.args else None
    return first.value if first is not None and first.keyword is None and not first.star else None


def saved_values(ctx: FileContext, node: cst.BaseExpression, follow_names: bool = False, depth: int = 0):
    """The expressions whose values `torch.save(node)` stores: `node`, the values and elements of
    dict/list/tuple literals in it, and (`follow_names`) the values assigned to a name that reach it."""
    if depth > _MAX_DEPTH:
        return
    yield node
    if isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                yield from saved_values(ctx, element.value, follow_names, depth + 1)
    elif isinstance(node, (cst.List, cst.Tuple)):
        for element in node.elements:
            if isinstance(element, cst.Element):
                yield from saved_values(ctx, element.value, follow_names, depth + 1)
    elif follow_names and isinstance(node, cst.Name):
        for assignment in reaching_assignments(ctx, node):
            if assignment.value is not None:
                yield from saved_values(ctx, assignment.value, follow_names, depth + 1)


def uses_of_assigned_value(ctx: FileContext, value: cst.BaseExpression) -> List[cst.Name]:
    """The uses of `name` that `name = value` reaches in its own scope, when `value` is assigned to one
    plain name ([] otherwise).  Uses in nested functions are not included: see `used_in_nested_scope`."""
    statement = ctx.parent(value)
    if not (isinstance(statement, cst.Assign) and statement.value is value and len(statement.targets) == 1):
        return []
    target = statement.targets[0].target
    if not isinstance(target, cst.Name):
        return []
    scope = ctx.scope_of(statement)
    uses = []
    for node in ctx.walk(scope, cst.Name) if scope is not ctx.module else ctx.nodes(cst.Name):
        if node.value != target.value or node is target or ctx.order(node) < ctx.order(statement):
            continue
        parent = ctx.parent(node)
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            continue
        if isinstance(parent, (cst.Arg, cst.Param, cst.AssignTarget, cst.ImportAlias)) and not (
                isinstance(parent, cst.Arg) and parent.value is node):  # fmt: skip
            continue
        if ctx.scope_of(node) is not scope:
            continue
        if any(a.statement is statement for a in reaching_assignments(ctx, node)):
            uses.append(node)
    return uses

def used_in_nested_scope(ctx: FileContext, scope: cst.CSTNode, name: str) -> bool:
    """Is `name` read in a function, lambda or class nested in `scope` (a closure, or a global use)?"""
    for node in ctx.walk(scope, cst.Name) if scope is not ctx.module else ctx.nodes(cst.Name):
        if node.value != name or ctx.scope_of(node) is scope:
            continue
        parent = ctx.parent(node)
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            continue
        inner = ctx.scope_of(node)
        binds_locally = bool(local_assignments(ctx, inner).get(name)) or (
            isinstance(inner, cst.FunctionDef) and name in param_names(inner))  # fmt: skip
        if not binds_locally:
            return True
    return False


__all__ = [
    "ALWAYS", "Evidence", "OPTIMIZERS", "SOMETIMES", "WRAPPERS", "direct_evidence", "direct_wrapper_evidence",
    "evidence", "is_module_value",
    "is_optimizer_value", "is_tensor_value", "is_wrapper_call", "module_evidence", "optimizer_evidence",
    "saved_object", "saved_values", "slicing_view", "used_in_nested_scope", "uses_of_assigned_value",
    "wrapper_class_spellings", "wrapper_evidence",
]  # fmt: skip
