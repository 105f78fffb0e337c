"""One module's summary: plain, JSON-serialisable, versioned data from its one parse.

`summarise(ctx)` reads a FileContext (memoised on it) and returns a dict that depends on the
file's text only -- never on other files -- so it can be cached by content hash.  References
to other modules stay as the names the file spells (`"build_loader"`, `"utils.train_one_epoch"`)
and the import table says what they mean; `project.Project` resolves them when asked.

Layout (version `SUMMARY_VERSION`; every key always present)::

    {"v": 3,
     "names": {local: ["def", "function"|"class"|"value"]              # module-level bindings
                    | ["import", level, "pkg.mod" or "", attr or None]  # `from ..pkg.mod import attr`
                    | ["module", "a.b"]                                   # `import a.b as c` / `import a`
                    | ["ambiguous"]},                                     # bound twice: unknown
     "stars": [[level, "pkg.mod"]],          # `from pkg.mod import *`
     "all": ["name", ...] or None,            # a literal `__all__`
     "values": {name: VALUE},                 # module-level `name = <value we can describe>`
     "functions": {"train" | "Trainer.fit": FUNCTION},
     "classes": {"Net": CLASS},
     "module": {"process_group": bool, "spawn_targets": [spelled], "env_reads": ["RANK", ...],
                "dynamic_imports": bool, "ddp": bool}}

    VALUE = {"k": "loader", "line", "sampler_line", "only", "none", "batch"}  # DataLoader over a
                                                                             # shuffling DistributedSampler
          | {"k": "sampler", "line"}                  # a shuffling DistributedSampler
          | {"k": "loader_of", "param", "index", "line"}  # DataLoader(sampler=<that parameter>)
          | {"k": "call", "f": "spelled.name", "line"} # a call of something this file does not define
          | {"k": "name", "n": "spelled.name", "line"} # an imported name
          | {"k": "instance", "cls": "Net", "line"}    # an instance of a same-file class
          | {"k": "wrapper", "line", "some"?}          # `nn.DataParallel(...)` / `DistributedDataParallel(...)`
                                                       # ("some": True: a returned value, on some paths only)
          | {"k": "tuple", "items": [VALUE or None, ...]}

    FUNCTION = {"line", "params": [...], "self": bool (a method),
                "methods": {param: ["eval", "sampler.set_epoch", ...]},   # transitive in the file
                "iterated": {param: ["", "train_loader"]},
                "returns": [VALUE], "returns_open": bool,
                "sets_epoch": bool,          # calls `.set_epoch()` on anything
                "calls": [[callee_spelled, [[slot, [param, ...]], ...], line], ...],  # slot: int or keyword
                "wrapped": [param],          # params handed to DDP/DataParallel
                "loads_into": [param | "**"],  # params (or, "**", the values of **kwargs) given `.load_state_dict()`
                "training_step": bool, "process_group": bool,
                "layer_status", "evidence", "owns_parameters", "refs",  # what it builds, as for a class
                "inference_layer_status", "inference_evidence"}

    CLASS = {"line", "bases": [spelled], "methods": [names], "reads_training": bool,
             "owns_parameters": bool,  # builds state (modules.gives_state: parameters, buffers, mode-dependent
                                       # layers, registrations) in `__init__` or a torch base with state
             "layer_status": "dependent"|"independent"|"unresolved",
             "evidence": "builds `nn.Dropout`", "refs": [spelled names of project classes/functions used],
             "inference_layer_status", "inference_evidence"}  # the same for TL601's question: is its
                                       # training-mode forward wrong at inference (instance norm is not)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import libcst as cst

from torchlint.analysis.summaries_ast import (  # noqa: F401 (defined there, libcst-free)
    SUMMARY_VERSION,
    names_table_of_source,
    names_table_of_tree,
    python_tree,
    valid,
)
from torchlint.names import dotted_name

LOADER, SAMPLER, CALL, NAME, INSTANCE, TUPLE = "loader", "sampler", "call", "name", "instance", "tuple"
LOADER_OF = "loader_of"
WRAPPER = "wrapper"  # a torch data-parallel wrapper construction (TL501 across files)
DEPENDENT, INDEPENDENT, UNRESOLVED = "dependent", "independent", "unresolved"

_BUILTINS = frozenset({"print", "len", "isinstance", "type", "id", "str", "repr", "hasattr", "getattr", "setattr",
                       "list", "tuple", "dict", "set", "sum", "min", "max", "abs", "round", "int", "float", "bool",
                       "sorted", "reversed", "enumerate", "zip", "map", "filter", "any", "all", "range", "super",
                       "iter", "next", "format", "vars", "open", "object", "callable", "issubclass"})  # fmt: skip
_KNOWN_LIBRARIES = frozenset({"torch", "torchvision", "numpy", "math", "timm", "transformers", "os", "sys"})
_ENV_KEYS = frozenset({"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"})
_DDP_NAMES = ("torch.nn.parallel.DistributedDataParallel", "torch.nn.DataParallel",
              "torch.nn.parallel.DataParallel")  # fmt: skip


@dataclass(frozen=True)
class RemoteValue:
    """A value built in another first-party file, seen from a local expression."""

    value: dict  # the VALUE summary
    node: cst.CSTNode = field(repr=False, compare=False)  # the local call or name it is read through
    path: str  # the file that builds it
    line: int
    display: str = ""  # how messages name the place: "data.py:41"

    @property
    def kind(self) -> str:
        return self.value.get("k", "")

    def element(self, index: int, count: int) -> Optional[RemoteValue]:
        """`a, b = f()`: the element at `index` of a returned tuple of `count` items."""
        items = self.value.get("items") if self.kind == TUPLE else None
        if not isinstance(items, list) or len(items) != count or not isinstance(items[index], dict):
            return None
        item = items[index]
        line = item.get("sampler_line" if item.get("k") == LOADER else "line")
        line = line if isinstance(line, int) else self.line
        return RemoteValue(item, self.node, self.path, line, _display(self.display, line))


def _display(display: str, line: int) -> str:
    return f"{display.rsplit(':', 1)[0]}:{line}" if display else display


def where(path: str, line: int, relative_to: str = "") -> str:
    """`data.py:41`, relative to the linted file's directory when that is shorter."""
    shown = path
    if relative_to:
        try:
            rel = os.path.relpath(path, os.path.dirname(os.path.abspath(relative_to)))
            if len(rel) < len(path):
                shown = rel
        except ValueError:
            pass
    return f"{shown}:{line}"


# -- building ---------------------------------------------------------------------------------
def summarise(ctx) -> dict:
    """The summary of the file `ctx` holds (memoised; computed with cross-file lookups off)."""

    def compute():
        saved = getattr(ctx, "project", None)
        ctx.project = None  # a summary depends on this text only
        try:
            return _summarise(ctx)
        finally:
            ctx.project = saved

    return ctx.memo("summaries.summary", compute)


def _line(ctx, node) -> int:
    """1-based line of the statement holding `node` (a def's or class's own line), for messages.

    libcst computes positions only in a code-generation pass that costs twice the parse; Python's
    own parser (C, a tenth of libcst's time) numbers the same statements in the same order."""
    lines = ctx.memo("summaries.lines", lambda: _ast_lines(ctx))
    current = node
    while current is not None:
        line = lines.get(id(current))
        if line is not None:
            return line
        current = ctx.parent(current)
    return 1


statement_line = _line  # for rules: the line of the statement holding a node of a file's parse


def _ast_lines(ctx) -> Dict[int, int]:
    """id(statement) -> line: both parsers list statements in source order (calls inside a
    statement take its line; libcst's child order differs from the source for calls)."""
    import ast

    tree = getattr(ctx, "python_tree", None)  # the engine's screening tier already parsed this text
    if tree is None:
        try:
            tree = ast.parse(ctx.source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return _position_lines(ctx)
    statements, pending = [], list(tree.body)
    while pending:  # statements only: their bodies, never their expressions
        node = pending.pop()
        statements.append(node)
        for part in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, part, ()) or ():
                if isinstance(child, ast.stmt):
                    pending.append(child)
                else:  # an except handler or a match case: its own body holds statements
                    pending.extend(c for c in getattr(child, "body", ()) if isinstance(c, ast.stmt))
    theirs = sorted(statements, key=lambda n: (n.lineno, n.col_offset))
    statement_types = (cst.BaseSmallStatement, cst.BaseCompoundStatement)
    ours = sorted((n for t, nodes in ctx._by_type.items() if issubclass(t, statement_types) for n in nodes),
                  key=ctx.order)  # fmt: skip
    if len(ours) != len(theirs):
        return _position_lines(ctx)  # the parsers disagree: pay for libcst's own positions
    return {id(mine): other.lineno for mine, other in zip(ours, theirs)}


def _position_lines(ctx) -> Dict[int, int]:
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        positions = MetadataWrapper(ctx.module, unsafe_skip_copy=True).resolve(PositionProvider)
    except Exception:  # lines only serve messages
        return {}
    statement_types = (cst.BaseSmallStatement, cst.BaseCompoundStatement)
    return {id(n): positions[n].start.line for t, nodes in ctx._by_type.items() if issubclass(t, statement_types)
            for n in nodes if n in positions}  # fmt: skip


def names_table(ctx) -> dict:
    """{"names", "stars", "all"} of the summary: the module-level bindings, cheap (no value analysis)."""
    return ctx.memo("summaries.names", lambda: _names_table(ctx))


def _names_table(ctx) -> dict:
    from torchlint.analysis.dataflow import local_assignments

    table = {"names": {}, "stars": [], "all": None}
    names: Dict[str, list] = table["names"]

    def bind(name: str, binding: list) -> None:
        previous = names.get(name)
        names[name] = binding if previous is None or previous == binding else ["ambiguous"]

    module_scope = ctx.module
    for node in ctx.nodes(cst.Import):
        if ctx.scope_of(node) is not module_scope:
            continue
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                bind(alias.asname.name.value, ["module", full])
            else:
                root = full.split(".", 1)[0]
                bind(root, ["module", root])
    for node in ctx.nodes(cst.ImportFrom):
        if ctx.scope_of(node) is not module_scope:
            continue
        level = len(node.relative)
        module = dotted_name(node.module) if node.module is not None else ""
        if module is None:
            continue
        if isinstance(node.names, cst.ImportStar):
            table["stars"].append([level, module])
            continue
        for alias in node.names:
            imported = dotted_name(alias.name)
            if imported is None:
                continue
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else imported
            bind(local, ["import", level, module, imported])
    for function in ctx.nodes(cst.FunctionDef):
        if ctx.scope_of(function) is module_scope:
            bind(function.name.value, ["def", "function"])
    for class_def in ctx.nodes(cst.ClassDef):
        if ctx.scope_of(class_def) is module_scope:
            bind(class_def.name.value, ["def", "class"])
    assigned = local_assignments(ctx, module_scope)
    for name, assignments in assigned.items():
        for _ in assignments:
            bind(name, ["def", "value"])
    if "__all__" in assigned and len(assigned["__all__"]) == 1:
        table["all"] = _literal_strings(assigned["__all__"][0].value)
    return table


def _summarise(ctx) -> dict:
    from torchlint.analysis import facts as facts_mod
    from torchlint.analysis.dataflow import local_assignments

    summary = {"v": SUMMARY_VERSION, **names_table(ctx), "values": {}, "functions": {}, "classes": {}, "module": {}}
    module_scope = ctx.module
    for name, assignments in local_assignments(ctx, module_scope).items():
        if len(assignments) == 1 and assignments[0].value is not None and summary["names"].get(name) == \
                ["def", "value"]:  # fmt: skip
            value = describe(ctx, assignments[0].value)
            if value is not None:
                summary["values"][name] = value
    for function, facts in facts_mod.function_facts(ctx).items():
        summary["functions"][facts.qualified_name] = _function_summary(ctx, function, facts)
    for class_def in ctx.nodes(cst.ClassDef):
        if ctx.scope_of(class_def) is module_scope:
            summary["classes"][class_def.name.value] = _class_summary(ctx, class_def)
    summary["module"] = _module_facts(ctx)
    return summary


def _literal_strings(node) -> Optional[List[str]]:
    if not isinstance(node, (cst.List, cst.Tuple)):
        return None
    found = []
    for element in node.elements:
        if not isinstance(element.value, cst.SimpleString):
            return None
        found.append(element.value.evaluated_value)
    return [s for s in found if isinstance(s, str)]


# -- values -----------------------------------------------------------------------------------
def describe(ctx, expr) -> Optional[dict]:
    """A VALUE for what `expr` holds, when it is one we can describe for certain."""
    from torchlint.analysis import facts, objects, samplers

    if isinstance(expr, (cst.Tuple, cst.List)) and isinstance(expr, cst.Tuple):
        items = [describe(ctx, e.value) if not isinstance(e, cst.StarredElement) else None for e in expr.elements]
        return {"k": TUPLE, "items": items} if any(items) else None
    values, open_ = facts.possible_values(ctx, expr)
    if open_ or len(values) != 1:
        return None
    value = values[0]
    if isinstance(value, cst.Tuple) and value is not expr:
        return describe(ctx, value)
    if not isinstance(value, (cst.Call, cst.Name, cst.Attribute)):
        return None
    line = _line(ctx, value)
    if isinstance(value, cst.Call):
        if samplers.is_dataloader_call(ctx, value):
            source = samplers.sampler_source(ctx, value)
            if source is None:
                return _loader_of_parameter(ctx, value, line)
            sampler_line = _line(ctx, source.local_sampler_calls[0]) if source.local_sampler_calls else line
            return {"k": LOADER, "line": line, "sampler_line": sampler_line, "only": source.only_distributed,
                    "none": source.maybe_none, "batch": source.via_batch_sampler}  # fmt: skip
        if samplers.is_distributed_sampler_call(ctx, value):
            return {"k": SAMPLER, "line": line} if samplers.shuffles(value) else None
        if objects.is_wrapper_call(ctx, value):
            return {"k": WRAPPER, "line": line} if _built_for_every_caller(ctx, expr, value) else None
        spelled = dotted_name(value.func)
        if spelled is None or spelled in _BUILTINS:
            return None
        if isinstance(value.func, cst.Name) and facts.same_file_class(ctx, spelled) is not None:
            return {"k": INSTANCE, "cls": spelled, "line": line}
        qualified = ctx.qualified_name(value.func)
        if qualified is not None and qualified.split(".", 1)[0] in ("torch", "torchvision", "numpy"):
            return None
        if spelled.split(".", 1)[0] in ctx.import_bindings():
            return {"k": CALL, "f": spelled, "line": line}
        return None
    spelled = dotted_name(value)
    if spelled is not None and spelled.split(".", 1)[0] in ctx.import_bindings():
        return {"k": NAME, "n": spelled, "line": line}
    return None


def _wrapper_on_some_paths(ctx, expr) -> Optional[dict]:
    """`if n_gpus > 1: model = nn.DataParallel(model)` before `return model`: a WRAPPER VALUE marked
    `"some"` (the function's other paths stay open), for TL501's "a data-parallel wrapper on some paths"."""
    from torchlint.analysis import facts, objects

    for value in facts.possible_values(ctx, expr)[0]:
        if isinstance(value, cst.Call) and objects.is_wrapper_call(ctx, value) and \
                _built_for_every_caller(ctx, expr, value):  # fmt: skip
            return {"k": WRAPPER, "line": _line(ctx, value), "some": True}
    return None


def _built_for_every_caller(ctx, expr, value) -> bool:
    """Is `value` (reached from `expr`) built in `expr`'s own scope, or in a same-file function that scope
    calls?  Not when it came through the file's own call sites of a parameter: another file's call passes
    its own argument (`def train(model): ...; return model` with `train(DDP(net))` at the bottom)."""
    from torchlint.analysis.facts import resolve_call

    here, there = ctx.scope_of(expr), ctx.scope_of(value)
    if here is there:
        return True
    return isinstance(there, cst.FunctionDef) and any(
        resolve_call(ctx, call) is there for call in ctx.walk(here, cst.Call))  # fmt: skip


def _loader_of_parameter(ctx, call: cst.Call, line: int) -> Optional[dict]:
    """`def make_loader(ds, sampler): return DataLoader(ds, sampler=sampler)`: a loader over whatever
    sampler the caller passes (LOADER_OF names the parameter and its position)."""
    from torchlint.analysis import facts, samplers
    from torchlint.analysis.dataflow import reaching_assignments

    arg = samplers.argument(call, "sampler", samplers.LOADER_SLOTS["sampler"])
    function = ctx.enclosing(call, (cst.FunctionDef,))
    if arg is None or not isinstance(arg.value, cst.Name) or function is None:
        return None
    if reaching_assignments(ctx, arg.value) or ctx.scope_of(arg.value) is not function:
        return None
    params = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    if isinstance(ctx.scope_of(function), cst.ClassDef) and params:
        params = params[1:]
    name = arg.value.value
    if name not in facts.param_names(function):
        return None
    index = params.index(name) if name in params else None
    return {"k": LOADER_OF, "param": name, "index": index, "line": line}


# -- functions --------------------------------------------------------------------------------
def _names_in(ctx, node) -> set:
    found = {n.value for n in ctx.walk(node, cst.Name)}
    if isinstance(node, cst.Name):
        found.add(node.value)
    return found


def _function_summary(ctx, function: cst.FunctionDef, facts) -> dict:
    from torchlint.analysis import facts as facts_mod

    params = list(facts.params)
    param_set = set(params)
    calls = []
    wrapped = []
    process_group = False
    from torchlint.analysis.modes import own_calls

    sets_epoch = any(isinstance(c.func, cst.Attribute) and c.func.attr.value == "set_epoch"
                     for c in ctx.walk(function, cst.Call))  # fmt: skip
    for call in own_calls(ctx, function):  # not those of nested functions (memoised: training_step_in reads it)
        func = call.func
        qualified = ctx.call_name(call) or ""
        if qualified.endswith("init_process_group"):
            process_group = True
        last = (dotted_name(func) or "").rsplit(".", 1)[-1]
        if qualified in _DDP_NAMES or last in ("DDP", "DistributedDataParallel"):
            if call.args and isinstance(call.args[0].value, cst.Name) and call.args[0].value.value in param_set:
                wrapped.append(call.args[0].value.value)
        callee = facts_mod.resolve_call(ctx, call)
        if callee is not None:
            spelled = facts_mod.facts_for(ctx, callee).qualified_name
            if isinstance(func, cst.Attribute):
                spelled = "self." + spelled.rsplit(".", 1)[-1]
        else:
            spelled = dotted_name(func)
        if spelled is None or spelled in _BUILTINS:
            continue
        slots = []
        index = 0
        for arg in call.args:
            if arg.star:
                slot = "*"
            elif arg.keyword is None:
                slot = index
                index += 1
            else:
                slot = arg.keyword.value
            used = sorted(_names_in(ctx, arg.value) & param_set)
            if used:
                slots.append([slot, used])
        if isinstance(func, cst.Attribute):
            receiver = sorted(_names_in(ctx, func.value) & param_set)
            if receiver and not spelled.startswith("self."):
                slots.append(["receiver", receiver])
        calls.append([spelled, slots, _line(ctx, call)])
    returns, returns_open = [], False
    for value in facts_mod.return_values(ctx, function):
        described = describe(ctx, value)
        if described is None:
            returns_open = True
            described = _wrapper_on_some_paths(ctx, value)
        if described is not None:
            returns.append(described)
    try:
        from torchlint.analysis.modes import training_step_in

        training = bool(training_step_in(ctx, function))
    except Exception:
        training = False
    return {
        "line": _line(ctx, function),
        "params": params,
        "self": isinstance(ctx.scope_of(function), cst.ClassDef),
        "methods": {p: sorted(v) for p, v in sorted(facts.methods_called_on_param.items())},
        "iterated": {p: sorted(v) for p, v in sorted(facts.iterated.items())},
        "returns": returns,
        "returns_open": returns_open or not returns,
        "sets_epoch": sets_epoch,
        "calls": calls,
        "wrapped": sorted(set(wrapped)),
        "loads_into": _loads_into(ctx, function, param_set),
        "training_step": training,
        "process_group": process_group,
        **layer_facts(ctx, function),
    }


def _loads_into(ctx, function: cst.FunctionDef, param_set: set) -> List[str]:
    """Parameters whose value gets `.load_state_dict(...)` in the function itself (TL402: a resume helper of
    another file loading into the model it is handed), and "**" for the values of its `**kwargs` read by
    `for key, value in kwargs.items()` / `for value in kwargs.values()` (`restart_from_checkpoint(path,
    state_dict=model)`)."""
    from torchlint.analysis.dataflow import reaching_assignments

    star = function.params.star_kwarg
    kwargs = star.name.value if isinstance(star, cst.Param) else None
    found = set()
    for call in ctx.walk(function, cst.Call):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "load_state_dict"
                and isinstance(func.value, cst.Name)) or ctx.inside_nested_scope(call, function):  # fmt: skip
            continue
        name = func.value.value
        if name in param_set and name != kwargs and not reaching_assignments(ctx, func.value):
            found.add(name)
        elif kwargs is not None and _kwargs_value(ctx, func.value, kwargs):
            found.add("**")
    return sorted(found)


def _kwargs_value(ctx, use: cst.Name, kwargs: str) -> bool:
    """Is `use` the loop variable of an enclosing `for k, v in kwargs.items()` / `for v in kwargs.values()`?"""
    for loop in ctx.ancestors(use):
        if not isinstance(loop, cst.For) or not ctx.contains(loop.body, use):
            continue
        it = loop.iter
        if not (isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and not it.args
                and isinstance(it.func.value, cst.Name) and it.func.value.value == kwargs):  # fmt: skip
            continue
        target, method = loop.target, it.func.attr.value
        if method == "values" and isinstance(target, cst.Name):
            return target.value == use.value
        if method == "items" and isinstance(target, (cst.Tuple, cst.List)) and len(target.elements) == 2:
            second = target.elements[1].value
            return isinstance(second, cst.Name) and second.value == use.value
    return False


# -- classes ----------------------------------------------------------------------------------
def _class_summary(ctx, class_def: cst.ClassDef) -> dict:
    from torchlint.analysis.modules import gives_state, init_calls, nn_classes, stateful_torch_base

    nn_table = nn_classes()
    bases = [dotted_name(b.value) or "?" for b in class_def.bases]
    methods = [f.name.value for f in ctx.walk(class_def, cst.FunctionDef) if ctx.scope_of(f) is class_def]
    reads_training = any(
        a.attr.value == "training" and isinstance(a.value, cst.Name) and a.value.value == "self"
        for a in ctx.walk(class_def, cst.Attribute)
    )
    status, evidence, owns = INDEPENDENT, "", False
    for base in class_def.bases:
        qualified = ctx.qualified_name(base.value)
        owns = owns or stateful_torch_base(ctx, base.value)
        if qualified in nn_table:
            entry = nn_table[qualified]
            if entry.get("mode_dependent") and not entry.get("variants"):
                status, evidence = DEPENDENT, f"derives from `nn.{qualified.rsplit('.', 1)[-1]}`"
    if reads_training and status != DEPENDENT:
        status, evidence = DEPENDENT, "reads `self.training`"
    layers = layer_facts(ctx, class_def)
    statuses = {}
    for prefix in ("", "inference_"):  # the two questions (modules.nn_class_status), the same bases
        own, own_evidence = status, evidence
        if own != DEPENDENT and layers[prefix + "layer_status"] == DEPENDENT:
            own, own_evidence = DEPENDENT, layers[prefix + "evidence"]
        elif own == INDEPENDENT:
            own = layers[prefix + "layer_status"]
        statuses[prefix + "layer_status"], statuses[prefix + "evidence"] = own, own_evidence
    return {"line": _line(ctx, class_def), "bases": bases, "methods": methods, "reads_training": reads_training,
            "owns_parameters": owns or any(gives_state(ctx, c) for c in init_calls(ctx, class_def)),
            **statuses, "refs": layers["refs"], "casts": _casts(ctx, class_def)}  # fmt: skip


_CASTS = frozenset({"float", "double", "half", "type", "to"})


def _casts(ctx, class_def: cst.ClassDef) -> bool:
    """Does the class cast anything itself (`x.float()`, `.to(...)`, a `dtype=` argument)?  Then a
    float64 input may be what it expects (TL203).  Any `.to(...)` counts: unsure means it casts."""
    for call in ctx.walk(class_def, cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in _CASTS:
            return True
        if any(a.keyword is not None and a.keyword.value == "dtype" for a in call.args):
            return True
    return False


def layer_facts(ctx, root: cst.CSTNode) -> dict:
    """What the calls inside a class or a builder function build: {"layer_status", "evidence",
    "owns_parameters", "refs"}.  Calls of project classes and functions (same file or imported) are
    `refs`, judged by the project; a call we cannot judge at all makes the status UNRESOLVED."""
    from torchlint.analysis import facts as facts_mod
    from torchlint.analysis.modules import gives_state, nn_class_status, nn_classes

    nn_table = nn_classes()
    status, evidence, owns = INDEPENDENT, "", False
    at_inference, inference_evidence = INDEPENDENT, ""  # TL601's narrower question (nn_class_status)
    unseen = False
    refs: List[str] = []
    imported = ctx.import_bindings()
    for call in ctx.walk(root, cst.Call):
        qualified = ctx.call_name(call)
        func = call.func
        owns = owns or gives_state(ctx, call)
        if qualified is not None and qualified.startswith("torch."):
            entry = nn_table.get(qualified)
            if entry is None or entry.get("container") or entry.get("loss"):
                continue
            built = f"builds `nn.{qualified.rsplit('.', 1)[-1]}`"
            layer = nn_class_status(ctx, call, qualified)
            if layer == DEPENDENT and status != DEPENDENT:
                status, evidence = DEPENDENT, built
            elif layer == UNRESOLVED and status == INDEPENDENT:
                status = UNRESOLVED
            layer = nn_class_status(ctx, call, qualified, inference=True)
            if layer == DEPENDENT and at_inference != DEPENDENT:
                at_inference, inference_evidence = DEPENDENT, built
            elif layer == UNRESOLVED and at_inference == INDEPENDENT:
                at_inference = UNRESOLVED
            continue
        spelled = dotted_name(func)
        if spelled is None:
            continue
        root_name = spelled.split(".", 1)[0]
        if isinstance(func, cst.Name):
            if spelled in _BUILTINS:
                continue
            if root_name in imported or facts_mod.same_file_class(ctx, spelled) is not None or \
                    facts_mod.resolve_call(ctx, call) is not None:  # fmt: skip
                if qualified is None or qualified.split(".", 1)[0] not in _KNOWN_LIBRARIES:
                    refs.append(spelled)
                continue
            unseen = True  # `block(...)`: a parameter or a local we cannot see through
            continue
        if root_name in imported:
            if qualified is None or qualified.split(".", 1)[0] not in _KNOWN_LIBRARIES:
                refs.append(spelled)
            elif not qualified.startswith(("numpy.", "math.")):
                unseen = True  # `torchvision.models.resnet18()`, `timm.create_model()`
        elif func.attr.value[:1].isupper():
            unseen = True  # a class reached through an object
    if unseen:
        status = UNRESOLVED if status == INDEPENDENT else status
        at_inference = UNRESOLVED if at_inference == INDEPENDENT else at_inference
    return {"layer_status": status, "evidence": evidence, "owns_parameters": owns, "refs": sorted(set(refs)),
            "inference_layer_status": at_inference, "inference_evidence": inference_evidence}  # fmt: skip


# -- module-level facts -----------------------------------------------------------------------
def _module_facts(ctx) -> dict:
    process_group, ddp, dynamic = False, False, False
    spawn_targets: List[str] = []
    env_reads = set()
    for call in ctx.nodes(cst.Call):
        qualified = ctx.call_name(call) or ""
        spelled = dotted_name(call.func) or ""
        if qualified.endswith("init_process_group"):
            process_group = True
        elif qualified in _DDP_NAMES:
            ddp = True
        elif qualified in ("torch.multiprocessing.spawn", "torch.multiprocessing.start_processes"):
            if call.args and dotted_name(call.args[0].value):
                spawn_targets.append(dotted_name(call.args[0].value))
        elif qualified in ("importlib.import_module", "__import__") or spelled == "__import__":
            dynamic = True
        elif qualified in ("os.getenv", "os.environ.get") and call.args:
            key = call.args[0].value
            if isinstance(key, cst.SimpleString) and key.evaluated_value in _ENV_KEYS:
                env_reads.add(key.evaluated_value)
    for subscript in ctx.nodes(cst.Subscript):
        if ctx.qualified_name(subscript.value) == "os.environ" and len(subscript.slice) == 1:
            index = subscript.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.SimpleString):
                key = index.value.evaluated_value
                if key in _ENV_KEYS:
                    env_reads.add(key)
    return {"process_group": process_group, "spawn_targets": sorted(set(spawn_targets)),
            "env_reads": sorted(env_reads), "dynamic_imports": dynamic, "ddp": ddp}  # fmt: skip


__all__ = ["RemoteValue", "SUMMARY_VERSION", "describe", "layer_facts", "names_table", "summarise", "valid", "where"]
