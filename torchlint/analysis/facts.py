"""What each function of a file does to its parameters, and which loops run epochs.

Several rules ask the same questions about same-file helper functions: "does
`train(model, loader)` call `model.eval()`?", "does `run_epoch(loader)` iterate its
loader?", "is `validate` called inside the epoch loop?".  This module answers them
once per file (memoised on the FileContext):

- `function_facts(ctx)`: every `def` -> `FunctionFacts`: its parameters, the method
  paths it calls on each parameter (`"eval"`, `"sampler.set_epoch"`, `"model.train"`
  for `self.model.train()`), the attribute paths of each parameter it iterates, what
  it returns -- all *transitive* through calls to other same-file functions
  (`f(model)` calls `g(model)` which calls `model.eval()`: `f` calls `eval` on `model`).
- `resolve_call(ctx, call)`: the same-file `def` a call runs (`helper(...)`,
  `self.method(...)`), or None.
- `calls_in(ctx, root)` / `reachable_functions(ctx, root)`: same-file functions called
  inside a region (a loop), directly or transitively.
- `epoch_loops(ctx)`: loops that run several passes (`for epoch in range(...)`,
  `trange`, `tqdm(range(...))`, `itertools.count()`, `while`), with their loop variable.
- `export_summary(ctx)`: the facts as plain data keyed by qualified function names
  (no CST nodes), the shape a later cross-file analysis can store per module.

Precision over recall: a call is resolved only to a definition that is the single
binding of its name; parameters that are reassigned inside the function carry no facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Set, Tuple

import libcst as cst

from torchlint.analysis.dataflow import attribute_assignments, local_assignments, reaching_assignments, self_name
from torchlint.context import FileContext
from torchlint.names import dotted_name

# Paths grow when a function passes `x.child` to itself; bounded so the fixpoint ends.
_MAX_PATH_PARTS = 4
# Calls that pass iteration through to their argument: `for i, b in enumerate(loader)`.
_ITERATION_WRAPPERS = frozenset({"enumerate", "zip", "iter", "tqdm", "islice", "chain", "reversed", "sorted",
                                 "list", "tuple", "track", "progress_bar", "ProgressBar"})  # fmt: skip
# Calls in a `for` header that do not iterate their arguments.
_NOT_CONSUMING = frozenset({"range", "len", "trange", "count", "repeat"})


@dataclass
class FunctionFacts:
    """What one function does to its parameters (transitively through same-file calls)."""

    qualified_name: str  # "train", "Trainer.fit", "main.<locals>.step"
    node: cst.FunctionDef
    params: Tuple[str, ...]
    # param -> method paths called on it: {"model": {"eval"}, "self": {"model.train", "loader.sampler.set_epoch"}}
    methods_called_on_param: Dict[str, Set[str]] = field(default_factory=dict)
    # param -> attribute paths iterated ("" = the parameter itself): {"loader": {""}, "self": {"train_loader"}}
    iterated: Dict[str, Set[str]] = field(default_factory=dict)
    # what the function returns: qualified constructor names ("torch.utils.data.DistributedSampler")
    # or names of same-file classes
    returns: Set[str] = field(default_factory=set)
    # same-file calls made directly in the body: (call node, callee def)
    calls: List[Tuple[cst.Call, cst.FunctionDef]] = field(default_factory=list)

    @property
    def iterated_params(self) -> Set[str]:
        """Parameters iterated themselves (`for batch in loader`, `enumerate(loader)`)."""
        return {p for p, paths in self.iterated.items() if "" in paths}

    def calls_method(self, param: str, *paths: str) -> bool:
        """Does the function call one of these method paths on `param` (e.g. "eval", "module.eval")?"""
        return bool(self.methods_called_on_param.get(param, set()) & set(paths))

    def calls_method_named(self, param: str, method: str) -> bool:
        """Does it call `method` on `param` or on anything reached from it (`p.x.method()`)?"""
        return any(p == method or p.endswith("." + method) for p in self.methods_called_on_param.get(param, ()))


@dataclass(frozen=True)
class EpochLoop:
    """A loop that runs its body several times over the data."""

    node: cst.CSTNode  # cst.For or cst.While
    var: Optional[str]  # the loop variable when it is a plain name (`epoch`), else None
    kind: str  # "range", "trange", "tqdm", "count", "while"


# -- public API ---------------------------------------------------------------------------
def function_facts(ctx: FileContext) -> Dict[cst.FunctionDef, FunctionFacts]:
    """Every function definition of the file -> its facts (memoised per file)."""
    return ctx.memo("facts.function_facts", lambda: _compute_facts(ctx))


def facts_for(ctx: FileContext, function: cst.FunctionDef) -> FunctionFacts:
    return function_facts(ctx)[function]


def resolve_call(ctx: FileContext, call: cst.Call) -> Optional[cst.FunctionDef]:
    """The same-file function or method that `call` runs, when certain; else None.

    Resolves `name(...)` to the single `def name` visible from the call (enclosing
    function scopes, then the module) and `self.name(...)` inside a method to the
    method of that class or of a same-file base class.
    """
    func = call.func
    if isinstance(func, cst.Name):
        return _resolve_plain_name(ctx, call, func.value)
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        if func.value.value == self_name(ctx, call) and not _is_reassigned(ctx, call, func.value.value):
            class_def = _enclosing_class_of_method(ctx, call)
            if class_def is not None:
                return _method_of(ctx, class_def, func.attr.value)
    return None


def bind_arguments(ctx: FileContext, call: cst.Call, callee: cst.FunctionDef) -> Dict[str, cst.BaseExpression]:
    """callee parameter name -> the caller's expression passed for it (`self` included for methods)."""
    positional_params = [p.name.value for p in (*callee.params.posonly_params, *callee.params.params)]
    keyword_params = set(positional_params) | {p.name.value for p in callee.params.kwonly_params}
    bound: Dict[str, cst.BaseExpression] = {}
    if _is_method(ctx, callee) and positional_params:
        if isinstance(call.func, cst.Attribute):
            bound[positional_params[0]] = call.func.value  # `self.m(...)`: self is the receiver
        positional_params = positional_params[1:]  # `Class(...)` -> `__init__(self, ...)`: self is new
    index = 0
    for arg in call.args:
        if arg.star:
            if arg.star == "*":
                index = len(positional_params)  # the rest is unknown
            continue
        if arg.keyword is None:
            if index < len(positional_params):
                bound[positional_params[index]] = arg.value
            index += 1
        elif arg.keyword.value in keyword_params:
            bound[arg.keyword.value] = arg.value
    return bound


def call_sites(ctx: FileContext, function: cst.FunctionDef) -> List[cst.Call]:
    """Every same-file call that runs `function` (`Class(...)` counts for `Class.__init__`)."""
    return ctx.memo("facts.call_sites", lambda: _index_call_sites(ctx)).get(id(function), [])


def _index_call_sites(ctx: FileContext) -> Dict[int, List[cst.Call]]:
    index: Dict[int, List[cst.Call]] = {}
    for call in ctx.nodes(cst.Call):
        callee = resolve_call(ctx, call)
        if callee is None and isinstance(call.func, cst.Name) and call.func.value not in ctx.import_bindings():
            class_def = _same_file_class(ctx, call.func.value)
            callee = _method_of(ctx, class_def, "__init__") if class_def is not None else None
        if callee is not None:
            index.setdefault(id(callee), []).append(call)
    return index


def return_values(ctx: FileContext, function: cst.FunctionDef) -> List[cst.BaseExpression]:
    """The expressions `function` returns (its own `return`s, not those of nested functions)."""
    return [
        ret.value for ret in ctx.walk(function, cst.Return)
        if ret.value is not None and not ctx.inside_nested_scope(ret, function)
    ]  # fmt: skip


def param_default(function: cst.FunctionDef, name: str) -> Optional[cst.BaseExpression]:
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        if param.name.value == name:
            return param.default
    return None


def calls_in(ctx: FileContext, root: cst.CSTNode) -> List[Tuple[cst.Call, cst.FunctionDef]]:
    """Same-file calls made lexically inside `root` (not inside functions defined there)."""
    found = []
    for call in ctx.walk(root, cst.Call):
        callee = resolve_call(ctx, call)
        if callee is not None and not ctx.inside_nested_scope(call, root):
            found.append((call, callee))
    return found


def reachable_functions(ctx: FileContext, root: cst.CSTNode) -> List[cst.FunctionDef]:
    """Same-file functions that run when `root` runs: called in it, or by those, and so on."""
    facts = function_facts(ctx)
    seen: Dict[int, cst.FunctionDef] = {}
    pending = [callee for _, callee in calls_in(ctx, root)]
    while pending:
        function = pending.pop()
        if id(function) in seen:
            continue
        seen[id(function)] = function
        pending.extend(callee for _, callee in facts[function].calls)
    return sorted(seen.values(), key=ctx.order)


def is_called_in(ctx: FileContext, function: cst.FunctionDef, root: cst.CSTNode) -> bool:
    """Does `function` run (directly or through same-file calls) when `root` runs?"""
    return any(f is function for f in reachable_functions(ctx, root))


def epoch_loops(ctx: FileContext) -> List[EpochLoop]:
    """Loops that run several passes, in source order (memoised per file)."""
    return ctx.memo("facts.epoch_loops", lambda: _find_epoch_loops(ctx))


def epoch_loop_of(ctx: FileContext, node: cst.CSTNode) -> Optional[EpochLoop]:
    """The EpochLoop for a For/While node, if it is one."""
    for loop in epoch_loops(ctx):
        if loop.node is node:
            return loop
    return None


def access_path(ctx: FileContext, expr: cst.BaseExpression) -> Optional[Tuple[str, str]]:
    """`self.model.module` -> ("self", "model.module"); `loader` -> ("loader", ""); else None."""
    spelled = dotted_name(expr)
    if spelled is None:
        return None
    root, _, rest = spelled.partition(".")
    return root, rest


def export_summary(ctx: FileContext) -> Dict[str, dict]:
    """The facts as plain data keyed by qualified function name (no CST nodes)."""
    facts = function_facts(ctx)
    summary: Dict[str, dict] = {}
    for f in facts.values():
        summary[f.qualified_name] = {
            "params": list(f.params),
            "methods_called_on_param": {p: sorted(v) for p, v in sorted(f.methods_called_on_param.items())},
            "iterated": {p: sorted(v) for p, v in sorted(f.iterated.items())},
            "returns": sorted(f.returns),
            "calls": sorted({facts[callee].qualified_name for _, callee in f.calls}),
        }
    return summary


# -- resolution ---------------------------------------------------------------------------
def _definitions(ctx: FileContext) -> Dict[int, Dict[str, List[cst.FunctionDef]]]:
    """id(scope) -> name -> the defs made directly in that scope."""

    def compute():
        found: Dict[int, Dict[str, List[cst.FunctionDef]]] = {}
        for function in ctx.nodes(cst.FunctionDef):
            scope = ctx.scope_of(function)
            found.setdefault(id(scope), {}).setdefault(function.name.value, []).append(function)
        return found

    return ctx.memo("facts.definitions", compute)


def _resolve_plain_name(ctx: FileContext, at: cst.CSTNode, name: str) -> Optional[cst.FunctionDef]:
    if name in ctx.import_bindings():
        return None
    definitions = _definitions(ctx)
    scope = ctx.scope_of(at)
    while True:
        if not isinstance(scope, cst.ClassDef):  # class bodies are not enclosing scopes for names
            defs = definitions.get(id(scope), {}).get(name, [])
            assigned = local_assignments(ctx, scope).get(name, [])
            if len(defs) == 1 and not assigned:
                return defs[0]
            if defs or assigned:
                return None  # redefined or rebound: cannot tell which one runs
            if isinstance(scope, cst.FunctionDef) and name in _param_names(scope):
                return None
        if isinstance(scope, cst.Module):
            return None
        scope = ctx.scope_of(scope)


def _enclosing_class_of_method(ctx: FileContext, node: cst.CSTNode) -> Optional[cst.ClassDef]:
    function = ctx.enclosing(node, (cst.FunctionDef,))
    if function is None:
        return None
    scope = ctx.scope_of(function)
    return scope if isinstance(scope, cst.ClassDef) else None


def _method_of(ctx: FileContext, class_def: cst.ClassDef, name: str, depth: int = 0) -> Optional[cst.FunctionDef]:
    own = _definitions(ctx).get(id(class_def), {}).get(name, [])
    if len(own) == 1:
        return own[0]
    if own or depth > 5:
        return None  # several defs (e.g. property setter pairs): unclear
    for base in class_def.bases:
        if isinstance(base.value, cst.Name):
            base_def = _same_file_class(ctx, base.value.value)
            if base_def is not None:
                found = _method_of(ctx, base_def, name, depth + 1)
                if found is not None:
                    return found
    return None


def _same_file_class(ctx: FileContext, name: str) -> Optional[cst.ClassDef]:
    matches = [c for c in ctx.nodes(cst.ClassDef) if c.name.value == name and ctx.scope_of(c) is ctx.module]
    return matches[0] if len(matches) == 1 else None


def same_file_class(ctx: FileContext, name: str) -> Optional[cst.ClassDef]:
    """The module-level class of that name, when there is exactly one."""
    return _same_file_class(ctx, name)


def _is_method(ctx: FileContext, function: cst.FunctionDef) -> bool:
    if not isinstance(ctx.scope_of(function), cst.ClassDef):
        return False
    for decorator in function.decorators:
        if dotted_name(decorator.decorator) == "staticmethod":
            return False
    return True


def param_names(function: cst.FunctionDef) -> Tuple[str, ...]:
    """Every parameter name, `*args` and `**kwargs` included."""
    return _param_names(function)


def _param_names(function: cst.FunctionDef) -> Tuple[str, ...]:
    params = function.params
    names = [p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            names.append(star.name.value)
    return tuple(names)


def _is_reassigned(ctx: FileContext, node: cst.CSTNode, name: str) -> bool:
    function = ctx.enclosing(node, (cst.FunctionDef,))
    return function is not None and bool(local_assignments(ctx, function).get(name))


def _qualified_function_name(ctx: FileContext, function: cst.FunctionDef) -> str:
    parts = [function.name.value]
    scope = ctx.scope_of(function)
    while not isinstance(scope, cst.Module):
        if isinstance(scope, cst.FunctionDef):
            parts.append("<locals>")
            parts.append(scope.name.value)
        elif isinstance(scope, cst.ClassDef):
            parts.append(scope.name.value)
        else:
            parts.append("<lambda>")
        scope = ctx.scope_of(scope)
    return ".".join(reversed(parts))


# -- computing the facts ------------------------------------------------------------------
def _join(prefix: str, path: str) -> Optional[str]:
    joined = f"{prefix}.{path}" if prefix and path else prefix or path
    return joined if joined.count(".") < _MAX_PATH_PARTS else None


def _param_path(ctx: FileContext, expr: cst.BaseExpression, params: Set[str]) -> Optional[Tuple[str, str]]:
    path = access_path(ctx, expr)
    if path is None or path[0] not in params:
        return None
    return path


def _iterated_expressions(ctx: FileContext, expr: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The objects a `for` over `expr` iterates: `loader` in `enumerate(tqdm(loader))`, and the
    positional arguments of any other call there (`logger.log_every(loader, 10)`, a prefetcher),
    which a `for` header consumes -- but not `range(len(loader))`."""
    yield expr
    if isinstance(expr, cst.Call):
        name = (dotted_name(expr.func) or "").rsplit(".", 1)[-1]
        if name in _NOT_CONSUMING:
            return
        for arg in expr.args:
            if arg.keyword is None and not arg.star:
                if name in _ITERATION_WRAPPERS:
                    yield from _iterated_expressions(ctx, arg.value)
                else:
                    yield arg.value


def iterated_expressions(ctx: FileContext, root: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """Every expression iterated directly in `root` (for/comprehension targets, `iter(x)`)."""
    for node_type in (cst.For, cst.CompFor):
        for loop in ctx.walk(root, node_type) if root is not ctx.module else ctx.nodes(node_type):
            if not ctx.inside_nested_scope(loop, root):
                yield from _iterated_expressions(ctx, loop.iter)
    for call in ctx.walk(root, cst.Call) if root is not ctx.module else ctx.nodes(cst.Call):
        if dotted_name(call.func) == "iter" and call.args and not ctx.inside_nested_scope(call, root):
            yield call.args[0].value


def _direct_facts(ctx: FileContext, function: cst.FunctionDef) -> FunctionFacts:
    params = _param_names(function)
    reassigned = set(local_assignments(ctx, function))
    trusted = {p for p in params if p not in reassigned}
    facts = FunctionFacts(_qualified_function_name(ctx, function), function, params)
    for call in ctx.walk(function, cst.Call):
        if ctx.inside_nested_scope(call, function):
            continue
        if isinstance(call.func, cst.Attribute):
            path = _param_path(ctx, call.func, trusted)
            if path is not None and path[1]:
                facts.methods_called_on_param.setdefault(path[0], set()).add(path[1])
        callee = resolve_call(ctx, call)
        if callee is not None:
            facts.calls.append((call, callee))
    for expr in iterated_expressions(ctx, function):
        path = _param_path(ctx, expr, trusted)
        if path is not None:
            facts.iterated.setdefault(path[0], set()).add(path[1])
    for ret in ctx.walk(function, cst.Return):
        if ret.value is not None and not ctx.inside_nested_scope(ret, function):
            facts.returns.update(_constructed_names(ctx, ret.value))
    return facts


def _constructed_names(ctx: FileContext, value: cst.BaseExpression) -> Set[str]:
    """What `return X(...)` constructs: a qualified torch name or a same-file class name."""
    if not isinstance(value, cst.Call):
        return set()
    qualified = ctx.call_name(value)
    if qualified is not None:
        return {qualified}
    if isinstance(value.func, cst.Name) and _same_file_class(ctx, value.func.value) is not None:
        return {value.func.value}
    return set()


def _compute_facts(ctx: FileContext) -> Dict[cst.FunctionDef, FunctionFacts]:
    facts = {function: _direct_facts(ctx, function) for function in ctx.nodes(cst.FunctionDef)}
    # Propagate callee facts to callers until nothing changes (recursion terminates:
    # paths are bounded and sets only grow).
    changed = True
    while changed:
        changed = False
        for function, own in facts.items():
            trusted = set(own.params) - set(local_assignments(ctx, function))
            for call, callee in own.calls:
                theirs = facts[callee]
                for param, expr in bind_arguments(ctx, call, callee).items():
                    path = _param_path(ctx, expr, trusted)
                    if path is None:
                        continue
                    root, prefix = path
                    for source, target in ((theirs.methods_called_on_param, own.methods_called_on_param),
                                           (theirs.iterated, own.iterated)):  # fmt: skip
                        for sub in list(source.get(param, ())):
                            joined = _join(prefix, sub)
                            if joined is None and not (prefix == "" and sub == ""):
                                continue
                            bucket = target.setdefault(root, set())
                            if (joined or "") not in bucket:
                                bucket.add(joined or "")
                                changed = True
    return facts


# -- epoch loops ---------------------------------------------------------------------------
def _is_builtin(ctx: FileContext, node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name and not ctx.names.is_bound(name)


def _single_pass_range(call: cst.Call) -> bool:
    """`range(1)`, `range(0, 1)`: literal ranges of at most one element."""
    values = []
    for arg in call.args:
        if arg.keyword is not None or arg.star or not isinstance(arg.value, cst.Integer):
            return False
        values.append(int(arg.value.value, 0))
    if len(values) == 1:
        return values[0] <= 1
    if len(values) >= 2:
        step = values[2] if len(values) > 2 else 1
        return step != 0 and len(range(*values[:3])) <= 1
    return False


def _loop_kind(ctx: FileContext, iterable: cst.BaseExpression, hops: int = 0) -> Optional[str]:
    if isinstance(iterable, cst.Name) and hops < 3:
        # `train_iterator = trange(n)` ... `for _ in train_iterator:` (one unconditional binding)
        reaching = reaching_assignments(ctx, iterable)
        if len(reaching) == 1 and reaching[0].unconditional and reaching[0].value is not None:
            return _loop_kind(ctx, reaching[0].value, hops + 1)
        return None
    if not isinstance(iterable, cst.Call):
        return None
    func = iterable.func
    spelled = dotted_name(func) or ""
    last = spelled.rsplit(".", 1)[-1]
    qualified = ctx.qualified_name(func) or ""
    if _is_builtin(ctx, func, "range"):
        return None if _single_pass_range(iterable) else "range"
    if last == "trange" and (qualified.startswith("tqdm") or spelled.startswith("tqdm") or not qualified):
        return "trange"
    if qualified in ("itertools.count",) or (spelled == "count" and qualified.startswith("itertools")):
        return "count"
    first = iterable.args[0].value if iterable.args and iterable.args[0].keyword is None else None
    if first is not None and (last == "tqdm" or _is_builtin(ctx, func, "enumerate")):
        inner = _loop_kind(ctx, first, hops)
        if inner is not None:
            return "tqdm" if last == "tqdm" else inner
    return None


def _loop_variable(target: cst.BaseExpression) -> Optional[str]:
    return target.value if isinstance(target, cst.Name) else None


def _find_epoch_loops(ctx: FileContext) -> List[EpochLoop]:
    loops: List[EpochLoop] = []
    for loop in ctx.nodes(cst.For):
        kind = _loop_kind(ctx, loop.iter)
        if kind is None:
            continue
        var = _loop_variable(loop.target)
        enumerated = isinstance(loop.iter, cst.Call) and _is_builtin(ctx, loop.iter.func, "enumerate")
        if var is None and isinstance(loop.target, cst.Tuple) and enumerated:
            elements = loop.target.elements
            var = _loop_variable(elements[-1].value) if len(elements) == 2 else None
        loops.append(EpochLoop(loop, var, kind))
    for loop in ctx.nodes(cst.While):
        loops.append(EpochLoop(loop, None, "while"))
    loops.sort(key=lambda loop: ctx.order(loop.node))
    return loops


# -- what an expression may hold ----------------------------------------------------------
_MAX_HOPS = 6


def _is_none(node) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def has_star_args(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def possible_values(ctx: FileContext, node: cst.BaseExpression, hops: int = 0) -> Tuple[List, bool]:
    """(the expressions `node` may evaluate to, whether other values we cannot see are possible).

    Follows local names (reaching assignments), `self.attr` (assignments in the class), both arms
    of `a if c else b`, same-file factories (what they return), the file's own call sites of a
    parameter, and -- through `ctx.project` -- first-party functions and module-level values of
    other files: those come back as `project.RemoteValue` items (plain summary data, no CST).
    """
    if isinstance(node, cst.IfExp):
        body, body_open = possible_values(ctx, node.body, hops)
        orelse, else_open = possible_values(ctx, node.orelse, hops)
        return body + orelse, body_open or else_open
    if hops >= _MAX_HOPS:
        return [], True
    if isinstance(node, cst.Name) and not _is_none(node):
        reaching = reaching_assignments(ctx, node)
        if not reaching and _may_be_imported(ctx, node.value):
            remote = _remote_values(ctx, node)
            if remote is not None:
                return remote
        values, open_ = [], not reaching or not reaching[-1].unconditional
        for assignment in reaching:
            value = assignment.value
            if value is None:
                value = _unpacked_value(ctx, assignment.statement, node.value, hops)
            if value is None:
                open_ = True
                continue
            more, more_open = possible_values(ctx, value, hops + 1)
            values.extend(more)
            open_ = open_ or more_open
        if open_:
            from_params = _parameter_values(ctx, node, hops)
            if from_params is not None:
                more, open_ = from_params
                values.extend(more)
        return values, open_
    if isinstance(node, cst.Call):
        callee = resolve_call(ctx, node)
        if callee is not None:  # a same-file factory: what it returns
            returned = return_values(ctx, callee)
            values, open_ = [], not returned
            for value in returned:
                more, more_open = possible_values(ctx, value, hops + 1)
                values.extend(more)
                open_ = open_ or more_open
            return values, open_
        remote = _remote_values(ctx, node)
        if remote is not None:
            return remote
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        if node.value.value == self_name(ctx, node):
            class_def = ctx.enclosing(node, (cst.ClassDef,))
            assigned = attribute_assignments(ctx, class_def, node.attr.value) if class_def else []
            values, open_ = [], not assigned
            for assignment in assigned:
                more, more_open = possible_values(ctx, assignment.value, hops + 1)
                values.extend(more)
                open_ = open_ or more_open
            return values, open_
        return [], True
    return [node], False


def _may_be_imported(ctx: FileContext, name: str) -> bool:
    """Bound by an import, or by nothing in the file while it has a star import."""
    bindings = ctx.import_bindings()
    return name in bindings or ("*" in bindings and not ctx.names.is_bound(name))


def _remote_values(ctx: FileContext, node: cst.BaseExpression) -> Optional[Tuple[List, bool]]:
    """What another first-party file says `node` (an imported name, a call of one) holds."""
    project = getattr(ctx, "project", None)
    if project is None:
        return None
    return project.remote_values(ctx, node)


def _unpacked_value(ctx: FileContext, statement, name: str, hops: int):
    """`a, b = x, y` or `a, b = f()` with `f` returning `x, y`: the element bound to `name`."""
    if not isinstance(statement, cst.Assign) or len(statement.targets) != 1:
        return None
    target = statement.targets[0].target
    if not isinstance(target, (cst.Tuple, cst.List)):
        return None
    names = [e.value.value if isinstance(e.value, cst.Name) else None for e in target.elements]
    if names.count(name) != 1 or any(isinstance(e, cst.StarredElement) for e in target.elements):
        return None
    index = names.index(name)
    value = statement.value
    if isinstance(value, cst.Call) and hops < _MAX_HOPS:
        callee = resolve_call(ctx, value)
        if callee is None:
            remote = _remote_values(ctx, value)
            if remote is not None and len(remote[0]) == 1 and not remote[1]:
                return remote[0][0].element(index, len(names))
            return None
        returned = return_values(ctx, callee)
        value = returned[0] if len(returned) == 1 else None
    if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(names):
        element = value.elements[index]
        return None if isinstance(element, cst.StarredElement) else element.value
    return None


def _parameter_values(ctx: FileContext, use: cst.Name, hops: int) -> Optional[Tuple[List, bool]]:
    """What a parameter (not reassigned before `use`) is given at the file's own call sites."""
    function = ctx.scope_of(use)
    if not isinstance(function, cst.FunctionDef) or use.value not in param_names(function):
        return None
    if reaching_assignments(ctx, use):
        return None  # reassigned on some path: the parameter is only part of the story
    sites = call_sites(ctx, function)
    if not sites:
        return None
    values, open_ = [], False
    for call in sites:
        bound = bind_arguments(ctx, call, function)
        given = bound.get(use.value, param_default(function, use.value))
        if given is None or has_star_args(call):
            open_ = True
            continue
        more, more_open = possible_values(ctx, given, hops + 1)
        values.extend(more)
        open_ = open_ or more_open
    return values, open_


def attribute_values(ctx: FileContext, at: cst.CSTNode, attr: str) -> Tuple[List, bool]:
    """Values of `self.<attr>` seen from a method containing `at`."""
    class_def = ctx.enclosing(at, (cst.ClassDef,))
    assigned = attribute_assignments(ctx, class_def, attr) if class_def else []
    values, open_ = [], not assigned
    for assignment in assigned:
        more, more_open = possible_values(ctx, assignment.value, 1)
        values.extend(more)
        open_ = open_ or more_open
    return values, open_


__all__ = [
    "EpochLoop", "FunctionFacts", "access_path", "attribute_values", "has_star_args", "possible_values",
    "bind_arguments", "call_sites", "calls_in", "epoch_loop_of",
    "epoch_loops", "export_summary", "facts_for", "function_facts", "is_called_in", "iterated_expressions",
    "param_default", "param_names", "reachable_functions", "resolve_call", "return_values", "same_file_class",
]  # fmt: skip
