"""Train/eval mode facts: which calls choose a model's mode, and which models care.

TL601 (missing-eval) and TL602 (missing-train-after-eval) ask the same questions:

- `mode_calls_in(ctx, root)`: the calls inside `root` that put a model in eval or
  training mode -- `m.eval()`, `m.train()`, `m.train(False)`, `m.module.eval()` -- also
  through same-file functions (`validate(model)` whose body calls `model.eval()`), and
  calls that might (`m.train(flag)`, `evaluate(model)` imported from elsewhere).
- `related(ctx, a, b)`: do two model keys ("model", "self.net") name the same module, or
  one a submodule or wrapper of the other (`model = DDP(net)`)?
- `model_status(ctx, expr)`: does the model behind `expr` (a same-file `nn.Module`
  class, an `nn.Sequential(...)`, ...) have mode-dependent layers (dropout, batch norm
  with running statistics, anything reading `self.training`)?  DEPENDENT when we can
  see such a layer, INDEPENDENT when we can see every layer and none is, else UNKNOWN.
- `training_step_in(ctx, root)`: does `root` run a backward pass or an optimizer step?

Keys are dotted names as spelled where they are used, with `.module` (the
DataParallel/DDP wrapper's inner model) and `.forward` stripped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set

import libcst as cst

from torchlint.analysis.dataflow import attribute_assignments, local_assignments, reaching_assignments, self_name
from torchlint.analysis.facts import bind_arguments, resolve_call, same_file_class
from torchlint.analysis.facts import call_sites as facts_call_sites
from torchlint.analysis.modules import (
    DEPENDENT,
    INDEPENDENT,
    UNRESOLVED,
    module_class_kind,
    nn_class_status,
    nn_classes,
)
from torchlint.analysis.modules import literal_bool as _literal_bool
from torchlint.analysis.words import _EVAL_WORDS, _ROLE_WORDS, eval_role_name, words  # noqa: F401 (defined there)
from torchlint.context import FileContext
from torchlint.names import dotted_name

EVAL, TRAIN, UNKNOWN = "eval", "train", "unknown"

_MAX_DEPTH = 4
# Methods that return the module itself: `model.to(device).eval()` sets `model`'s mode.
_SELF_RETURNING = frozenset({"to", "cuda", "cpu", "half", "float", "double", "bfloat16", "eval", "train",
                             "requires_grad_", "share_memory", "to_empty", "type"})  # fmt: skip
# Wrappers whose result runs the wrapped module (`m = DDP(net)`: `m.eval()` is `net.eval()`).
_WRAPPER_WORDS = ("DataParallel", "DDP", "FSDP", "FullyShardedDataParallel", "compile", "wrap",
                  "convert_sync_batchnorm")  # fmt: skip
# A call that hands a model to code we cannot see may choose its mode when its name says so.
_MODE_WORDS = frozenset({"eval", "evaluate", "evaluation", "train", "training", "mode", "infer", "inference",
                         "valid", "validate", "validation", "test", "predict", "fit", "freeze", "dropout",
                         "prepare", "setup"})  # fmt: skip
_BUILTINS = frozenset({"print", "len", "isinstance", "type", "id", "str", "repr", "hasattr", "getattr",
                       "setattr", "list", "tuple", "dict", "set", "sum", "min", "max", "abs", "round",
                       "int", "float", "bool", "sorted", "reversed", "enumerate", "zip", "map", "filter",
                       "any", "all", "range", "super", "iter", "next", "format", "vars", "issubclass",
                       "callable", "hash", "divmod", "pow", "slice", "object", "open"})  # fmt: skip
_GRAD_DISABLING = ("torch.no_grad", "torch.inference_mode")
# Libraries whose calls never build a layer with its own train/eval behaviour (torch's own modules
# are judged by the nn_modules table before this applies): `math.exp`, `np.arange` in an SSIM window.
_LAYER_FREE_LIBRARIES = frozenset({"torch", "math", "numpy", "random", "itertools", "functools", "operator",
                                   "collections", "warnings", "logging", "einops"})  # fmt: skip
# ... except the torch functions that hand back a whole model we cannot see into.
_MODEL_RETURNING = frozenset({"torch.hub.load", "torch.load", "torch.jit.load", "torch.jit.script", "torch.jit.trace",
                              "torch.compile", "torch.export.load"})  # fmt: skip


@dataclass(frozen=True)
class ModeCall:
    """A call inside the analysed region that chooses (or may choose) a model's mode."""

    node: cst.Call  # the call in the region: `m.eval()` or `validate(m)`
    key: str  # the model as spelled in the region
    kind: str  # EVAL, TRAIN or UNKNOWN
    named: bool = True  # UNKNOWN only: does the callee's name suggest it sets a mode?


# -- keys -------------------------------------------------------------------------------
def model_key(expr: cst.BaseExpression) -> Optional[str]:
    """`model.module` -> "model"; `net.to(d)` -> "net"; `self.m.forward` -> "self.m"; else None."""
    while True:
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and \
                expr.func.attr.value in _SELF_RETURNING:  # fmt: skip
            expr = expr.func.value
        elif isinstance(expr, cst.Subscript):  # `models[0]`: one of `models`
            expr = expr.value
        else:
            break
    spelled = dotted_name(expr)
    if spelled is None:
        return None
    parts = spelled.split(".")
    while len(parts) > 1 and parts[-1] in ("module", "forward", "_orig_mod"):
        parts.pop()
    return ".".join(parts)


def model_expression(expr: cst.BaseExpression) -> cst.BaseExpression:
    """The expression naming the model itself: `model.module.forward` -> `model`."""
    while isinstance(expr, cst.Attribute) and expr.attr.value in ("module", "forward", "_orig_mod"):
        expr = expr.value
    return expr


def _aliases(ctx: FileContext) -> Dict[str, str]:
    """Union-find parents: keys that name the same module (`model = DDP(net)`, `m = model.module`)."""

    def compute():
        parent: Dict[str, str] = {}

        def find(k):
            while parent.get(k, k) != k:
                k = parent[k]
            return k

        def union(target_key, source):
            if target_key is not None and source is not None and target_key != source:
                a, b = find(target_key), find(source)
                if a != b:
                    parent[a] = b

        for node in ctx.nodes(cst.Assign):
            source = _wrapped_key(ctx, node.value)
            for target in node.targets:
                if isinstance(target.target, (cst.Name, cst.Attribute)):
                    union(model_key(target.target), source)
        for loop in ctx.nodes(cst.For):  # `for m in models: m.eval()`
            if isinstance(loop.target, cst.Name) and isinstance(loop.iter, (cst.Name, cst.Attribute)):
                union(loop.target.value, model_key(loop.iter))
        return {k: find(k) for k in list(parent)}

    return ctx.memo("modes.aliases", compute)


def _wrapped_key(ctx: FileContext, value: cst.BaseExpression) -> Optional[str]:
    if isinstance(value, (cst.Name, cst.Attribute)):
        return model_key(value)
    if not isinstance(value, cst.Call):
        return None
    if isinstance(value.func, cst.Attribute) and value.func.attr.value in _SELF_RETURNING:
        return model_key(value)
    spelled = dotted_name(value.func) or ""
    if not (value.args and value.args[0].keyword is None and not value.args[0].star):
        return None
    if any(word in spelled for word in _WRAPPER_WORDS):
        return model_key(value.args[0].value)
    # `scripted = torch.jit.script(model)`, `copy.deepcopy(model)`, `prepare(model)`: code we cannot see
    # that may return the same module or a copy in the same mode.
    if spelled and (spelled.split(".", 1)[0] in imported_roots(ctx) or isinstance(value.func, cst.Attribute)):
        if resolve_call(ctx, value) is None and isinstance(value.args[0].value, (cst.Name, cst.Attribute)):
            return model_key(value.args[0].value)
    return None


def _canonical(ctx: FileContext, key: str) -> str:
    aliases = _aliases(ctx)
    return aliases.get(key, key)


def related(ctx: FileContext, a: str, b: str) -> bool:
    """Same module, a wrapper of it, or one a submodule of the other (`self` and `self.model`)."""
    if a == b or a.startswith(b + ".") or b.startswith(a + "."):
        return True
    ca, cb = _canonical(ctx, a), _canonical(ctx, b)
    if ca == cb:
        return True
    root_a, _, rest_a = a.partition(".")
    root_b, _, rest_b = b.partition(".")
    # `m = DDP(net)`: `m.encoder` and `net.encoder` are one module.
    return bool(rest_a) and rest_a == rest_b and _canonical(ctx, root_a) == _canonical(ctx, root_b)


# -- mode calls -------------------------------------------------------------------------
def inside_nested_scope(ctx: FileContext, node: cst.CSTNode, root: cst.CSTNode) -> bool:
    return ctx.inside_nested_scope(node, root)


def own_calls(ctx: FileContext, root: cst.CSTNode) -> List[cst.Call]:
    """Calls made by `root` itself (not by functions or classes defined inside it)."""

    def compute():
        calls = ctx.nodes(cst.Call) if root is ctx.module else list(ctx.walk(root, cst.Call))
        return [c for c in calls if not inside_nested_scope(ctx, c, root)]

    return ctx.memo(("modes.own_calls", id(root)), compute)


def direct_mode_kind(call: cst.Call) -> Optional[str]:
    """EVAL for `m.eval()`/`m.train(False)`, TRAIN for `m.train()`, UNKNOWN for `m.train(flag)`."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    if func.attr.value == "eval" and not call.args:
        return EVAL
    if func.attr.value != "train":
        return None
    if not call.args:
        return TRAIN
    if len(call.args) == 1 and (call.args[0].keyword is None or call.args[0].keyword.value == "mode"):
        value = _literal_bool(call.args[0].value)
        if value is None:
            return UNKNOWN
        return TRAIN if value else EVAL
    return None


def mode_calls_in(ctx: FileContext, root: cst.CSTNode) -> List[ModeCall]:
    """Calls in `root` that choose a model's mode, keys as spelled in `root`."""
    known: Dict[int, List[ModeCall]] = ctx.memo("modes.calls_in", dict)
    if id(root) not in known:
        known[id(root)] = []  # recursion guard: a function that calls itself adds nothing new
        known[id(root)] = _mode_calls_in(ctx, root)
    return known[id(root)]


def _mode_calls_in(ctx: FileContext, root: cst.CSTNode) -> List[ModeCall]:
    found: List[ModeCall] = []
    for call in own_calls(ctx, root):
        kind = direct_mode_kind(call)
        if kind is not None:
            key = model_key(call.func.value)
            if key is not None:
                found.append(ModeCall(call, key, kind))
            continue
        callee = resolve_call(ctx, call)
        if callee is not None:
            found.extend(_through_call(ctx, call, callee))
            continue
        found.extend(_opaque_call(ctx, call))
    return found


def _through_call(ctx: FileContext, call: cst.Call, callee: cst.FunctionDef):
    """The callee's mode calls, re-spelled with the caller's arguments."""
    inner = mode_calls_in(ctx, callee)
    params = _param_names(callee)
    own_locals = set(local_assignments(ctx, callee))
    bound = bind_arguments(ctx, call, callee)
    for mode_call in inner:
        root, _, rest = mode_call.key.partition(".")
        if root in params:
            if root not in bound:
                continue
            outer = model_key(bound[root])
            if outer is None:
                continue
            key = f"{outer}.{rest}" if rest else outer
        elif root in own_locals:
            continue  # a model the callee builds itself
        else:
            key = mode_call.key  # a global (or closure) name: the same object here
        yield ModeCall(call, key, mode_call.kind, mode_call.named)


def _remote_mode_calls(ctx: FileContext, call: cst.Call) -> Optional[List[ModeCall]]:
    """`evaluate(model, loader)` imported from another file of the project: what its summary says it
    does to each model handed in -- EVAL for `model.eval()`, TRAIN for `model.train()`, UNKNOWN when
    both or when it passes the model on to code it cannot see -- or None when the callee is not a
    first-party function we can read."""
    from torchlint.analysis.project import project_of

    project = project_of(ctx)
    target = project.call_target(ctx, call)
    if target is None or target.kind != "function":
        return None
    facts = project.function_facts(target)
    summary = project.summary(target.path)
    if facts is None or summary is None or facts.get("self"):
        return None
    params = facts["params"]
    found: List[ModeCall] = []
    index = 0
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            param = params[index] if index < len(params) else None
            index += 1
        else:
            param = arg.keyword.value if arg.keyword.value in params else None
        outer = model_key(arg.value) if isinstance(arg.value, (cst.Name, cst.Attribute)) else None
        if param is None or outer is None:
            continue
        found.extend(_remote_param_modes(call, outer, param, facts, summary))
    return found


def _remote_param_modes(call: cst.Call, outer: str, param: str, facts: dict, summary: dict) -> List[ModeCall]:
    found = []
    for path in facts["methods"].get(param, []):
        sub, _, method = path.rpartition(".")
        if method not in ("eval", "train"):
            continue
        key = model_key(cst.parse_expression(f"{outer}.{sub}")) if sub else outer
        found.append(ModeCall(call, key or outer, EVAL if method == "eval" else TRAIN))
    if {c.kind for c in found} == {EVAL, TRAIN}:
        return [ModeCall(call, outer, UNKNOWN, True)]  # sets both: which one last depends on its order
    if not found and _passed_on(param, facts, summary):
        found.append(ModeCall(call, outer, UNKNOWN, True))
    return found


def _passed_on(param: str, facts: dict, summary: dict) -> bool:
    """Does the function hand `param` (or something computed from it) to an imported function other
    than torch's, which may set the mode?  Forwards, methods of the model, same-file functions
    (already folded into `methods`), torch and callables that are themselves locals or parameters
    (`criterion(model(x), y)`) do not count."""
    for spelled, slots, _line in facts["calls"]:
        if not any(param in names and slot != "receiver" for slot, names in slots):
            continue
        binding = summary["names"].get(spelled.split(".", 1)[0])
        if binding is None or binding[0] == "def":
            continue  # a local, a parameter, a builtin, or a function of that file
        imported = binding[1] if binding[0] == "module" else (binding[2] if binding[0] == "import" else "")
        if isinstance(imported, str) and (imported == "torch" or imported.startswith("torch.")):
            continue
        return True
    return False


def _opaque_call(ctx: FileContext, call: cst.Call) -> List[ModeCall]:
    """A call we cannot see into that is handed a model, or a mode-ish method on one."""
    func = call.func
    spelled = dotted_name(func) or ""
    last = spelled.rsplit(".", 1)[-1]
    qualified = ctx.qualified_name(func) if spelled else None
    if spelled in _BUILTINS or (qualified or "").startswith("torch."):
        return []
    if isinstance(func, cst.Name) and func.value not in imported_roots(ctx) and "*" not in imported_roots(ctx):
        return []  # a local callable (a model's forward, a loss): not code that sets modes
    remote = _remote_mode_calls(ctx, call)
    if remote is not None:
        return remote
    if isinstance(func, cst.Name) and func.value not in imported_roots(ctx):
        return []
    named = bool(set(words(last)) & _MODE_WORDS)
    found = []
    if isinstance(func, cst.Attribute) and (named or func.attr.value == "apply"):
        key = model_key(func.value)
        if key is not None:
            found.append(ModeCall(call, key, UNKNOWN, True))
    for arg in call.args:
        if isinstance(arg.value, (cst.Name, cst.Attribute)):
            key = model_key(arg.value)
            if key is not None:
                found.append(ModeCall(call, key, UNKNOWN, named))
    return found


def _param_names(function: cst.FunctionDef) -> Set[str]:
    params = function.params
    names = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.add(star.name.value)
    return names


param_names = _param_names


# -- does the model care about its mode? --------------------------------------------------
@dataclass(frozen=True)
class Status:
    verdict: str  # DEPENDENT, INDEPENDENT or UNRESOLVED
    evidence: str = ""  # "`Net` builds `nn.Dropout`"


_UNRESOLVED = Status(UNRESOLVED)
_INDEPENDENT = Status(INDEPENDENT)


def combine(statuses: Sequence[Status]) -> Status:
    for status in statuses:
        if status.verdict == DEPENDENT:
            return status
    if statuses and all(s.verdict == INDEPENDENT for s in statuses):
        return _INDEPENDENT
    return _UNRESOLVED


def _short(qualified: str) -> str:
    return "nn." + qualified.rsplit(".", 1)[-1]


def imported_roots(ctx: FileContext):
    """Names bound by imports in this file."""
    return ctx.import_bindings()


def body_status(ctx: FileContext, root: cst.CSTNode, depth: int = 0, inference: bool = False) -> Status:
    """What the layers built inside a class body or a builder function tell us."""
    known: Dict[tuple, Status] = ctx.memo("modes.body_status", dict)
    key = (id(root), inference)
    if key not in known:
        known[key] = _UNRESOLVED  # recursion guard: a class that builds itself is not resolved
        known[key] = _body_status(ctx, root, depth, inference)
    return known[key]


def _body_status(ctx: FileContext, root: cst.CSTNode, depth: int, inference: bool) -> Status:
    label = root.name.value if isinstance(root, (cst.ClassDef, cst.FunctionDef)) else "model"
    all_known = True
    if isinstance(root, cst.ClassDef):
        for base in root.bases:
            base_status = _base_status(ctx, base.value, depth, inference)
            if base_status.verdict == DEPENDENT:
                return Status(DEPENDENT, f"`{label}` derives from `{ctx.code(base.value)}`")
            all_known &= base_status.verdict == INDEPENDENT
    for attr in ctx.walk(root, cst.Attribute):
        if attr.attr.value == "training" and isinstance(attr.value, cst.Name) and attr.value.value == "self":
            return Status(DEPENDENT, f"`{label}` reads `self.training`")
    for name in ctx.walk(root, cst.Name):
        other = same_file_class(ctx, name.value)
        if other is not None and other is not root and depth < _MAX_DEPTH:
            kind = _module_kind(ctx, other)
            if kind is False:
                continue  # a plain object is no submodule: `.eval()` never reaches it (project.is_module)
            inner = body_status(ctx, other, depth + 1, inference)
            if inner.verdict == DEPENDENT and kind:
                return Status(DEPENDENT, f"`{label}` uses `{other.name.value}`, which {_tail(inner)}")
            all_known &= inner.verdict == INDEPENDENT
    for call in ctx.walk(root, cst.Call):
        verdict = _call_layer_status(ctx, call, depth, inference)
        if verdict.verdict == DEPENDENT:
            return Status(DEPENDENT, verdict.evidence.replace("{label}", label))
        all_known &= verdict.verdict == INDEPENDENT
    return _INDEPENDENT if all_known else _UNRESOLVED


def _module_kind(ctx: FileContext, class_def: cst.ClassDef) -> Optional[bool]:
    """Is a same-file class an `nn.Module` (True), a plain class (False), or unknown (None)?  Bases
    this file cannot see are asked of the project (`Project.is_module`, the cross-file answer)."""
    kind = module_class_kind(ctx, class_def)
    if kind is None:
        from torchlint.analysis.project import project_of

        project = project_of(ctx)
        symbol = project.class_of(ctx, class_def.name)
        kind = project.is_module(symbol) if symbol is not None else None
    return kind


def _tail(status: Status) -> str:
    """"`Block` builds `nn.Dropout`" -> "builds `nn.Dropout`"."""
    text = status.evidence
    return text.split("` ", 1)[1] if "` " in text else text


def _base_status(ctx: FileContext, base: cst.BaseExpression, depth: int, inference: bool) -> Status:
    if ctx.is_name(base, "torch.nn.Module") or dotted_name(base) == "object":
        return _INDEPENDENT
    qualified = ctx.qualified_name(base)
    if qualified is not None and qualified in nn_classes():
        entry = nn_classes()[qualified]
        return Status(DEPENDENT if entry.get("mode_dependent") else INDEPENDENT)
    if isinstance(base, cst.Name):
        other = same_file_class(ctx, base.value)
        if other is not None and depth < _MAX_DEPTH:
            return body_status(ctx, other, depth + 1, inference)
    return project_status(ctx, base, inference) or _UNRESOLVED


def project_status(ctx: FileContext, expr: cst.BaseExpression, inference: bool = False) -> Optional[Status]:
    """An imported first-party class (`from models import Net`; `Net(...)`, `models.Net`), or a call
    of an imported factory that returns instances of such classes, judged across files by the
    project model; None when it cannot tell (not first-party, no project, unknown layers)."""
    from torchlint.analysis.project import project_of

    project = project_of(ctx)
    dependent, evidence = project.mode_status(ctx, expr, inference)
    if dependent is None and isinstance(expr, cst.Call):
        dependent, evidence = _factory_status(ctx, project, expr, inference)
    if dependent is True:
        return Status(DEPENDENT, evidence)
    if dependent is False:
        return _INDEPENDENT
    return None


def _factory_status(ctx: FileContext, project, call: cst.Call, inference: bool):
    """`model = build_model(cfg)` from another file that returns `Net(...)`: that class's answer."""
    remote = project.remote_values(ctx, call)
    if not remote or remote[1] or not remote[0]:
        return None, ""
    verdicts = []
    for value in remote[0]:
        symbol = project.resolve(value.path, value.value.get("cls")) if value.value.get("k") == "instance" else None
        facts = project.class_facts(symbol, inference) if symbol is not None and symbol.kind == "class" else None
        if facts is None:
            return None, ""
        if facts["mode_dependent"]:
            return True, facts["evidence"]
        verdicts.append(facts["mode_dependent"])
    return (False, "") if verdicts and all(v is False for v in verdicts) else (None, "")


def _imported_layer_status(ctx: FileContext, call: cst.Call, inference: bool) -> Optional[Status]:
    found = project_status(ctx, call, inference)
    if found is not None and found.verdict == DEPENDENT:
        return Status(DEPENDENT, f"`{{label}}` uses {found.evidence.replace(') ', '), which ', 1)}")
    return found


def _call_layer_status(ctx: FileContext, call: cst.Call, depth: int, inference: bool) -> Status:
    """INDEPENDENT for calls that cannot build a mode-dependent layer, DEPENDENT for one that does."""
    func = call.func
    qualified = ctx.call_name(call)
    if qualified is not None:
        status = nn_class_status(ctx, call, qualified, inference)
        if status == DEPENDENT:
            return Status(DEPENDENT, f"`{{label}}` builds `{_short(qualified)}`")
        if status == UNRESOLVED:
            return _UNRESOLVED
        if qualified in _MODEL_RETURNING:
            return _UNRESOLVED
        if qualified.split(".", 1)[0] in _LAYER_FREE_LIBRARIES:
            return _INDEPENDENT
        return _imported_layer_status(ctx, call, inference) or _UNRESOLVED
    if isinstance(func, cst.Name):
        if func.value in _BUILTINS:
            return _INDEPENDENT
        if same_file_class(ctx, func.value) is not None:
            return _INDEPENDENT  # judged through the class name itself
        callee = resolve_call(ctx, call)
        if callee is not None and depth < _MAX_DEPTH:
            inner = body_status(ctx, callee, depth + 1, inference)
            if inner.verdict == DEPENDENT:
                return Status(DEPENDENT, f"`{{label}}` calls `{callee.name.value}()`, which {_tail(inner)}")
            return inner
        return _imported_layer_status(ctx, call, inference) or _UNRESOLVED
    if isinstance(func, cst.Attribute):
        root = dotted_name(func)
        if root is not None and root.split(".", 1)[0] in imported_roots(ctx):
            # `models.resnet18()`, `timm.create_model()`: layers we cannot see, unless first-party
            return _imported_layer_status(ctx, call, inference) or _UNRESOLVED
        if func.attr.value[:1].isupper():
            return _UNRESOLVED  # a class reached through an object
        # `x.view(...)`, `self.fc(x)`, `layers.append(...)`, `self._make_layer(...)` (whose body is
        # in the class anyway): methods of values, not factories of layers we cannot see.
        return _INDEPENDENT
    return _UNRESOLVED


def model_status(ctx: FileContext, expr: cst.BaseExpression, depth: int = 0, inference: bool = False) -> Status:
    """Does the model `expr` evaluates to have mode-dependent layers?"""
    if depth > _MAX_DEPTH:
        return _UNRESOLVED
    expr = model_expression(expr)
    if isinstance(expr, cst.Call):
        return _constructed_status(ctx, expr, depth, inference)
    if isinstance(expr, cst.Name):
        return _name_status(ctx, expr, depth, inference)
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        if expr.value.value == self_name(ctx, expr):
            class_def = ctx.enclosing(expr, (cst.ClassDef,))
            assigned = attribute_assignments(ctx, class_def, expr.attr.value) if class_def else []
            if not assigned:
                return _UNRESOLVED
            return combine([model_status(ctx, a.value, depth + 1, inference) for a in assigned])
    return _UNRESOLVED


def _constructed_status(ctx: FileContext, call: cst.Call, depth: int, inference: bool) -> Status:
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in _SELF_RETURNING:
        return model_status(ctx, func.value, depth + 1, inference)
    qualified = ctx.call_name(call)
    if qualified is not None:
        entry = nn_classes().get(qualified)
        if entry is not None and entry.get("container"):
            return _container_status(ctx, call, qualified, depth, inference)
        status = nn_class_status(ctx, call, qualified, inference)
        if status is not None:
            return Status(status, f"it is `{_short(qualified)}`" if status == DEPENDENT else "")
    spelled = dotted_name(func) or ""
    if any(word in spelled for word in _WRAPPER_WORDS) and call.args and call.args[0].keyword is None:
        return model_status(ctx, call.args[0].value, depth + 1, inference)
    if isinstance(func, cst.Name):
        class_def = same_file_class(ctx, func.value)
        if class_def is not None:
            statuses = [body_status(ctx, class_def, 0, inference)]
            for arg in call.args:  # `ResNet(BasicBlock, [2, 2, 2, 2])`: the block class decides too
                if isinstance(arg.value, cst.Name) and same_file_class(ctx, arg.value.value) is not None:
                    statuses.append(body_status(ctx, same_file_class(ctx, arg.value.value), 0, inference))
            found = combine(statuses)
            if found.verdict == DEPENDENT or not any(s.verdict == UNRESOLVED for s in statuses):
                return found
            return _UNRESOLVED
        callee = resolve_call(ctx, call)
        if callee is not None:
            returns = [r.value for r in ctx.walk(callee, cst.Return)
                       if r.value is not None and not inside_nested_scope(ctx, r, callee)]  # fmt: skip
            if returns:
                return combine([model_status(ctx, value, depth + 1, inference) for value in returns])
    found = project_status(ctx, call, inference)
    if found is not None:
        return found
    if metric_class_name(spelled.rsplit(".", 1)[-1]):
        return _INDEPENDENT  # `lpips.LPIPS(net="alex")`, `SSIM()`, `PerceptualLoss()`: a measure, not the model
    return _UNRESOLVED


# Classes (seen only by name) that measure outputs rather than produce them.
_METRIC_PARTS = ("loss", "metric", "psnr", "ssim", "lpips", "criterion")


def metric_class_name(name: str) -> bool:
    """`PSNR`, `SSIM`, `LPIPS`, `MSELoss`, `PerceptualLoss`, `Metric`: a class name that says metric or loss."""
    return name[:1].isupper() and any(part in name.lower() for part in _METRIC_PARTS)


def _container_status(ctx: FileContext, call: cst.Call, qualified: str, depth: int, inference: bool) -> Status:
    statuses = []
    for arg in call.args:
        if arg.star:
            return _UNRESOLVED
        values = [arg.value]
        if isinstance(arg.value, (cst.List, cst.Tuple)):
            values = [element.value for element in arg.value.elements]
        elif isinstance(arg.value, cst.Dict):
            values = [element.value for element in arg.value.elements]
        statuses.extend(model_status(ctx, value, depth + 1, inference) for value in values)
    found = combine(statuses)
    if found.verdict == DEPENDENT:
        inner = found.evidence
        inner = inner[len("it is "):] if inner.startswith("it is ") else f"a layer where {inner}"
        return Status(DEPENDENT, f"its `{_short(qualified)}` contains {inner}")
    return found if statuses else _INDEPENDENT


def _name_status(ctx: FileContext, name: cst.Name, depth: int, inference: bool) -> Status:
    scope = ctx.scope_of(name)
    while isinstance(scope, cst.ClassDef):
        scope = ctx.scope_of(scope)
    assigned = local_assignments(ctx, scope).get(name.value, [])
    statuses: List[Status] = []
    open_ended = True
    if assigned:
        reaching = reaching_assignments(ctx, name)
        statuses.extend(model_status(ctx, a.value, depth + 1, inference) if a.value is not None else _UNRESOLVED
                        for a in reaching)  # fmt: skip
        open_ended = not reaching or not reaching[-1].unconditional
        if not reaching:
            statuses.extend(model_status(ctx, a.value, depth + 1, inference) if a.value is not None else _UNRESOLVED
                            for a in assigned)  # fmt: skip
            open_ended = False
    if open_ended:
        if isinstance(scope, cst.FunctionDef) and name.value in _param_names(scope):
            statuses.extend(_param_status(ctx, scope, name.value, depth, inference))
        elif isinstance(scope, cst.FunctionDef):
            globals_ = local_assignments(ctx, ctx.module).get(name.value, [])
            if not globals_:
                statuses.append(_UNRESOLVED)
            statuses.extend(model_status(ctx, a.value, depth + 1, inference) if a.value is not None else _UNRESOLVED
                            for a in globals_)  # fmt: skip
        elif not assigned:
            statuses.append(_UNRESOLVED)
    return combine(statuses)


def _param_status(ctx: FileContext, function: cst.FunctionDef, param: str, depth: int,
                  inference: bool) -> List[Status]:
    sites = constructor_or_call_sites(ctx, function)
    if not sites:
        return [_UNRESOLVED]
    statuses = []
    for call in sites:
        bound = bind_arguments(ctx, call, function).get(param)
        statuses.append(model_status(ctx, bound, depth + 1, inference) if bound is not None else _UNRESOLVED)
    return statuses


def call_sites(ctx: FileContext, function: cst.FunctionDef) -> List[cst.Call]:
    """Same-file calls that run `function`."""

    def compute():
        sites: Dict[int, List[cst.Call]] = {}
        for call in ctx.nodes(cst.Call):
            callee = resolve_call(ctx, call)
            if callee is not None:
                sites.setdefault(id(callee), []).append(call)
        return sites

    return ctx.memo("modes.call_sites", compute).get(id(function), [])


def constructor_or_call_sites(ctx: FileContext, function: cst.FunctionDef) -> List[cst.Call]:
    """Same-file calls that run `function`, `Class(...)` included for `Class.__init__`."""
    return facts_call_sites(ctx, function)


def injected_attribute(ctx: FileContext, class_def: cst.ClassDef, attr: str):
    """`self.<attr> = <param>` in `__init__`: (the `__init__`, the parameter, the other assignments
    of the attribute anywhere in the class), or None when `__init__` does not store a parameter there."""
    init = next((m for m in ctx.walk(class_def, cst.FunctionDef)
                 if ctx.scope_of(m) is class_def and m.name.value == "__init__"), None)  # fmt: skip
    if init is None:
        return None
    params = _param_names(init)
    stored, others = None, []
    for assignment in attribute_assignments(ctx, class_def, attr):
        value = assignment.value
        from_param = (isinstance(value, cst.Name) and value.value in params and ctx.contains(init, assignment.statement)
                      and not local_assignments(ctx, init).get(value.value))  # fmt: skip
        if from_param and stored is None:
            stored = value.value
        else:
            others.append(assignment)
    return (init, stored, others) if stored is not None else None


def referenced_other_than_called(ctx: FileContext, function: cst.FunctionDef) -> bool:
    """Is the function's name used other than as the callee of a call (a callback, an export)?"""
    name = function.name.value
    for node in ctx.nodes(cst.Name):
        if node.value != name or node is function.name:
            continue
        parent = ctx.parent(node)
        if isinstance(parent, cst.Call) and parent.func is node:
            continue
        if isinstance(parent, cst.Attribute) and parent.attr is node:
            grand = ctx.parent(parent)
            if isinstance(grand, cst.Call) and grand.func is parent:
                continue
        return True
    return False


# -- training and evaluation contexts ---------------------------------------------------
def is_training_call(ctx: FileContext, call: cst.Call) -> bool:
    """`loss.backward()`, `optimizer.step()`, `scaler.step(opt)`, `torch.autograd.grad(...)`."""
    func = call.func
    if ctx.is_name(func, "torch.autograd.grad", "torch.autograd.backward"):
        return True
    if not isinstance(func, cst.Attribute):
        return False
    if func.attr.value == "backward":
        return True
    if func.attr.value in ("step", "zero_grad"):
        receiver = (dotted_name(func.value) or "").lower()
        return "opt" in receiver or "scaler" in receiver
    return False


def training_step_in(ctx: FileContext, root: cst.CSTNode, depth: int = 0) -> bool:
    """Does `root` run a backward pass or an optimizer step (directly or in same-file callees)?"""
    return first_training_call(ctx, root, depth) is not None


def first_training_call(ctx: FileContext, root: cst.CSTNode, depth: int = 0) -> Optional[cst.Call]:
    """The first call in `root` that trains: directly, or a same-file call whose body does."""
    known: Dict[int, Optional[cst.Call]] = ctx.memo("modes.first_training", dict)
    if depth == 0 and id(root) in known:
        return known[id(root)]
    found = None
    for call in own_calls(ctx, root):
        if is_training_call(ctx, call):
            found = call
            break
        callee = resolve_call(ctx, call)
        if callee is not None and callee is not root and depth < _MAX_DEPTH:
            if first_training_call(ctx, callee, depth + 1) is not None:
                found = call
                break
        elif callee is None and _remote_training_step(ctx, call):
            found = call
            break
    if depth == 0:
        known[id(root)] = found
    return found


def _remote_training_step(ctx: FileContext, call: cst.Call) -> bool:
    """`train_one_epoch(model, loader, optimizer)` imported from another file of the project whose
    summary says it runs a backward pass or an optimizer step."""
    if not isinstance(call.func, (cst.Name, cst.Attribute)) or (ctx.call_name(call) or "").startswith("torch."):
        return False
    from torchlint.analysis.project import project_of

    project = project_of(ctx)
    target = project.call_target(ctx, call)
    facts = project.function_facts(target) if target is not None and target.kind == "function" else None
    return bool(facts and facts.get("training_step"))


def backward_through(ctx: FileContext, region: cst.CSTNode, key: str) -> bool:
    """Does a `.backward()` in `region` run on a value computed from `key`'s forward outside
    `no_grad` (`out = net(x); loss = criterion(out, y); loss.backward()`)?  Names are followed through
    their assignments in the enclosing function (or module), a few steps deep."""
    scope = ctx.enclosing(region, (cst.FunctionDef,)) or ctx.module
    for call in ctx.walk(region, cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "backward":
            if _computed_from_forward(ctx, func.value, key, scope, 0):
                return True
    return False


def _computed_from_forward(ctx: FileContext, expr: cst.BaseExpression, key: str, scope, depth: int) -> bool:
    if depth > 4:
        return False
    calls = [expr] if isinstance(expr, cst.Call) else []
    for call in [*calls, *ctx.walk(expr, cst.Call)]:
        if _forward_of(ctx, call, key) and not any(
            isinstance(a, cst.With) and grad_disabled_with(ctx, a) for a in ctx.ancestors(call)
        ):
            return True
    names = [expr] if isinstance(expr, cst.Name) else list(ctx.walk(expr, cst.Name))
    for name in names:
        for assignment in local_assignments(ctx, scope).get(name.value, []):
            if assignment.value is not None and _computed_from_forward(ctx, assignment.value, key, scope, depth + 1):
                return True
    return False


def _forward_of(ctx: FileContext, call: cst.Call, key: str) -> bool:
    func = model_expression(call.func)
    return isinstance(func, (cst.Name, cst.Attribute)) and model_key(func) == key


def optimized(ctx: FileContext, key: str) -> bool:
    """Is some `key.parameters()` given to code (an optimizer, gradient clipping)?  A frozen teacher
    is not: its parameters are at most counted or iterated to set `requires_grad`."""
    for call in ctx.nodes(cst.Call):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value in ("parameters", "named_parameters")):
            continue
        owner = dotted_name(func.value)
        if owner is None or not related(ctx, key, strip_module(owner)):
            continue
        statement = ctx.statement_of(call)
        text = ctx.code(statement) if statement is not None else ""
        if "numel" in text or "requires_grad" in text:
            continue
        if ctx.enclosing(call, (cst.Arg,)) is not None:
            return True
    return False


def strip_module(spelled: str) -> str:
    """`model.module` -> `model` (the wrapper's inner model is the same module for mode purposes)."""
    parts = spelled.split(".")
    while len(parts) > 1 and parts[-1] in ("module", "_orig_mod"):
        parts.pop()
    return ".".join(parts)


def grad_disabling(ctx: FileContext, expr: cst.BaseExpression) -> bool:
    """`torch.no_grad()`, `torch.inference_mode()`, `torch.set_grad_enabled(False)` (or undecorated names)."""
    if isinstance(expr, cst.Call):
        if ctx.is_name(expr.func, "torch.set_grad_enabled"):
            return bool(expr.args) and _literal_bool(expr.args[0].value) is False
        if ctx.is_name(expr.func, "torch.inference_mode"):
            return not expr.args or _literal_bool(expr.args[0].value) is not False
        return ctx.is_name(expr.func, *_GRAD_DISABLING)
    return ctx.is_name(expr, *_GRAD_DISABLING)


def grad_disabled_function(ctx: FileContext, function: cst.FunctionDef) -> bool:
    return any(grad_disabling(ctx, d.decorator) for d in function.decorators)


def grad_disabled_with(ctx: FileContext, node: cst.With) -> bool:
    return any(grad_disabling(ctx, item.item) for item in node.items)


def eval_data_loop(ctx: FileContext, loop: cst.CSTNode) -> bool:
    """`for x, y in val_loader`, `enumerate(test_dl)`, `loaders["valid"]`."""
    if not isinstance(loop, cst.For):
        return False
    return any(w in _EVAL_WORDS for w in words(ctx.code(loop.iter)))


def pytest_file(ctx: FileContext) -> bool:
    from torchlint.screens import pytest_path  # one definition, libcst-free (TL601's screen reads it too)

    return pytest_path(ctx.path)


__all__ = [
    "DEPENDENT", "EVAL", "INDEPENDENT", "TRAIN", "UNKNOWN", "UNRESOLVED", "ModeCall", "Status",
    "backward_through", "call_sites", "combine", "constructor_or_call_sites", "eval_data_loop", "eval_role_name",
    "first_training_call", "grad_disabled_function", "grad_disabled_with", "injected_attribute",
    "inside_nested_scope", "metric_class_name", "mode_calls_in", "model_expression", "model_key", "model_status",
    "optimized", "own_calls", "param_names", "project_status", "pytest_file", "referenced_other_than_called", "related",
    "strip_module", "training_step_in", "words",
]  # fmt: skip
