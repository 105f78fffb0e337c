"""Every rule's screen, by code: can a file with these facts possibly yield a finding of the rule?

A screen reads `torchlint.screens.Facts` (Python's `ast`, before any libcst parse) and must be a
necessary condition read off the rule's `check()`: True whenever unsure (see torchlint/screens.py).
They live here, not next to the rules' libcst visitors, so that the flake8 plugin can run them over
flake8's own tree without importing libcst or any rule module: this module and whatever it imports
stay libcst-free (tests/test_screens.py checks it in a fresh interpreter).  `Rule.screen` looks its
code up in `SCREENS`; a rule without an entry relies on its text pre-check alone.

The torch names a rule and its screen both read are defined here once and imported by the rule.
"""

from __future__ import annotations

import ast
from typing import Callable, Dict, Set, Tuple

from torchlint import tables
from torchlint.analysis.words import _EVAL_WORDS, TRAINING_WORDS, eval_role_name, words
from torchlint.screens import (
    UNKNOWN,
    Facts,
    _children,
    _dotted,
    _walk,
    eval_forward_possible,
    float64_conversion_possible,
    forward_build_possible,
    mode_dependent_terminals,
    names_of,
    nn_class_terminals,
    pickled_model_possible,
    project_class_elsewhere,
    project_text_reachable,
    scripted_import_possible,
    shuffle_with_sampler_possible,
    stateful_nn_class_terminals,
    terminals,
    trained_model_possible,
    unmapped_load_possible,
    view_of_permuted_possible,
    visible_devices_too_late_possible,
    words_in_spans,
)

Screen = Callable[[Facts], bool]
SCREENS: Dict[str, Screen] = {}


def screen(code: str) -> Callable[[Screen], Screen]:
    """Register the decorated function as the screen of rule `code`."""

    def register(function: Screen) -> Screen:
        if code in SCREENS:
            raise RuntimeError(f"two screens for {code}")
        SCREENS[code] = function
        return function

    return register


# What a screen's own text needs, checked before any parse (the flake8 plugin): a finding of these rules
# is a call `ctx.is_name` resolves to a torch name (or an apex amp import), which takes an import of
# torch (apex) -- so the word is in the text.  Rules whose finding may need no such name are not here.
TEXT_NEEDS: Dict[str, Tuple[str, ...]] = {
    "TL103": ("torch",), "TL203": ("torch",), "TL401": ("torch",), "TL404": ("torch",), "TL405": ("torch",),
    "TL802": ("torch",), "TL804": ("torch", "apex"),
}


def text_allows(code: str, source: str) -> bool:
    """Can rule `code`'s screen fire on a file with this text at all?  (Sound: False only when it cannot.)"""
    needs = TEXT_NEEDS.get(code)
    return needs is None or any(word in source for word in needs)


def passes(code: str, facts: Facts) -> bool:
    """Does rule `code`'s screen fire on `facts`?  (No screen, or a broken one: True.)"""
    check = SCREENS.get(code)
    if check is None:
        return True
    try:
        return bool(check(facts))
    except Exception:  # a broken screen must never lose a finding
        return True


# -- names the rules and their screens share ---------------------------------------------------
# TL103: functional dropouts whose `training` parameter defaults to True, with its position.
DROPOUTS = {
    "torch.nn.functional.dropout": 2,
    "torch.nn.functional.dropout1d": 2,
    "torch.nn.functional.dropout2d": 2,
    "torch.nn.functional.dropout3d": 2,
    "torch.nn.functional.alpha_dropout": 2,
    "torch.nn.functional.feature_alpha_dropout": 2,
}
CONVERTERS = ("torch.from_numpy", "torch.tensor", "torch.as_tensor")  # TL203
# TL301: permute-family operations, as the identifiers the code spells.
_PERMUTE_FAMILY = frozenset(("permute", "transpose", "t", "mT", "mH", "T", "swapaxes", "swapdims", "movedim",
                             "moveaxis", "adjoint"))  # the screen's identifiers for requires_text's second group
_LAYOUT = tables.load("tensor_layout")  # TL301's view-breaking operations (= analysis/shapes.py's)
LOAD = "torch.load"  # TL401
# TL501: the compile entry points (= the keys of rules/tl501's JIT_ENTRY_POINTS; tests/test_screens.py checks)
_JIT_ENTRY_POINTS = ("torch.jit.script", "torch.jit.trace", "torch.jit.trace_module")
# TL504: = analysis/objects.py WRAPPERS (that module imports libcst; tests/test_screens.py checks they agree)
_WRAPPERS = ("torch.nn.DataParallel", "torch.nn.parallel.DistributedDataParallel")
# TL701: clock reads.
CLOCKS = frozenset({"time.time", "time.perf_counter", "time.monotonic", "time.time_ns", "time.perf_counter_ns",
                    "time.monotonic_ns", "timeit.default_timer"})  # fmt: skip
BENCHMARK = "torch.backends.cudnn.benchmark"  # TL702
DETERMINISTIC = "torch.backends.cudnn.deterministic"
VARIABLE = ("torch.autograd.Variable", "torch.autograd.variable.Variable")  # TL802
LEGACY = ("pretrained", "pretrained_backbone")  # TL803
APEX_CALLS = ("apex.amp.initialize", "apex.amp.scale_loss")  # TL804


def amp_table() -> dict:
    """TL804: the deprecated amp names and their replacements."""
    return tables.load("deprecated_apis")["amp"]


# -- which qualified names the file's calls may spell ---------------------------------------------------
def _call_names(facts: Facts, bare_decorators: bool = False) -> Set[str]:
    """Every canonical qualified name a call of the file may spell, as names.NameResolver resolves a call's
    function (imports anywhere in the file, absolute only; `X = a.b` aliases), over-approximated: a name
    bound several ways may stand for each (the resolver gives up on it), aliases resolve to a fixpoint.
    `bare_decorators`: the names the decorators that are no call (`@torch.no_grad`) may spell instead."""
    key = "_decorator_names" if bare_decorators else "_call_names"
    if key in facts._memo:
        return facts._memo[key]  # type: ignore[return-value]
    bound: Dict[str, Set[str]] = {}
    aliases = []  # (name, dotted value)
    calls = []
    decorators = []
    for node in _walk(facts.tree):  # ast.walk without contexts and operators
        kind = type(node)
        if kind is ast.Call:
            spelled = _dotted(node.func)
            if spelled is not None:
                calls.append(spelled)
        elif kind is ast.FunctionDef or kind is ast.AsyncFunctionDef or kind is ast.ClassDef:
            for decorator in node.decorator_list:
                spelled = _dotted(decorator)
                if spelled is not None:
                    decorators.append(spelled)
        elif kind is ast.Import:
            for alias in node.names:
                if alias.asname:
                    bound.setdefault(alias.asname, set()).add(alias.name)
                else:  # `import torch.nn` binds `torch`
                    root = alias.name.split(".", 1)[0]
                    bound.setdefault(root, set()).add(root)
        elif kind is ast.ImportFrom:
            if node.level == 0 and node.module:
                for alias in node.names:
                    if alias.name != "*":
                        bound.setdefault(alias.asname or alias.name, set()).add(f"{node.module}.{alias.name}")
        elif kind is ast.Assign and len(node.targets) == 1 and type(node.targets[0]) is ast.Name:
            value = _dotted(node.value)
            if value is not None:
                aliases.append((node.targets[0].id, value))

    def resolve(spelled: str) -> Set[str]:
        root, _, rest = spelled.partition(".")
        return {f"{b}.{rest}" if rest else b for b in bound.get(root, ())}

    changed = bool(aliases)
    while changed:
        changed = False
        for name, value in aliases:
            found = resolve(value)
            known = bound.setdefault(name, set())
            if not found <= known:
                known |= found
                changed = True
    facts._memo["_resolve"] = resolve  # dotted spelling -> the qualified names it may stand for (not canonical)
    facts._memo["_call_names"] = {tables.canonical_name(full) for spelled in calls for full in resolve(spelled)}
    facts._memo["_decorator_names"] = {tables.canonical_name(f) for spelled in decorators for f in resolve(spelled)}
    return facts._memo[key]  # type: ignore[return-value]


def _may_call(facts: Facts, *qualified: str) -> bool:
    """May some call of the file spell one of these qualified names (ctx.is_name / ctx.call_name)?"""
    return not _call_names(facts).isdisjoint(tables.canonical_name(q) for q in qualified)


# -- the screens ----------------------------------------------------------------------------------
@screen("TL001")
def tl001(facts: Facts) -> bool:
    # `noqa.unused_noqa` only judges `TL` codes (not TL000) listed in noqa comments that do not name
    # TL001 itself; the same pattern over the whole text (strings too) can only admit more.
    from torchlint.noqa import _LETTERS_CODE, _LINE_NOQA

    for match in _LINE_NOQA.finditer(facts.source):
        codes = match.group("codes")
        if not codes:
            continue
        named = {c.upper() for c in _LETTERS_CODE.findall(codes)}
        if "TL001" not in named and any(c.startswith("TL") and c != "TL000" for c in named):
            return True
    return False


@screen("TL101")
def tl101(facts: Facts) -> bool:
    # A module class with `forward`, and in its forward-only code (`forward`, or a non-dunder method
    # referenced as `self.<method>`) a call of a torch.nn class or of a class of this file, or (the
    # cross-file check, `Project.class_of`) a dotted name rooted at a first-party import binding.
    if "forward" not in facts.method_names:
        return False
    built = facts.expand(stateful_nn_class_terminals() | facts.classes)
    if facts.path is not None and facts.project is not UNKNOWN:
        # The engine says which project the rules see: ask it whether a dotted name is another file's class.
        return forward_build_possible(facts, built, cross=lambda spelled: project_class_elsewhere(facts, spelled))
    # No project said (a caller that gives no path): any absolute import may be first-party, but for the
    # standard modules a project does not shadow -- never a guess about third-party names (timm's own
    # repository imports `timm.layers` first-party).
    roots, any_root = _first_party_roots(facts)
    if not roots and not any_root and not any(
        (method == "forward" or method in facts.attrs) and not called.isdisjoint(built)
        for method, called in facts.method_calls.items()
    ):
        return False
    # the same question, per class and its forward-only code
    return forward_build_possible(facts, built, frozenset(roots), any_root)


# Standard modules a project does not shadow with a file of its own (the project model would resolve
# such an import to that file).  Names projects do use for their own modules (test, code, types,
# parser, profile, trace, token, ...) are left out: an import of those may be first-party.
_STDLIB_NOT_SHADOWED = frozenset({
    "__future__", "abc", "argparse", "array", "ast", "asyncio", "atexit", "base64", "bisect", "builtins", "bz2",
    "calendar", "cmath", "codecs", "collections", "concurrent", "configparser", "contextlib", "copy", "csv", "ctypes",
    "dataclasses", "datetime", "decimal", "difflib", "email", "enum", "errno", "fnmatch", "fractions", "functools",
    "gc", "getpass", "glob", "gzip", "hashlib", "heapq", "hmac", "html", "http", "importlib", "inspect", "io",
    "ipaddress", "itertools", "json", "linecache", "locale", "logging", "lzma", "math", "mimetypes",
    "multiprocessing", "numbers", "operator", "os", "pathlib", "pdb", "pickle", "pkgutil", "platform", "pprint",
    "queue", "random", "re", "runpy", "sched", "secrets", "selectors", "shlex", "shutil", "signal", "socket",
    "sqlite3", "ssl", "stat", "statistics", "string", "struct", "subprocess", "sys", "sysconfig", "tarfile",
    "tempfile", "textwrap", "threading", "time", "timeit", "tokenize", "traceback", "tracemalloc", "typing",
    "unicodedata", "unittest", "urllib", "uuid", "warnings", "weakref", "xml", "zipfile", "zlib",
})  # fmt: skip


def _first_party_roots(facts: Facts, skipped: frozenset = _STDLIB_NOT_SHADOWED,
                       ) -> Tuple[Set[str], bool]:
    """The names imports from maybe-first-party modules bind (`from <module> import X` binds X, `import
    <module>.b` binds its root; relative imports always count, absolute ones unless their top module is
    in `skipped`), and whether such a star import may bind any name (then any dotted call may resolve
    through it).  `Project.class_of`/`call_target` resolve a call only when the root of its dotted name
    is bound by an import (or a star import exists)."""
    key = ("_project_roots", skipped)
    if key in facts._memo:
        return facts._memo[key]  # type: ignore[return-value]
    roots: Set[str] = set()
    any_root = False
    pending = list(getattr(facts.tree, "body", ()))
    while pending:  # statements only (an import is one): never their expressions
        node = pending.pop()
        for part in ("body", "orelse", "finalbody", "handlers", "cases"):
            for child in getattr(node, part, ()) or ():
                pending.extend(child.body if isinstance(child, (ast.ExceptHandler, ast.match_case)) else [child])
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").split(".", 1)[0] in skipped:
                continue
            for alias in node.names:
                if alias.name == "*":
                    any_root = True
                else:
                    roots.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".", 1)[0] not in skipped:
                    roots.add(alias.asname or alias.name.split(".", 1)[0])
    facts._memo[key] = (roots, any_root)
    return roots, any_root


@screen("TL102")
def tl102(facts: Facts) -> bool:
    # A module class with `forward`, and a torch.nn class (or a class of this file) called in
    # forward-only code: `forward`, or a non-dunder method referenced as `self.<method>`.
    if "forward" not in facts.method_names:
        return False
    built = facts.expand(nn_class_terminals() | facts.classes)
    if not any(
        (method == "forward" or method in facts.attrs) and not called.isdisjoint(built)
        for method, called in facts.method_calls.items()
    ):
        return False
    return forward_build_possible(facts, built)  # the same question, per class and its forward-only code


@screen("TL103")
def tl103(facts: Facts) -> bool:
    # A functional dropout called in a method (not `__init__`) of a class.
    return not facts.direct_method_calls.isdisjoint(facts.expand(terminals(frozenset(DROPOUTS))))


@screen("TL201")
def tl201(facts: Facts) -> bool:
    # An epoch loop in this file, and a shuffling DistributedSampler (`is_distributed_sampler_call`: a
    # construction of it or of a same-file subclass, or another file's, which its summary records only
    # where that file constructs one): the name is spelled in this file's code (an identifier: not in a
    # comment or docstring) or in the text of a first-party module the project model may follow from
    # this file's imports.
    if facts.loops == 0:
        return False
    return facts.mentions(_SAMPLER_WORDS) or project_text_reachable(facts, _SAMPLER_WORDS)


_SAMPLER_WORDS = names_of("torch.utils.data.distributed.DistributedSampler")  # (= analysis/samplers.py's)


@screen("TL202")
def tl202(facts: Facts) -> bool:
    # `DataLoader(..., shuffle=True, sampler=<not None>)` (or `batch_sampler=`), spelled in one call of
    # a DataLoader or of a class of this file (a subclass of it).
    return shuffle_with_sampler_possible(facts, set(names_of(DATALOADER)) | facts.classes)


DATALOADER = "torch.utils.data.DataLoader"  # TL202 (= analysis/samplers.py DATALOADER)


@screen("TL203")
def tl203(facts: Facts) -> bool:
    # A torch.from_numpy/tensor/as_tensor call of one typable argument (no dtype), and a float64
    # array to convert: `array_dtype` proves float64 only from numpy-qualified calls (an import naming
    # numpy) or `.astype(...)`.
    if not facts.calls(names_of(*CONVERTERS)):
        return False
    if "numpy" not in facts.idents and "astype" not in facts.attr_calls:
        return False
    return float64_conversion_possible(facts, set(names_of(*CONVERTERS)))


@screen("TL204")
def tl204(facts: Facts) -> bool:
    return facts.loops > 0 and facts.calls(("backward",))  # a training loop: a backward pass in a loop


@screen("TL205")
def tl205(facts: Facts) -> bool:
    # A training loop (a backward pass in a loop) that steps an optimizer.
    return facts.loops > 0 and "step" in facts.attr_calls and facts.calls(("backward",))


@screen("TL301")
def tl301(facts: Facts) -> bool:
    # A `.view(...)` call and a permute-family operation spelled in the code (not in a string), on
    # the view's receiver or in the scope of the name it views (see `noncontiguous_origin`).
    if not ("view" in facts.attr_calls and facts.mentions(_PERMUTE_FAMILY)):
        return False
    return view_of_permuted_possible(facts, set(_LAYOUT["noncontiguous_view_methods"]),
                                     set(_LAYOUT["noncontiguous_view_properties"]),
                                     set(terminals(frozenset(_LAYOUT["noncontiguous_view_functions"]))))


@screen("TL401")
def tl401(facts: Facts) -> bool:
    # Every finding is a torch.load call without `map_location` (`unmapped_load`).
    return facts.calls(names_of(LOAD)) and _may_call(facts, LOAD) and unmapped_load_possible(facts, set(names_of(LOAD)))


@screen("TL402")
def tl402(facts: Facts) -> bool:
    return facts.calls(names_of("torch.save"))  # every finding starts from a torch.save


@screen("TL403")
def tl403(facts: Facts) -> bool:
    return "load_state_dict" in facts.attr_calls  # `<x>.load_state_dict(...)`


@screen("TL404")
def tl404(facts: Facts) -> bool:
    # A torch.save (of what may be a module on every path) or a default torch.load (whose result may be
    # used as a module): see `pickled_model_possible`.
    if not (facts.calls(names_of("torch.save", "torch.load")) and _may_call(facts, "torch.save", "torch.load")):
        return False
    return pickled_model_possible(facts, set(names_of("torch.save")), set(names_of("torch.load")),
                                  _MODULE_ONLY_METHODS, _MODULE_TO_MODULE)


# Methods only a module has (= rules/tl404_load_pickled_model.py MODULE_ONLY_METHODS).
_MODULE_ONLY_METHODS = frozenset({
    "eval", "train", "parameters", "named_parameters", "buffers", "named_buffers", "modules",
    "named_modules", "children", "named_children", "forward", "register_forward_hook", "fuse",
})  # fmt: skip
# Methods that return a module when called on one (= analysis/objects.py _MODULE_TO_MODULE).
_MODULE_TO_MODULE = frozenset({"to", "cuda", "cpu", "float", "half", "double", "bfloat16", "train", "eval",
                               "requires_grad_", "to_empty", "share_memory"})  # fmt: skip


@screen("TL405")
def tl405(facts: Facts) -> bool:
    return facts.calls(names_of("torch.save")) and _may_call(facts, "torch.save")  # the views a torch.save stores


@screen("TL501")
def tl501(facts: Facts) -> bool:
    # Every finding is a torch.jit.script/trace call's argument that is a DataParallel/DDP construction
    # here (the wrapper's name is spelled in this file) or another first-party file's wrapper, reached
    # through an imported name or a call of an imported function (`Project.wrapper_value`).
    if not facts.calls(names_of(*_JIT_ENTRY_POINTS)):
        return False
    if facts.mentions(names_of(*_WRAPPERS)):
        return True
    roots, any_root = _first_party_roots(facts, _TORCH_AND_STDLIB)
    return any_root or (bool(roots) and scripted_import_possible(facts, set(names_of(*_JIT_ENTRY_POINTS)), roots))


@screen("TL502")
def tl502(facts: Facts) -> bool:
    return facts.int_base_calls and _bad_int_base(facts)  # `int(x, base)`: two arguments


def _bad_int_base(facts: Facts) -> bool:
    """A call `int(x, B)` / `int(x, base=B)` (no `*`/`**`) whose B is an integer literal, signed or not,
    outside 0 and 2..36 (rules/tl502's `bad_base`; `int` rebound or not)."""
    for node in _walk(facts.tree):  # ast.walk without contexts and operators
        if type(node) is not ast.Call or type(node.func) is not ast.Name or node.func.id != "int":
            continue
        args, keywords = node.args, node.keywords
        if any(type(a) is ast.Starred for a in args) or any(k.arg is None for k in keywords):
            continue
        if len(args) == 2 and not keywords:
            base = args[1]
        elif len(args) == 1 and len(keywords) == 1 and keywords[0].arg == "base":
            base = keywords[0].value
        else:
            continue
        sign = 1
        if type(base) is ast.UnaryOp and type(base.op) in (ast.USub, ast.UAdd):
            sign = -1 if type(base.op) is ast.USub else 1
            base = base.operand
        if type(base) is not ast.Constant or type(base.value) is not int:
            continue
        value = sign * base.value
        if value != 0 and not 2 <= value <= 36:
            return True
    return False


@screen("TL503")
def tl503(facts: Facts) -> bool:
    # `<parser>.add_argument(...)`, an import naming `launch`, or `runpy.run_module(...)`.
    return "add_argument" in facts.attr_calls or "launch" in facts.idents or facts.calls(("run_module",))


@screen("TL504")
def tl504(facts: Facts) -> bool:
    return facts.calls(names_of(*_WRAPPERS))  # a DataParallel/DDP construction


@screen("TL601")
def tl601(facts: Facts) -> bool:
    # Every evaluation context needs a grad-disabling name, an eval-role function name or a
    # for-loop over an eval-named iterable; the frozen-teacher case needs grad disabled too.
    # The context must hold a call that may be a model forward (see `_forward_key`).
    grad = names_of("torch.no_grad", "torch.inference_mode", "torch.set_grad_enabled")
    if not (facts.mentions(grad) or any(eval_role_name(name) for name in facts.functions)
            or words_in_spans(facts, facts.for_iters, _EVAL_WORDS, words)):  # fmt: skip
        return False
    dependent = lambda: _mode_dependent_possible(facts)  # noqa: E731 (asked only when the answer needs it)
    return eval_forward_possible(facts, grad, eval_role_name, _EVAL_WORDS, words, dependent)


def _mode_dependent_possible(facts: Facts) -> bool:
    """Can `model_status` be DEPENDENT for something in this file?  Its evidence is always a mode-dependent
    torch.nn class (by a name ending in its own: an import or an alias spells it), a class reading
    `self.training`, or (`project_status`) a first-party class or factory of another file, whose summary
    has the same evidence in its text."""
    if "training" in facts.attrs or facts.mentions(facts.expand(mode_dependent_terminals())):
        return True
    return project_text_reachable(facts, mode_dependent_terminals() | {"training"})


@screen("TL602")
def tl602(facts: Facts) -> bool:
    # An epoch loop that trains (a backward pass, an optimizer step, or an imported first-party
    # function's training step) and puts a model in eval mode (`.eval()`, `.train(False)`, or an
    # imported first-party function that calls `.eval()` on a model handed in), and a model trained
    # here: `key.parameters()` handed to code, or an optimizer's `.step()`.
    if facts.loops == 0 or facts.attr_calls.isdisjoint(("parameters", "named_parameters", "step")):
        return False
    roots, any_root = _first_party_roots(facts, _TORCH_AND_STDLIB)
    remote = any_root or not facts.call_roots.isdisjoint(roots)  # `_remote_mode_calls`, `_remote_training_step`
    # Another file's function puts a model handed to it in eval mode only by an `eval` call there (its
    # summary's `methods`), and runs a training step only by a backward, step or autograd call there.
    if "eval" not in facts.attr_calls and "train" not in facts.attr_calls:
        if not (remote and project_text_reachable(facts, _REMOTE_EVAL)):
            return False
    if facts.attr_calls.isdisjoint(("backward", "step", "zero_grad")) and not facts.calls(_AUTOGRAD):
        if not (remote and project_text_reachable(facts, TRAINING_WORDS)):
            return False
    return trained_model_possible(facts)


_REMOTE_EVAL = frozenset({"eval"})


_TORCH_AND_STDLIB = frozenset({"torch"}) | _STDLIB_NOT_SHADOWED  # TL602's remote calls: never `torch.`-qualified
_AUTOGRAD = names_of("torch.autograd.grad", "torch.autograd.backward")


@screen("TL603")
def tl603(facts: Facts) -> bool:
    # A whole-module freeze (`x.requires_grad_(False)`, or a for-loop setting `p.requires_grad = False`)
    # and a `<module>.train(...)` call that covers it (rules/tl603's freeze_sites and _train_calls).
    if "train" not in facts.attr_calls:
        return False
    return "requires_grad_" in facts.attr_calls or (facts.loops > 0 and "requires_grad" in facts.attrs)


@screen("TL701")
def tl701(facts: Facts) -> bool:
    # An interval (`_intervals`) is two clock reads, distinct calls in one scope (function, lambda, class
    # or module: ctx.scope_of), the later subtracting the earlier.
    return facts.calls(names_of(*CLOCKS)) and _may_call(facts, *CLOCKS) and _two_clock_reads_in_a_scope(facts)


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _two_clock_reads_in_a_scope(facts: Facts) -> bool:
    _call_names(facts)
    resolve = facts._memo["_resolve"]
    clocks = {tables.canonical_name(q) for q in CLOCKS}
    terminals_ = facts.expand(names_of(*CLOCKS))
    reads: Dict[int, int] = {}
    stack = [(facts.tree, id(facts.tree))]
    while stack:
        node, scope = stack.pop()
        kind = type(node)
        if kind is ast.Call:
            spelled = _dotted(node.func)
            if spelled is not None and spelled.rsplit(".", 1)[-1] in terminals_ and \
                    not clocks.isdisjoint(tables.canonical_name(q) for q in resolve(spelled)):  # fmt: skip
                reads[scope] = reads.get(scope, 0) + 1
                if reads[scope] >= 2:
                    return True
        # a def's decorators and defaults are its children in both trees (cst's `enclosing` finds the def)
        inner = id(node) if kind in _SCOPES else scope
        stack.extend((child, inner) for child in _children(node))
    return False


@screen("TL702")
def tl702(facts: Facts) -> bool:
    # Both flags assigned as attributes (`cudnn.benchmark = ...`, `cudnn.deterministic = ...`).
    return facts.mentions(names_of(BENCHMARK)) and facts.mentions(names_of(DETERMINISTIC))


@screen("TL703")
def tl703(facts: Facts) -> bool:
    # `CUDA_VISIBLE_DEVICES` set in the code, and something that may initialise CUDA before it.
    return visible_devices_too_late_possible(facts)


@screen("TL801")
def tl801(facts: Facts) -> bool:
    return "get_lr" in facts.attr_calls  # `<scheduler>.get_lr()`


@screen("TL802")
def tl802(facts: Facts) -> bool:
    return facts.calls(names_of(*VARIABLE)) and _may_call(facts, *VARIABLE)  # a torch.autograd.Variable call


@screen("TL803")
def tl803(facts: Facts) -> bool:
    # `pretrained=` passed by keyword, to a call that may spell a torchvision builder (`pretrained_calls`:
    # ctx.call_name through the weights table's aliases), or to `models.__dict__[arch](...)`.
    if facts.keywords.isdisjoint(LEGACY):
        return False
    if "__dict__" in facts.attrs:
        return True
    table = tables.load("torchvision_weights")
    aliases, builders = table["aliases"], table["builders"]
    return any(aliases.get(name, name) in builders for name in _call_names(facts))


@screen("TL804")
def tl804(facts: Facts) -> bool:
    # apex (an import of apex.amp is reported), or a call or bare decorator that may spell a deprecated amp
    # name (`deprecated_amp_calls`; any spelling ends in its last component).
    if "apex" in facts.idents:
        return True
    table = amp_table()
    if not facts.mentions(terminals(frozenset(table))):
        return False
    return _may_call(facts, *table) or not _call_names(facts, True).isdisjoint(map(tables.canonical_name, table))
