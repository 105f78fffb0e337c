"""Which classes in a file are `nn.Module`s, and what their methods build and reach.

- `module_classes(ctx)`: the ClassDefs that derive from `torch.nn.Module` — directly, through
  any `torch.nn` module class (`nn.Linear`...), through `LightningModule`, or through another
  class of the same file that does (chains of any length, nested classes included).  A base
  this file cannot see (`from .base import Base`) does not count: we stay silent.
- `forward_only_code(ctx, class_def)`: `forward` plus the methods of the class that are
  reached only from it (`self.helper()` called from `forward` and from nowhere else).
  Closures and lambdas inside them are inside them, so callers test containment.
- `torch_module_state(ctx, call)`: for a call constructing a `torch.nn` class, whether the
  instance owns parameters/buffers or depends on train/eval mode (from the nn_modules table,
  reading literal boolean flags such as `affine=False`), or None when it cannot be told.
- `nn_class_status(ctx, call, qualified)`: DEPENDENT/INDEPENDENT/UNRESOLVED for a `torch.nn` layer
  constructor (dropout, batch norm, recurrent dropout...; flags and numeric thresholds such as
  `dropout=0`/`num_layers=1` read), the one answer to "does this layer care about train/eval mode"
  that modes.py (TL601/TL602) and summaries.py build on; `inference=True` asks TL601's narrower
  question (is the training-mode forward wrong at inference: instance norm is not).
- `project_class_builds_state(ctx, class_def)`: a project module whose `__init__` builds such
  layers (or registers parameters/buffers, or derives from a stateful torch class).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Set

import libcst as cst

from torchlint import tables
from torchlint.analysis.dataflow import reaching_assignments, self_name
from torchlint.analysis.facts import param_names
from torchlint.context import FileContext

MODULE_BASES = ("torch.nn.Module",)
# Qualified names of LightningModule under the packages that ship it.
LIGHTNING_MODULES = frozenset({
    "pytorch_lightning.LightningModule", "pytorch_lightning.core.LightningModule",
    "pytorch_lightning.core.module.LightningModule", "lightning.LightningModule",
    "lightning.pytorch.LightningModule", "lightning.pytorch.core.LightningModule",
    "lightning.pytorch.core.module.LightningModule",
})  # fmt: skip

PARAMETERS, BUFFERS, MODE = "parameters", "buffers", "mode_dependent"
STATE_KINDS = (PARAMETERS, BUFFERS, MODE)


def nn_classes() -> Dict[str, dict]:
    return tables.load("nn_modules")["classes"]


# -- which classes are modules ------------------------------------------------------------
def _classes_by_name(ctx: FileContext) -> Dict[str, List[cst.ClassDef]]:
    by_name: Dict[str, List[cst.ClassDef]] = {}
    for class_def in ctx.nodes(cst.ClassDef):
        by_name.setdefault(class_def.name.value, []).append(class_def)
    return by_name


def _is_torch_module_base(ctx: FileContext, base: cst.BaseExpression) -> bool:
    name = ctx.qualified_name(base)
    if name is None:
        return False
    return name in MODULE_BASES or name in LIGHTNING_MODULES or name in nn_classes()


def _compute_module_classes(ctx: FileContext) -> Dict[int, cst.ClassDef]:
    by_name = _classes_by_name(ctx)
    found: Dict[int, cst.ClassDef] = {}
    changed = True
    while changed:  # project chains: A(nn.Module) <- B(A) <- C(B), in any order in the file
        changed = False
        for class_def in ctx.nodes(cst.ClassDef):
            if id(class_def) in found:
                continue
            for arg in class_def.bases:
                base = arg.value
                if arg.keyword is not None:
                    continue
                local = by_name.get(base.value, []) if isinstance(base, cst.Name) else []
                local_module = len(local) == 1 and id(local[0]) in found
                if local_module or (not local and _is_torch_module_base(ctx, base)):
                    found[id(class_def)] = class_def
                    changed = True
                    break
    return found


def module_classes(ctx: FileContext) -> List[cst.ClassDef]:
    found = ctx.memo("modules.module_classes", lambda: _compute_module_classes(ctx))
    return sorted(found.values(), key=ctx.order)


def is_module_class(ctx: FileContext, class_def: cst.ClassDef) -> bool:
    return id(class_def) in ctx.memo("modules.module_classes", lambda: _compute_module_classes(ctx))


def module_class_kind(ctx: FileContext, class_def: cst.ClassDef) -> Optional[bool]:
    """True for a module class (`is_module_class`), False for a plain class whose every base is seen
    and none is a module (`class Helper:`, `(object)`, same-file plain bases), None when unsure."""
    if is_module_class(ctx, class_def):
        return True
    by_name = _classes_by_name(ctx)
    pending, seen = [class_def], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for arg in current.bases:
            if arg.keyword is not None:
                continue
            base = arg.value
            local = by_name.get(base.value, []) if isinstance(base, cst.Name) else []
            if len(local) == 1:
                pending.append(local[0])
            elif not (isinstance(base, cst.Name) and base.value == "object" and not local):
                return None
    return False


def project_base_classes(ctx: FileContext, class_def: cst.ClassDef) -> List[cst.ClassDef]:
    """The classes of this file that `class_def` derives from, transitively."""
    by_name = _classes_by_name(ctx)
    result: List[cst.ClassDef] = []
    pending = [class_def]
    while pending:
        current = pending.pop()
        for arg in current.bases:
            if isinstance(arg.value, cst.Name):
                local = by_name.get(arg.value.value, [])
                if len(local) == 1 and local[0] not in result and local[0] is not class_def:
                    result.append(local[0])
                    pending.append(local[0])
    return result


# -- methods --------------------------------------------------------------------------------
def methods(class_def: cst.ClassDef) -> Dict[str, cst.FunctionDef]:
    """Methods defined directly in the class body (the last definition of a name wins)."""
    found = {}
    if isinstance(class_def.body, cst.IndentedBlock):
        for statement in class_def.body.body:
            if isinstance(statement, cst.FunctionDef):
                found[statement.name.value] = statement
    return found


def _self_method_references(ctx: FileContext, class_def: cst.ClassDef, names: Set[str]):
    """(method referenced, FunctionDef it is referenced from) for every `self.<method>`."""
    for attribute in ctx.walk(class_def, cst.Attribute):
        if attribute.attr.value not in names or not isinstance(attribute.value, cst.Name):
            continue
        if attribute.value.value != self_name(ctx, attribute):
            continue
        method = _method_around(ctx, class_def, attribute)
        yield attribute.attr.value, method


def _method_around(ctx: FileContext, class_def: cst.ClassDef, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
    """The method of `class_def` whose body contains `node` (through closures)."""
    found = None
    for ancestor in ctx.ancestors(node):
        if isinstance(ancestor, cst.FunctionDef):
            found = ancestor
        if ancestor is class_def:
            return found if found is not None and ctx.parent(ctx.parent(found)) is class_def else None
        if isinstance(ancestor, cst.ClassDef):
            return None
    return None


def _compute_forward_only(ctx: FileContext, class_def: cst.ClassDef) -> List[cst.FunctionDef]:
    own = methods(class_def)
    forward = own.get("forward")
    if forward is None:
        return []
    callers: Dict[str, Set[Optional[int]]] = {}
    for name, method in _self_method_references(ctx, class_def, set(own)):
        callers.setdefault(name, set()).add(id(method) if method is not None else None)
    for base in project_base_classes(ctx, class_def):
        # An override the base class calls (`self.make_head()` in its __init__) runs from there too.
        for name, _ in _self_method_references(ctx, base, set(own)):
            callers.setdefault(name, set()).add(None)
    reached = {id(forward): forward}
    changed = True
    while changed:
        changed = False
        for name, method in own.items():
            if id(method) in reached or name.startswith("__") or not callers.get(name):
                continue
            if method.decorators:
                continue  # properties, hooks...: may be reached from anywhere
            if callers[name] <= set(reached):
                reached[id(method)] = method
                changed = True
    return sorted(reached.values(), key=ctx.order)


def forward_only_code(ctx: FileContext, class_def: cst.ClassDef) -> List[cst.FunctionDef]:
    return ctx.memo(("modules.forward_only", id(class_def)), lambda: _compute_forward_only(ctx, class_def))


def forward_only_function_around(ctx: FileContext, node: cst.CSTNode):
    """(module class, method) when `node` sits in forward-only code of a module class.

    Only the innermost class counts: a class defined inside `forward` has its own `__init__`.
    """
    class_def = ctx.enclosing(node, (cst.ClassDef,))
    if class_def is None or not is_module_class(ctx, class_def):
        return None
    for method in forward_only_code(ctx, class_def):
        if ctx.contains(method.body, node):  # not a default value: those run once, at `def`
            return class_def, method
    return None


# -- what a torch.nn construction owns ---------------------------------------------------------
@dataclass(frozen=True)
class State:
    kinds: FrozenSet[str]  # subset of STATE_KINDS, the state every possible variant has
    stateless: bool  # no variant has any state


def bind_arguments(
    call: cst.Call, params: List[dict], lenient: bool = False
) -> Optional[Dict[str, cst.BaseExpression]]:
    """Constructor parameter name -> argument expression; None when `*args`/`**kw` hide it, or (unless
    `lenient`, which drops them) when there are more positional arguments than positional parameters."""
    bound: Dict[str, cst.BaseExpression] = {}
    positional = [p for p in params if not p["keyword_only"]]
    index = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            if index >= len(positional):
                if not lenient:
                    return None
            else:
                bound[positional[index]["name"]] = arg.value
            index += 1
        else:
            bound[arg.keyword.value] = arg.value
    return bound


def _bind_with_literal_kwargs(ctx: FileContext, call: cst.Call,
                              params: List[dict]) -> Optional[Dict[str, cst.BaseExpression]]:  # fmt: skip
    """`bind_arguments` where each `**name` is a dict literal of string keys (`dd = {'device': device,
    'dtype': dtype}`: timm's habit) assigned once before the call and otherwise untouched in its scope
    (no `dd[...]`, no `dd.update(...)`); None when any `*args`/`**kw` hides more."""
    plain = call.with_changes(args=[a for a in call.args if a.star != "**"])
    bound = bind_arguments(plain, params)
    if bound is None:
        return None
    for arg in call.args:
        if arg.star != "**":
            continue
        extra = _literal_kwargs(ctx, arg.value)
        if extra is None or set(extra) & set(bound):
            return None
        bound.update(extra)
    return bound


def _literal_kwargs(ctx: FileContext, value: cst.BaseExpression) -> Optional[Dict[str, cst.BaseExpression]]:
    if not isinstance(value, cst.Name):
        return None
    reaching = reaching_assignments(ctx, value)
    if len(reaching) != 1 or not reaching[0].unconditional or not isinstance(reaching[0].value, cst.Dict):
        return None
    scope = ctx.scope_of(value)
    for name in ctx.walk(scope, cst.Name):
        if name.value == value.value and isinstance(ctx.parent(name), (cst.Subscript, cst.Attribute)):
            return None  # `dd["affine"] = False`, `dd.update(...)`: it may hold more than its literal
    found: Dict[str, cst.BaseExpression] = {}
    for element in reaching[0].value.elements:
        if not isinstance(element, cst.DictElement) or not isinstance(element.key, cst.SimpleString):
            return None
        key = element.key.evaluated_value
        if not isinstance(key, str) or key in found:
            return None
        found[key] = element.value
    return found


def literal_bool(node: cst.BaseExpression) -> Optional[bool]:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def torch_module_state(ctx: FileContext, call: cst.Call) -> Optional[State]:
    """State of the `torch.nn` instance `call` constructs, or None if not one / unknown."""
    entry = nn_classes().get(ctx.call_name(call) or "")
    if entry is None or entry["parameters"] is None or entry["container"]:
        return None
    base = frozenset(k for k in STATE_KINDS if entry[k])
    if not entry["flags"]:
        return State(base, not base)
    bound = bind_arguments(call, entry["init"])
    if bound is None:
        bound = _bind_with_literal_kwargs(ctx, call, entry["init"])
    if bound is None:
        return None
    choices = {}
    for flag in entry["flags"]:
        if flag in bound:
            value = literal_bool(bound[flag])
            choices[flag] = (value,) if value is not None else (False, True)
    kinds_per_variant = []
    for variant in entry["variants"]:
        if all(variant["args"][flag] in allowed for flag, allowed in choices.items()):
            if all(flag in choices or _is_default(entry, flag, value) for flag, value in variant["args"].items()):
                kinds_per_variant.append(frozenset(k for k in STATE_KINDS if variant[k]))
    if not kinds_per_variant:
        return None
    common = frozenset.intersection(*kinds_per_variant)
    return State(common, all(not kinds for kinds in kinds_per_variant))


def _is_default(entry: dict, flag: str, value: bool) -> bool:
    for param in entry["init"]:
        if param["name"] == flag:
            return param["default"] == repr(value)
    return False


def is_zero_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Integer, cst.Float)) and float(node.value) == 0.0


# -- does a torch.nn construction depend on train/eval mode? ------------------------------------
DEPENDENT, INDEPENDENT, UNRESOLVED = "dependent", "independent", "unresolved"


def _default_bool(default: Optional[str]) -> Optional[bool]:
    return {"True": True, "False": False}.get(default or "")


# Layers whose training-mode forward is already what inference wants: instance norm normalises each
# sample by its own statistics in training mode (independent of the batch, exactly as the model was
# trained); only with `track_running_stats=True` does eval mode differ, switching to running averages
# the model never used (CycleGAN/pix2pix generators are run in training mode on purpose).
PER_SAMPLE_NORMS = frozenset({
    "torch.nn.InstanceNorm1d", "torch.nn.InstanceNorm2d", "torch.nn.InstanceNorm3d",
    "torch.nn.LazyInstanceNorm1d", "torch.nn.LazyInstanceNorm2d", "torch.nn.LazyInstanceNorm3d",
})  # fmt: skip


def nn_class_status(ctx: FileContext, call: cst.Call, qualified: str, inference: bool = False) -> Optional[str]:
    """DEPENDENT/INDEPENDENT for a torch.nn layer constructor (its flags and numeric thresholds such
    as `dropout=0`/`num_layers=1` considered); None if not one.  A loss never depends on the mode.

    Two questions: by default "does it behave differently in eval mode" (TL602: left in eval while
    training); with `inference`, "is its training-mode forward wrong for inference" (TL601: dropout,
    batch norm's batch statistics and running-stat updates -- not instance norm, see PER_SAMPLE_NORMS)."""
    entry = nn_classes().get(qualified)
    if entry is None:
        return None
    if entry.get("loss") or (inference and qualified in PER_SAMPLE_NORMS):
        return INDEPENDENT
    if entry.get("container"):
        return None  # decided by what it contains
    if entry.get("thresholds"):
        return _threshold_status(ctx, call, entry)
    variants = entry.get("variants") or []
    if not variants:
        return DEPENDENT if entry.get("mode_dependent") else INDEPENDENT
    defaults = {p["name"]: _default_bool(p["default"]) for p in entry.get("init", [])}
    given = bind_arguments(call, entry.get("init", []), lenient=True)
    if given is None:
        return UNRESOLVED
    given = {name: literal_bool(value) if literal_bool(value) is not None else "?" for name, value in given.items()}
    outcomes = set()
    for variant in variants:
        if all(given.get(flag, defaults.get(flag)) in (value, "?") for flag, value in variant["args"].items()):
            outcomes.add(bool(variant["mode_dependent"]))
    if outcomes == {True}:
        return DEPENDENT
    if outcomes == {False}:
        return INDEPENDENT
    return UNRESOLVED


def _literal_number(node: cst.BaseExpression) -> Optional[float]:
    if isinstance(node, (cst.Integer, cst.Float)):
        return float(node.evaluated_value)
    return None


def _threshold_sides(ctx: FileContext, node: cst.BaseExpression, low: float) -> Set[str]:
    """Which side of the measured low point a constructor argument falls on: {"low"}, {"high"} or both.

    A literal decides; so does a local assigned one literal, a name tested true around the call
    (`if dropout: layers.append(nn.Dropout(dropout))`), and a parameter whose literal default is
    above the low point (`def __init__(self, p=0.1)`: dropout is meant to be on).  A parameter
    defaulting to 0 (`drop_rate=0.`) or any other expression may be either.
    """
    value = _literal_number(node)
    if value is not None:
        return {"low" if value <= low else "high"}
    if not isinstance(node, cst.Name):
        return {"low", "high"}
    if _tested_true_around(ctx, node):
        return {"high"}
    reaching = reaching_assignments(ctx, node)
    if reaching:
        only = reaching[0]
        value = _literal_number(only.value) if len(reaching) == 1 and only.unconditional and only.value else None
        return {"low" if value <= low else "high"} if value is not None else {"low", "high"}
    function = ctx.enclosing(node, (cst.FunctionDef,))
    if function is not None and node.value in param_names(function):
        params = function.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            if param.name.value == node.value and param.default is not None:
                value = _literal_number(param.default)
                if value is not None and value > low:
                    return {"high"}
    return {"low", "high"}


def _tested_true_around(ctx: FileContext, name: cst.Name) -> bool:
    """`if dropout:` / `if p > 0:` around the use (in the branch taken when the test holds)."""
    for ancestor in ctx.ancestors(name):
        if isinstance(ancestor, cst.FunctionDef):
            return False
        if isinstance(ancestor, cst.If) and ctx.contains(ancestor.body, name):
            test = ancestor.test
            if isinstance(test, cst.Name) and test.value == name.value:
                return True
            if isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name) and \
                    test.left.value == name.value and len(test.comparisons) == 1:  # fmt: skip
                target = test.comparisons[0]
                if isinstance(target.operator, cst.GreaterThan) and _literal_number(target.comparator) == 0:
                    return True
    return False


def _threshold_status(ctx: FileContext, call: cst.Call, entry: dict) -> str:
    """`nn.LSTM(..., num_layers=2, dropout=0.3)`: the measured variant each value falls in (a value
    <= the measured low point behaves as there, a larger one as at the high point); a value we
    cannot read may fall on either side."""
    given = bind_arguments(call, entry.get("init", []), lenient=True)
    if given is None:
        return UNRESOLVED
    defaults = {p["name"]: p["default"] for p in entry.get("init", [])}
    allowed: Dict[str, Set[float]] = {}
    for name, points in entry["thresholds"].items():
        if name in given:
            sides = _threshold_sides(ctx, given[name], points["low"])
        elif defaults.get(name):
            sides = _threshold_sides(ctx, cst.parse_expression(defaults[name]), points["low"])
        else:
            sides = {"low", "high"}
        allowed[name] = {points[side] for side in sides}
    outcomes = {
        bool(variant["mode_dependent"]) for variant in entry.get("threshold_variants", [])
        if all(variant["args"][name] in values for name, values in allowed.items())
    }  # fmt: skip
    if outcomes == {True}:
        return DEPENDENT
    if outcomes == {False}:
        return INDEPENDENT
    return UNRESOLVED


# -- project module classes -------------------------------------------------------------------
_STATE_REGISTRATION = {"register_buffer", "register_parameter", "register_module", "add_module"}


def init_calls(ctx: FileContext, class_def: cst.ClassDef) -> List[cst.Call]:
    """Calls in `__init__` and in the methods it reaches through `self.` (`self._make_layers()` calling
    `self._block()`), each method once: what runs while an instance is built."""
    return ctx.memo(("modules.init_calls", id(class_def)), lambda: _init_calls(ctx, class_def))


def _init_calls(ctx: FileContext, class_def: cst.ClassDef) -> List[cst.Call]:
    own = methods(class_def)
    init = own.get("__init__")
    if init is None:
        return []
    bodies, pending, calls = {id(init)}, [init], []
    while pending:
        body = pending.pop(0)
        for call in ctx.walk(body, cst.Call):
            calls.append(call)
            func = call.func
            if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value in own:
                method = own[func.attr.value]
                if id(method) not in bodies and func.value.value == self_name(ctx, call):
                    bodies.add(id(method))
                    pending.append(method)
    return calls


def _compute_stateful_project_classes(ctx: FileContext) -> Set[int]:
    stateful: Set[int] = set()
    classes = module_classes(ctx)
    by_name = _classes_by_name(ctx)
    changed = True
    while changed:
        changed = False
        for class_def in classes:
            if id(class_def) in stateful:
                continue
            if _builds_state(ctx, class_def, stateful, by_name):
                stateful.add(id(class_def))
                changed = True
    return stateful


def stateful_torch_base(ctx: FileContext, base: cst.BaseExpression) -> bool:
    """A base class from torch.nn whose instances have parameters, buffers or a train/eval behaviour."""
    entry = nn_classes().get(ctx.qualified_name(base) or "")
    return bool(entry) and any(entry[k] for k in STATE_KINDS)


def gives_state(ctx: FileContext, call: cst.Call) -> bool:
    """Does `call`, run while a module is built, give it state: `nn.Parameter(...)`, a
    `register_buffer`/`register_parameter`/`register_module`/`add_module`, or a torch.nn layer with
    parameters, buffers or a train/eval behaviour (literal flags such as `affine=False` read)?
    The one definition behind `project_class_builds_state` (TL101, same file) and a class or
    builder function's `owns_parameters` in its module summary (TL101, across files)."""
    func = call.func
    if ctx.is_name(func, "torch.nn.Parameter", "torch.nn.parameter.Parameter"):
        return True
    if isinstance(func, cst.Attribute) and func.attr.value in _STATE_REGISTRATION:
        return True
    state = torch_module_state(ctx, call)
    return state is not None and bool(state.kinds)


def _builds_state(ctx, class_def, stateful, by_name) -> bool:
    for arg in class_def.bases:
        local = by_name.get(arg.value.value, []) if isinstance(arg.value, cst.Name) else []
        if len(local) == 1 and id(local[0]) in stateful:
            return True
        if not local and stateful_torch_base(ctx, arg.value):
            return True
    for call in init_calls(ctx, class_def):
        if gives_state(ctx, call):
            return True
        target = project_class_called(ctx, call)
        if target is not None and id(target) in stateful:
            return True
    return False


def project_class_called(ctx: FileContext, call: cst.Call) -> Optional[cst.ClassDef]:
    """The module class of this file that `call` instantiates by name, if any."""
    if not isinstance(call.func, cst.Name):
        return None
    local = _classes_by_name(ctx).get(call.func.value, [])
    if len(local) == 1 and is_module_class(ctx, local[0]):
        return local[0]
    return None


def project_class_builds_state(ctx: FileContext, class_def: cst.ClassDef) -> bool:
    stateful = ctx.memo("modules.stateful_project", lambda: _compute_stateful_project_classes(ctx))
    return id(class_def) in stateful


__all__ = [
    "DEPENDENT", "INDEPENDENT", "LIGHTNING_MODULES", "MODE", "UNRESOLVED", "literal_bool", "nn_class_status",
    "PER_SAMPLE_NORMS",
    "PARAMETERS", "BUFFERS", "STATE_KINDS", "State", "bind_arguments",
    "forward_only_code", "forward_only_function_around", "is_module_class", "module_class_kind", "is_zero_literal",
    "methods",
    "module_classes", "nn_classes", "project_base_classes", "project_class_builds_state",
    "project_class_called", "torch_module_state", "gives_state", "init_calls", "stateful_torch_base",
]  # fmt: skip
