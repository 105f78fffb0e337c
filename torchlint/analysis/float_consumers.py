"""Does a tensor reach something that needs float32: a model, an nn layer, a weighted F op?

`float32_consumer(ctx, expr)` follows a tensor expression forward through dtype-keeping
steps (indexing, `.to(device)`, `.cuda()`, `.unsqueeze()`...) and local names, and answers
with a description of the consumer it reaches, or None:

- a call of an nn module instance: `self.fc(x)` where every `self.fc = ...` in the class is a
  torch.nn layer that owns parameters or buffers (torchlint/data/nn_modules.json) or a
  same-file nn.Module subclass (or one imported from another first-party file that casts
  nothing itself); or a local (or module-level) name bound only to one;
- a `torch.nn.functional` op whose weight argument is such a module's `.weight` or a
  `self.<param>` made by `nn.Parameter(torch.<factory>(...))`;
- the return value of `__getitem__` in a `torch.utils.data.Dataset` subclass (itself, the first
  item of a returned tuple/list, or a dict value not keyed as a target), which the DataLoader
  hands to the model, in a file that sets no `collate_fn` (which could cast).

Anything else (a cast, an unknown function, a module whose origin is not visible) ends
the search: the answer is then None.  Modules made float64 (`.double()`, `.to(torch.float64)`)
are never consumers.
"""

from __future__ import annotations

import os
from typing import Dict, List, Optional

import libcst as cst

from torchlint import tables
from torchlint.analysis.dataflow import (
    attribute_assignments,
    local_assignments,
    reaching_assignments,
    self_name,
)
from torchlint.context import FileContext

# Tensor methods that keep the dtype (and are not casts).
_KEEP_DTYPE_METHODS = frozenset({
    "cuda", "cpu", "unsqueeze", "squeeze", "view", "reshape", "permute", "transpose", "contiguous",
    "detach", "clone", "requires_grad_", "flatten", "t", "pin_memory", "expand", "repeat",
    "unflatten", "share_memory_", "unsqueeze_", "squeeze_",
})  # fmt: skip
_KEEP_DTYPE_PROPERTIES = frozenset({"T", "data"})
# Module methods that return the module itself and keep its dtype.
_MODULE_CHAIN = frozenset({"cuda", "cpu", "train", "eval", "float", "requires_grad_", "share_memory"})
_FLOAT64 = frozenset({"torch.float64", "torch.double"})
_CASTS_TO_FLOAT64 = frozenset({"double"})

# torch.nn.functional ops with a float weight: name -> (weight's positional index, keyword).
WEIGHTED_FUNCTIONAL = {
    "linear": (1, "weight"), "conv1d": (1, "weight"), "conv2d": (1, "weight"), "conv3d": (1, "weight"),
    "conv_transpose1d": (1, "weight"), "conv_transpose2d": (1, "weight"),
    "conv_transpose3d": (1, "weight"), "layer_norm": (2, "weight"), "group_norm": (2, "weight"),
    "prelu": (1, "weight"),
}  # fmt: skip
_TORCH_FACTORIES = frozenset({"torch.randn", "torch.rand", "torch.zeros", "torch.ones", "torch.empty",
                              "torch.Tensor", "torch.FloatTensor"})  # fmt: skip
_MAX_HOPS = 4


def float32_consumer(ctx: FileContext, node: cst.BaseExpression, hops: int = 0) -> Optional[str]:
    """What float32 consumer the tensor `node` reaches, described for a message; None if unseen."""
    node = _climb_dtype_keeping(ctx, node)
    if node is None or hops > _MAX_HOPS:
        return None
    parent = ctx.parent(node)
    if isinstance(parent, cst.Arg) and parent.value is node and not parent.star:
        return _consuming_call(ctx, parent)
    if isinstance(parent, cst.Assign) and parent.value is node and len(parent.targets) == 1:
        target = parent.targets[0].target
        if isinstance(target, cst.Name):
            uses = _uses_reached_by(ctx, parent, target.value)
        elif isinstance(target, cst.Attribute):
            uses = _attribute_reads(ctx, parent, target)
        else:
            return None
        for use in uses:
            found = float32_consumer(ctx, use, hops + 1)
            if found is not None:
                return found
        return None
    returned = _returned_from(ctx, node)
    if returned is not None and _is_dataset_getitem(ctx, returned):
        class_def = ctx.enclosing(returned, (cst.ClassDef,))
        return f"the model (`{_clip(class_def.name.value)}.__getitem__` returns it)"
    return None


def _clip(spelled: str, limit: int = 28) -> str:
    spelled = " ".join(spelled.split())
    return spelled if len(spelled) <= limit else spelled[: limit - 3] + "..."


# -- following the tensor ----------------------------------------------------------------
def _climb_dtype_keeping(ctx: FileContext, node: cst.BaseExpression) -> Optional[cst.BaseExpression]:
    """The outermost expression derived from `node` by dtype-keeping steps; None at a cast."""
    while True:
        parent = ctx.parent(node)
        if isinstance(parent, cst.Subscript) and parent.value is node:
            node = parent
            continue
        if isinstance(parent, cst.Attribute) and parent.value is node:
            call = ctx.parent(parent)
            if isinstance(call, cst.Call) and call.func is parent:
                method = parent.attr.value
                if method in _KEEP_DTYPE_METHODS or (method == "to" and _moves_device_only(ctx, call)):
                    node = call
                    continue
                return None  # a cast (`.float()`, `.to(dtype)`) or something we do not know
            if parent.attr.value in _KEEP_DTYPE_PROPERTIES:
                node = parent
                continue
            return None
        return node


def _moves_device_only(ctx: FileContext, call: cst.Call) -> bool:
    """`.to(device)`, `.to("cuda")`, `.to(x.device)`, `.to(device, non_blocking=True)`."""
    positional = [a for a in call.args if a.keyword is None]
    keywords = {a.keyword.value for a in call.args if a.keyword is not None}
    if any(a.star for a in call.args) or not keywords <= {"device", "non_blocking", "copy"}:
        return False
    if len(positional) + ("device" in keywords) != 1:
        return False
    device = positional[0].value if positional else next(a.value for a in call.args if a.keyword)
    return _looks_like_device(ctx, device)


def _looks_like_device(ctx: FileContext, node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value.split(":")[0] in ("cuda", "cpu", "mps", "xpu")
    if isinstance(node, cst.Call):
        return ctx.is_name(node.func, "torch.device")
    last = node.attr.value if isinstance(node, cst.Attribute) else getattr(node, "value", None)
    return isinstance(last, str) and ("device" in last.lower() or last.lower() in ("dev", "gpu"))


def _load_names(ctx: FileContext) -> Dict[str, List[cst.Name]]:
    """name -> Name nodes that read a variable (not attributes, keywords or targets)."""
    found: Dict[str, List[cst.Name]] = {}
    for name in ctx.nodes(cst.Name):
        parent = ctx.parent(name)
        if isinstance(parent, cst.Attribute) and parent.attr is name:
            continue
        if isinstance(parent, (cst.Arg, cst.Param)) and getattr(parent, "keyword", None) is name:
            continue
        if isinstance(parent, (cst.AssignTarget, cst.Param, cst.FunctionDef, cst.ClassDef, cst.ImportAlias,
                               cst.AsName, cst.ImportFrom, cst.AugAssign, cst.For, cst.CompFor)):  # fmt: skip
            if not (isinstance(parent, cst.For) and parent.iter is name) and not (
                isinstance(parent, cst.CompFor) and parent.iter is name
            ):
                continue
        found.setdefault(name.value, []).append(name)
    return found


def _uses_reached_by(ctx: FileContext, statement: cst.Assign, name: str) -> List[cst.Name]:
    scope = ctx.scope_of(statement)
    uses = []
    for use in ctx.memo("float_consumers.load_names", lambda: _load_names(ctx)).get(name, []):
        if ctx.order(use) <= ctx.order(statement) or ctx.scope_of(use) is not scope:
            continue
        if any(a.statement is statement for a in reaching_assignments(ctx, use)):
            uses.append(use)
    return uses


def _attribute_reads(ctx: FileContext, statement: cst.Assign, target: cst.Attribute) -> List[cst.Attribute]:
    """Reads of `self.attr` in the class's methods, when `statement` is its only assignment."""
    if not (isinstance(target.value, cst.Name) and target.value.value == self_name(ctx, statement)):
        return []
    class_def = ctx.enclosing(statement, (cst.ClassDef,))
    attr = target.attr.value
    assigned = attribute_assignments(ctx, class_def, attr) if class_def else []
    if [a.statement for a in assigned] != [statement]:
        return []  # reassigned somewhere: which value a read sees is not known
    reads = []
    for node in ctx.walk(class_def, cst.Attribute):
        if node is target or node.attr.value != attr or not isinstance(node.value, cst.Name):
            continue
        if node.value.value == self_name(ctx, node) and ctx.enclosing(node, (cst.ClassDef,)) is class_def:
            if not isinstance(ctx.parent(node), (cst.AssignTarget, cst.AugAssign)):
                reads.append(node)
    return reads


_TARGET_KEYS = frozenset({"y", "label", "labels", "target", "targets", "mask", "weight", "weights"})


def _returned_from(ctx: FileContext, node: cst.BaseExpression) -> Optional[cst.Return]:
    """The `return` whose value is `node`, the first item of a returned tuple/list (the input,
    by convention; later items are usually targets, which losses accept as float64), or a
    returned dict's value under a key that does not name a target."""
    current = node
    while True:
        parent = ctx.parent(current)
        if isinstance(parent, cst.Return):
            return parent if parent.value is current else None
        holder = ctx.parent(parent) if parent is not None else None
        if isinstance(parent, cst.Element) and isinstance(holder, (cst.Tuple, cst.List)):
            if parent.value is not current or holder.elements[0] is not parent:
                return None
        elif isinstance(parent, cst.DictElement) and isinstance(holder, cst.Dict):
            key = parent.key
            if parent.value is not current or not isinstance(key, cst.SimpleString):
                return None
            if key.evaluated_value.lower() in _TARGET_KEYS:
                return None
        else:
            return None
        current = holder


def _is_dataset_getitem(ctx: FileContext, returned: cst.Return) -> bool:
    function = ctx.enclosing(returned, (cst.FunctionDef,))
    if function is None or function.name.value != "__getitem__":
        return False
    class_def = ctx.scope_of(function)
    if not isinstance(class_def, cst.ClassDef) or not _derives_from(ctx, class_def, "torch.utils.data.Dataset"):
        return False
    return not any(a.keyword is not None and a.keyword.value == "collate_fn" for a in ctx.nodes(cst.Arg))


# -- classes ----------------------------------------------------------------------------
def _classes_by_name(ctx: FileContext) -> Dict[str, List[cst.ClassDef]]:
    found: Dict[str, List[cst.ClassDef]] = {}
    for class_def in ctx.nodes(cst.ClassDef):
        found.setdefault(class_def.name.value, []).append(class_def)
    return found


def same_file_class(ctx: FileContext, node: cst.BaseExpression) -> Optional[cst.ClassDef]:
    """The one class of this file that the bare name `node` spells."""
    if not isinstance(node, cst.Name):
        return None
    classes = ctx.memo("float_consumers.classes", lambda: _classes_by_name(ctx)).get(node.value, [])
    if len(classes) != 1 or local_assignments(ctx, ctx.module).get(node.value):
        return None
    return classes[0]


def _derives_from(ctx: FileContext, class_def: cst.ClassDef, base_name: str, depth: int = 0) -> bool:
    if depth > 5:
        return False
    for base in class_def.bases:
        if base.keyword is not None:
            continue
        if ctx.is_name(base.value, base_name):
            return True
        local = same_file_class(ctx, base.value)
        if local is not None and local is not class_def and _derives_from(ctx, local, base_name, depth + 1):
            return True
    return False


# -- modules ----------------------------------------------------------------------------
def _nn_classes() -> Dict[str, dict]:
    return tables.load("nn_modules")["classes"]


def _owns_float_state(ctx: FileContext, call: cst.Call, entry: dict) -> bool:
    """A torch.nn layer with parameters or buffers, as constructed here."""
    if entry.get("loss") or entry.get("parameters") is None:
        return False
    state = entry["parameters"] or entry["buffers"]
    flags = entry.get("flags") or {}
    if not flags:
        return state
    init_names = [p["name"] for p in entry.get("init", [])]
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in call.args):
        return False
    given: Dict[str, object] = {}
    for index, arg in enumerate(positional):
        if index < len(init_names):
            given[init_names[index]] = arg.value
    for arg in call.args:
        if arg.keyword is not None:
            given[arg.keyword.value] = arg.value
    values = {}
    for flag in flags:
        if flag in given:
            value = given[flag]
            if not (isinstance(value, cst.Name) and value.value in ("True", "False")):
                return False  # a flag decided at run time
            values[flag] = value.value == "True"
    if not values:
        return state
    for variant in entry.get("variants", []):
        args = variant["args"]
        if all(args.get(flag) == value for flag, value in values.items()) and all(
            args[flag] == (not flags[flag][0]["value"]) for flag in args if flag not in values
        ):
            return variant["parameters"] or variant["buffers"]
    return False


def is_float_module_value(ctx: FileContext, node: cst.BaseExpression, depth: int = 0) -> bool:
    """Is `node` a freshly built float32 module: `nn.Linear(...)`, `Net().to(device)`...?"""
    if depth > 4 or not isinstance(node, cst.Call):
        return False
    func = node.func
    if isinstance(func, cst.Attribute) and not ctx.qualified_name(func):
        method = func.attr.value
        if method in _MODULE_CHAIN or (method == "to" and _moves_device_only(ctx, node)):
            receiver = func.value
            if isinstance(receiver, cst.Name):  # `model = model.to(device)`
                return is_float_module(ctx, receiver, depth + 1)
            return is_float_module_value(ctx, receiver, depth + 1)
        return False
    local = same_file_class(ctx, func)
    if local is not None:
        return _derives_from(ctx, local, "torch.nn.Module") and not _casts_its_input(ctx, local)
    imported = _imported_model_class(ctx, node)
    if imported is not None:
        return imported
    name = ctx.call_name(node)
    if name is None:
        return False
    if ctx.is_name(func, "torch.nn.Sequential"):
        return any(is_float_module_value(ctx, a.value, depth + 1) for a in node.args if not a.star)
    entry = _nn_classes().get(name)
    return entry is not None and not entry.get("container") and _owns_float_state(ctx, node, entry)


def _imported_model_class(ctx: FileContext, node: cst.Call) -> Optional[bool]:
    """`Net()` of another first-party file: is it a float32 `nn.Module` that casts nothing itself?
    None when the callee is no project class (analysis.project, across files)."""
    from torchlint.analysis.project import project_of

    project = project_of(ctx)
    symbol = project.class_of(ctx, node)
    if symbol is None or os.path.abspath(symbol.path) == os.path.abspath(ctx.path):
        return None
    return project.derives_from(symbol, "torch.nn.Module") and not project.casts_itself(symbol)


def _casts_its_input(ctx: FileContext, class_def: cst.ClassDef, depth: int = 0) -> bool:
    """Does the model class (or a same-file base) cast anything itself: `x.float()`, `dtype=`...?
    Then a float64 input may be exactly what it expects."""
    if depth > 5:
        return True
    for call in ctx.walk(class_def, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("float", "double", "half", "type", "to"):
            if func.attr.value != "to" or not _moves_device_only(ctx, call):
                return True
        if any(a.keyword is not None and a.keyword.value == "dtype" for a in call.args):
            return True
    for base in class_def.bases:
        local = same_file_class(ctx, base.value)
        if local is not None and local is not class_def and _casts_its_input(ctx, local, depth + 1):
            return True
    return False


def is_float_module(ctx: FileContext, node: cst.BaseExpression, depth: int = 0) -> bool:
    """Does the callee `node` (a name or `self.attr`) hold a float32 module on every path?"""
    if isinstance(node, cst.Name):
        values = _name_values(ctx, node)
    elif isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        if node.value.value != self_name(ctx, node):
            return False
        class_def = ctx.enclosing(node, (cst.ClassDef,))
        values = [a.value for a in attribute_assignments(ctx, class_def, node.attr.value)] if class_def else []
    else:
        return False
    if depth > 4 or not values:
        return False
    if not all(v is not None and is_float_module_value(ctx, v, depth + 1) for v in values):
        return False
    return not _made_float64(ctx, node)


def _name_values(ctx: FileContext, node: cst.Name) -> list:
    reaching = reaching_assignments(ctx, node)
    if reaching:
        return [a.value for a in reaching] if reaching[-1].unconditional else []
    scope = ctx.scope_of(node)
    if not isinstance(scope, cst.FunctionDef) or _is_parameter_or_global(scope, node.value):
        return []
    if local_assignments(ctx, scope).get(node.value):
        return []  # assigned in this function, only later: not the module-level one
    module_level = local_assignments(ctx, ctx.module).get(node.value, [])
    return [a.value for a in module_level] if len(module_level) == 1 else []


def _is_parameter_or_global(function: cst.FunctionDef, name: str) -> bool:
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            every.append(extra)
    return any(p.name.value == name for p in every)


def _made_float64(ctx: FileContext, callee: cst.BaseExpression) -> bool:
    """Is a module spelled like `callee` (or the model class itself) cast to float64 anywhere?"""
    doubled = ctx.memo("float_consumers.doubled", lambda: _float64_receivers(ctx))
    if "*" in doubled:
        return True
    spelled = callee.attr.value if isinstance(callee, cst.Attribute) else callee.value
    return spelled in doubled


def _float64_receivers(ctx: FileContext) -> set:
    """Last names of everything cast with `.double()`/`.to(torch.float64)`; "*" for a global default."""
    found = set()
    for call in ctx.nodes(cst.Call):
        if ctx.is_name(call.func, "torch.set_default_dtype", "torch.set_default_tensor_type"):
            found.add("*")
            continue
        func = call.func
        if not isinstance(func, cst.Attribute):
            continue
        method = func.attr.value
        to_float64 = method in ("to", "type") and any(
            ctx.qualified_name(a.value) in _FLOAT64 or ctx.code(a.value).endswith("DoubleTensor")
            or (isinstance(a.value, cst.SimpleString) and "Double" in a.value.value)
            for a in call.args
        )  # fmt: skip
        if method in _CASTS_TO_FLOAT64 or to_float64:
            receiver = func.value
            if isinstance(receiver, cst.Name) and receiver.value == self_name(ctx, receiver):
                found.add("*")  # a model casting itself
            elif isinstance(receiver, cst.Attribute):
                found.add(receiver.attr.value)
            elif isinstance(receiver, cst.Name):
                found.add(receiver.value)
            else:
                found.add("*")  # `Net().double()`, `super().double()`: play safe
    return found


# -- the consuming call -----------------------------------------------------------------
def _consuming_call(ctx: FileContext, arg: cst.Arg) -> Optional[str]:
    call = ctx.parent(arg)
    if not isinstance(call, cst.Call):
        return None
    func = call.func
    name = ctx.call_name(call)
    if name is not None and name.startswith("torch.nn.functional."):
        return _weighted_functional(ctx, call, arg, name)
    if name is None and is_float_module(ctx, func):
        return f"the float32 `{_clip(ctx.code(func))}(...)`"
    if name is None and is_model_parameter(ctx, func):
        return f"the float32 model `{_clip(ctx.code(func))}(...)`"
    return None


def is_model_parameter(ctx: FileContext, func: cst.BaseExpression) -> bool:
    """`net` in `def score(net, path): ... net(x)` where every call of `score` in this file passes
    a float32 module for `net` (`score(Net(), path)`, `score(model, path)` with `model = Net()`).

    A parameter's name alone (`model`, `net`) does not tell its dtype: scientific code makes
    float64 models on purpose, often in another file, so without a visible caller: silent.
    """
    if not isinstance(func, cst.Name):
        return False
    function = ctx.scope_of(func)
    if not isinstance(function, cst.FunctionDef) or ctx.scope_of(function) is not ctx.module:
        return False
    params = function.params
    if params.star_arg is not None and isinstance(params.star_arg, cst.Param) or params.star_kwarg is not None:
        return False
    ordered = [*params.posonly_params, *params.params]
    names = [p.name.value for p in ordered]
    keyword_only = {p.name.value for p in params.kwonly_params}
    if func.value not in names and func.value not in keyword_only:
        return False
    if local_assignments(ctx, function).get(func.value) or _made_float64(ctx, func):
        return False  # `net = net.double()`, `model = model.module`: not the parameter as given
    if len(local_assignments(ctx, ctx.module).get(function.name.value, [])) or _defined_twice(ctx, function):
        return False
    callers = [c for c in ctx.nodes(cst.Call) if isinstance(c.func, cst.Name) and c.func.value == function.name.value]
    if not callers:
        return False
    position = names.index(func.value) if func.value in names else None
    for call in callers:
        if any(a.star for a in call.args):
            return False
        given = next((a.value for a in call.args if a.keyword is not None and a.keyword.value == func.value), None)
        positional = [a.value for a in call.args if a.keyword is None]
        if given is None and position is not None and position < len(positional):
            given = positional[position]
        if given is None or not _is_float_module_expression(ctx, given):
            return False
    return True


def _defined_twice(ctx: FileContext, function: cst.FunctionDef) -> bool:
    return sum(1 for f in ctx.nodes(cst.FunctionDef) if f.name.value == function.name.value) > 1


def _is_float_module_expression(ctx: FileContext, node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Name, cst.Attribute)):
        return is_float_module(ctx, node)
    return is_float_module_value(ctx, node)


def _weighted_functional(ctx: FileContext, call: cst.Call, arg: cst.Arg, name: str) -> Optional[str]:
    op = name.rsplit(".", 1)[1]
    if op not in WEIGHTED_FUNCTIONAL:
        return None
    index, keyword = WEIGHTED_FUNCTIONAL[op]
    positional = [a for a in call.args if a.keyword is None]
    if not positional or positional[0] is not arg:
        return None  # only the input: a float64 weight would match a float64 input
    weight = next((a for a in call.args if a.keyword is not None and a.keyword.value == keyword), None)
    if weight is None and len(positional) > index:
        weight = positional[index]
    if weight is None or not _is_float32_parameter(ctx, weight.value):
        return None
    return f"`{_clip(ctx.code(call.func), 20)}(...)` (float32 weight)"


def _is_float32_parameter(ctx: FileContext, node: cst.BaseExpression) -> bool:
    """`self.fc.weight` of a float32 module, or `self.w = nn.Parameter(torch.randn(...))`."""
    if not isinstance(node, cst.Attribute):
        return False
    if node.attr.value in ("weight", "bias") and is_float_module(ctx, node.value):
        return True
    if not (isinstance(node.value, cst.Name) and node.value.value == self_name(ctx, node)):
        return False
    class_def = ctx.enclosing(node, (cst.ClassDef,))
    assigned = attribute_assignments(ctx, class_def, node.attr.value) if class_def else []
    return bool(assigned) and all(_is_parameter_factory(ctx, a.value) for a in assigned)


def _is_parameter_factory(ctx: FileContext, node: Optional[cst.BaseExpression]) -> bool:
    if not (isinstance(node, cst.Call) and ctx.is_name(node.func, "torch.nn.Parameter") and node.args):
        return False
    data = node.args[0].value
    return (isinstance(data, cst.Call) and ctx.call_name(data) in _TORCH_FACTORIES
            and not any(a.keyword is not None and a.keyword.value == "dtype" for a in data.args))  # fmt: skip
