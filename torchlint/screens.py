"""The cheap screening tier: can this file possibly yield a finding of this rule?

libcst's parse is most of a cold run's cost, yet few files produce a finding.  Before that parse,
the engine parses the text with Python's own parser (C, ~10x cheaper), collects a few facts in
one traversal (`Facts`), and asks each rule that passed its text pre-check its `screen(facts)`.
Only when some rule's screen fires is the file parsed with libcst and analysed as before.

Screens are SOUND: a necessary condition for a finding, read off the rule's detector, never a
guess.  Whenever a screen cannot be sure it answers True.  Facts over-approximate (an identifier
is "used" if it appears anywhere in the code; a name bound by `import ... as`/`n = a.b` may stand
for what it is bound to), which keeps them sound.  `--no-screen` analyses every file fully; tests
/test_screens.py and benchmarks/bench_cold.py check that both modes report the same findings.

A file that Python cannot parse, that nests too deeply (engine.too_deep), or that mixes tab and space
indentation (libcst rejects what Python accepts) is never screened out: its TL000 is reported as
without screens.  The one difference left: a file libcst cannot parse for another reason although
Python can (thousands of implicitly joined strings) gets its "libcst cannot parse" TL000 only when
some rule's screen fires -- no rule could have reported anything in it.
"""

from __future__ import annotations

import ast
import operator
import os
import re
from functools import cache
from typing import Callable, Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

UNKNOWN = object()  # Facts.project when the caller did not say which project the rules see

# libcst rejects tab/space-mixed indentation that Python accepts (engine._describe_syntax_error):
# such files are not screened, so their TL000 stays.
_MIXED_INDENT = re.compile(r"^[ ]*\t|^\t+ ", re.MULTILINE)


class Facts:
    """What screens read, from one traversal of Python's `ast` tree."""

    __slots__ = (
        "source", "idents", "attrs", "attr_calls", "name_calls", "method_calls", "direct_method_calls", "functions",
        "method_names", "classes", "loops", "for_iters", "aliases", "int_base_calls", "keywords", "_lines", "tree",
        "_memo", "class_nodes", "call_roots", "path", "project", "imports",
    )  # fmt: skip

    def __init__(self, source: str) -> None:
        self.source = source
        self.idents: Set[str] = set()  # every identifier of the code (names, attributes, defs, args, imports)
        self.attr_calls: Set[str] = set()  # `x.f(...)`: f
        self.call_roots: Set[str] = set()  # `a.b.f(...)`: a; `f(...)`: f (the root of a called dotted name)
        self.name_calls: Set[str] = set()  # `f(...)`: f
        # method name -> called terminals inside that non-dunder method of a class (any depth)
        self.method_calls: Dict[str, Set[str]] = {}
        self.attrs: Set[str] = set()  # `x.a`: a
        # ... whose innermost function is a method, not __init__, with at most 2 positional arguments,
        # no `training=` and no `*`/`**` (TL103: a dropout that may default to training=True)
        self.direct_method_calls: Set[str] = set()
        self.functions: Set[str] = set()  # names of every def
        self.method_names: Set[str] = set()  # defs directly in a class body
        self.classes: Set[str] = set()
        self.loops = 0  # For / While statements
        self.for_iters: List[Tuple[int, int]] = []  # line spans of every for-loop's iterable
        self.aliases: Dict[str, Set[str]] = {}  # local name -> terminal names it may be bound to
        self.int_base_calls = False  # `int(a, b)` / `int(a, base=b)`: two arguments
        self.keywords: Set[str] = set()  # keyword argument names
        self._lines: Optional[List[str]] = None
        self.tree: Optional[ast.AST] = None  # for screens that need a second, targeted look
        self._memo: Dict[str, object] = {}
        self.class_nodes: List[ast.ClassDef] = []
        # The file's path and its analysis.project.Project when the caller knows them (the engine):
        # screens of cross-file checks may then ask the project (module tables from Python's parser)
        # instead of assuming any import may be first-party.  UNKNOWN: not told (flake8, tests).
        self.path: Optional[str] = None
        self.project: object = UNKNOWN
        self.imports: List[ast.AST] = []  # every Import / ImportFrom statement, in no particular order

    def lines(self) -> List[str]:
        if self._lines is None:
            self._lines = self.source.splitlines()
        return self._lines

    def spans_text(self, spans: Iterable[Tuple[int, int]]) -> Iterator[str]:
        lines = self.lines()
        for start, end in spans:
            yield "\n".join(lines[start - 1 : end])

    # -- questions screens ask ----------------------------------------------------------------
    def expand(self, terminals: Iterable[str]) -> Set[str]:
        """`terminals` plus every local name that may be bound to one of them (aliases, transitively)."""
        found = set(terminals)
        changed = True
        while changed:
            changed = False
            for name, bound in self.aliases.items():
                if name not in found and bound & found:
                    found.add(name)
                    changed = True
        return found

    def mentions(self, terminals: Iterable[str]) -> bool:
        return not self.idents.isdisjoint(terminals)

    def calls(self, terminals: Iterable[str]) -> bool:
        """Is something that may be one of `terminals` called (`f(...)` or `x.f(...)`)?"""
        wanted = self.expand(terminals)
        return not (self.attr_calls.isdisjoint(wanted) and self.name_calls.isdisjoint(wanted))



# Fields that never hold a node the screens read: expression contexts and operators (AST singletons) and
# plain values.  Skipping them makes a traversal ~40% cheaper than ast.iter_child_nodes.
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops", "id", "attr", "arg", "module", "level", "kind", "type_comment",
                             "conversion", "is_async"})  # fmt: skip
# Lists of identifiers (never nodes), and the node types whose lists may hold None (`{**a}`'s key, a
# keyword-only argument without default).  tests/test_screens.py checks both against Python's grammar.
_IDENTIFIER_LISTS = frozenset({(ast.Global, "names"), (ast.Nonlocal, "names"), (ast.MatchClass, "kwd_attrs")})
_LISTS_WITH_NONE = frozenset({ast.Dict, ast.arguments})
_GETTERS: Dict[type, Optional[Callable]] = {}


def _getter(kind: type) -> Optional[Callable]:
    """A function from a node of `kind` to the values of its fields that may hold nodes (None: none)."""
    fields = tuple(f for f in kind._fields if f not in _SKIPPED_FIELDS and (kind, f) not in _IDENTIFIER_LISTS)
    if kind is ast.Constant or not fields:
        return None  # a leaf: `Constant.value` is a Python value, never a node
    if len(fields) == 1:
        field = fields[0]
        return lambda node: (getattr(node, field, None),)
    return operator.attrgetter(*fields)


def _children(node: ast.AST) -> List[ast.AST]:
    """`ast.iter_child_nodes(node)` without contexts and operators."""
    kind = type(node)
    try:
        get = _GETTERS[kind]
    except KeyError:
        get = _GETTERS[kind] = _getter(kind)
    if get is None:
        return []
    found: List[ast.AST] = []
    AST = ast.AST
    for value in get(node):
        if type(value) is list:
            if kind in _LISTS_WITH_NONE:
                found.extend(item for item in value if item is not None)
            else:
                found.extend(value)
        elif isinstance(value, AST):
            found.append(value)
    return found


def _walk(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of `tree` but contexts and operators (any order)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        pending.extend(_children(node))
        yield node


def _terminal(node: ast.AST) -> Optional[str]:
    kind = type(node)
    if kind is ast.Name:
        return node.id
    if kind is ast.Attribute:
        return node.attr
    return None


def collect(tree: ast.AST, source: str) -> Facts:
    """The facts of one module, in one traversal."""
    facts = Facts(source)
    facts.tree = tree
    idents = facts.idents
    attr_calls, name_calls, call_roots = facts.attr_calls, facts.name_calls, facts.call_roots
    method_calls, direct_calls = facts.method_calls, facts.direct_method_calls
    aliases = facts.aliases
    keywords = facts.keywords
    attrs = facts.attrs
    Name, Attribute, Call, FunctionDef, AsyncFunctionDef, ClassDef = (
        ast.Name, ast.Attribute, ast.Call, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)  # fmt: skip
    Lambda, For, AsyncFor, While, Import, ImportFrom, Assign, arg = (
        ast.Lambda, ast.For, ast.AsyncFor, ast.While, ast.Import, ast.ImportFrom, ast.Assign, ast.arg)  # fmt: skip
    iter_children = _children
    # (node, the non-dunder method it is in at any depth (None: none), innermost function is a method
    #  other than __init__ (the name of its first parameter; else False), node is in a class body, not
    #  inside a def or lambda of it)
    stack: List[tuple] = [(tree, None, False, False)]
    pop, push = stack.pop, stack.append
    while stack:
        node, deep, direct, in_class = pop()
        kind = type(node)
        if kind is Name:
            idents.add(node.id)
            continue
        if kind is Attribute:
            idents.add(node.attr)
            attrs.add(node.attr)
        elif kind is Call:
            func = node.func
            ftype = type(func)
            if ftype is Attribute:
                term = func.attr
                attr_calls.add(term)
                root = func.value
                while type(root) is Attribute:
                    root = root.value
                if type(root) is Name:
                    call_roots.add(root.id)
            elif ftype is Name:
                term = func.id
                name_calls.add(term)
                call_roots.add(term)
                if term == "int" and len(node.args) + len(node.keywords) == 2:
                    facts.int_base_calls = True
            else:
                term = None
            if term is not None:
                if deep is not None:
                    called = method_calls.get(deep)
                    if called is None:
                        called = method_calls[deep] = set()
                    called.add(term)
                if direct and len(node.args) <= 2 and not any(type(a) is ast.Starred for a in node.args) and not any(
                    k.arg is None or k.arg == "training" for k in node.keywords
                ) and not (ftype is Attribute and type(root) is Name and root.id == direct):  # fmt: skip
                    direct_calls.add(term)  # (`self.dropout(x)`: an attribute of the method's `self`, never torch's)
            for keyword in node.keywords:
                if keyword.arg is not None:
                    keywords.add(keyword.arg)
                    idents.add(keyword.arg)
        elif kind is FunctionDef or kind is AsyncFunctionDef:
            name = node.name
            idents.add(name)
            facts.functions.add(name)
            if in_class:
                facts.method_names.add(name)
                deep = None if name.startswith("__") else name
                # `direct`: the name of the method's first parameter (its `self`; "(" for none), or False
                positional = node.args.posonlyargs + node.args.args
                direct = (positional[0].arg if positional else "(") if name != "__init__" else False
            else:
                direct = False
            for child in iter_children(node):
                push((child, deep, direct, False))
            continue
        elif kind is Lambda:
            direct = in_class = False
        elif kind is ClassDef:
            idents.add(node.name)
            facts.classes.add(node.name)
            facts.class_nodes.append(node)
            for child in iter_children(node):
                push((child, None, False, True))
            continue
        elif kind is For or kind is AsyncFor:
            facts.loops += 1
            iterable = node.iter
            facts.for_iters.append((iterable.lineno, iterable.end_lineno or iterable.lineno))
        elif kind is While:
            facts.loops += 1
        elif kind is arg:
            idents.add(node.arg)
        elif kind is Import or kind is ImportFrom:
            facts.imports.append(node)
            module = getattr(node, "module", None)
            if module:
                idents.update(module.split("."))
            for alias in node.names:
                parts = alias.name.split(".")
                idents.update(parts)
                if alias.asname:
                    idents.add(alias.asname)
                    aliases.setdefault(alias.asname, set()).add(parts[-1])
        elif kind is Assign:
            term = _terminal(node.value)
            if term is not None:
                for target in node.targets:
                    if type(target) is Name:
                        aliases.setdefault(target.id, set()).add(term)
        elif kind is ast.keyword:
            if node.arg is not None:
                idents.add(node.arg)
        elif kind is ast.alias:
            continue
        elif kind is ast.Global or kind is ast.Nonlocal:
            idents.update(node.names)
        for child in iter_children(node):  # a class body's if/try/with statements are still its body
            push((child, deep, direct, in_class))
    return facts


def python_tree(source: str) -> Optional[ast.AST]:
    """Python's `ast` of `source`, or None when Python cannot parse it."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def parse_facts(source: str, tree: Optional[ast.AST] = None) -> Optional[Facts]:
    """The facts of `source` (`tree`: its `ast`, when the caller has one), or None when it must not
    be screened (Python cannot parse it, or libcst would reject it although Python accepts it)."""
    if _MIXED_INDENT.search(source):
        return None
    try:
        return collect(ast.parse(source) if tree is None else tree, source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def screen_rules(source: str, candidates: Sequence, facts: Optional[Facts] = None, tree=None,
                 path: Optional[str] = None, project: object = None) -> List:
    """The candidates (rules that passed their text pre-check) whose screen fires on `source`.

    `path` and `project` (the Project the rules will see, None for none): when the caller passes a
    path, screens of cross-file checks ask that project (see `Facts.path`)."""
    from torchlint.rule_screens import SCREENS

    if not any(rule.code in SCREENS or type(rule).screen is not _default_screen() for rule in candidates):
        return list(candidates)  # nobody screens: no need to parse twice
    if facts is None:
        facts = parse_facts(source, tree)
    if facts is None:
        return list(candidates)
    if path is not None:
        facts.path, facts.project = path, project
    kept = []
    for rule in candidates:
        try:
            fires = rule.screen(facts)
        except Exception:  # a broken screen must never lose a finding
            fires = True
        if fires:
            kept.append(rule)
    return kept


@cache
def _default_screen():
    from torchlint.rule import Rule

    return Rule.screen


# -- helpers for rules' screens ---------------------------------------------------------------
@cache
def terminals(qualified: FrozenSet[str]) -> FrozenSet[str]:
    """Last components of these torch names and of every alias spelling of them (tables: aliases)."""
    from torchlint import tables

    found = {q.rsplit(".", 1)[-1] for q in qualified}
    for spelled, canonical in tables.load("aliases").items():
        if canonical in qualified:
            found.add(spelled.rsplit(".", 1)[-1])
    return frozenset(found)


def names_of(*qualified: str) -> FrozenSet[str]:
    return terminals(frozenset(qualified))


@cache
def nn_class_terminals() -> FrozenSet[str]:
    from torchlint import tables

    return terminals(frozenset(tables.load("nn_modules")["classes"]))  # = analysis.modules.nn_classes(), libcst-free


@cache
def stateful_nn_class_terminals() -> FrozenSet[str]:
    """Last components of the torch.nn classes whose construction analysis/modules.py `torch_module_state`
    can find state in (parameters, buffers or mode dependence, for the class or one of its variants;
    not a container, not unknown), aliases included: building any other torch.nn class in `forward`
    (`nn.Softmax(dim=-1)(x)`, `nn.ReLU()`) is no TL101 finding (`stateful_reason` is None)."""
    from torchlint import tables

    kinds = ("parameters", "buffers", "mode_dependent")  # = analysis/modules.py STATE_KINDS
    classes = tables.load("nn_modules")["classes"]
    stateful = [name for name, entry in classes.items()
                if entry.get("parameters") is not None and not entry.get("container")
                and (any(entry.get(k) for k in kinds)
                     or entry.get("flags") and any(v.get(k) for v in entry.get("variants") or [] for k in kinds))]
    return terminals(frozenset(stateful))


@cache
def mode_dependent_terminals() -> FrozenSet[str]:
    """Last components of the torch.nn classes that analysis/modules.py `nn_class_status` can call
    DEPENDENT (a mode-dependent entry, a variant that is, or numeric thresholds), aliases included."""
    from torchlint import tables

    classes = tables.load("nn_modules")["classes"]
    dependent = [name for name, entry in classes.items() if entry.get("mode_dependent") or entry.get("thresholds")
                 or any(v.get("mode_dependent") for v in entry.get("variants") or [])]  # fmt: skip
    return terminals(frozenset(dependent))


def eval_forward_possible(facts: Facts, grad_disabling: Set[str], role_name, eval_words: Set[str], split,
                          dependent_possible=lambda: True) -> bool:
    """TL601's question, in a second pass over the tree: is there a call that may be a model forward
    (`_forward_key`) inside an evaluation context (a `with` or decorator naming a grad-disabling
    function, a function with an eval-role name, a for-loop over an eval-named iterable)?

    A forward is `name(...)` or `self.attr(...)` in a method of a class without bases (`self.x(...)` in
    an nn.Module's method is its caller's business), after stripping `.module`/`.forward`/`._orig_mod`.
    `name(...)` is not a forward (`_forward_key`) when `name` is imported, an unbound builtin, the name
    of exactly one module-level class (`same_file_class`), or when the innermost scope binding it (class
    bodies skipped, as `resolve_call` does) binds it by exactly one `def` and nothing else.  Nor can it
    be reported (`model_status` cannot be DEPENDENT, the key is not model-like) when that scope is a
    function that binds it only as a parameter, whose own name the file never mentions (no same-file
    call sites: `_param_status` is UNRESOLVED), and the name does not contain "model" or "net".

    `dependent_possible()` False (no model here or in what the project may read can be DEPENDENT): TL601
    reports an UNRESOLVED model only when its key is model-like, so only forwards whose last name part
    says "model" or "net" count.  It is asked only when the answer depends on it."""
    if "tl601" not in facts._memo:
        facts._memo["tl601"] = _eval_forwards(facts, grad_disabling, role_name, eval_words, split)
    any_forward, model_like_forward = facts._memo["tl601"]  # type: ignore[misc]
    return model_like_forward or (any_forward and dependent_possible())


def _eval_forwards(facts: Facts, grad_disabling: Set[str], role_name, eval_words: Set[str], split,
                   ) -> Tuple[bool, bool]:
    """(a possible forward in an evaluation context, one whose name is model-like): see eval_forward_possible."""
    import builtins

    grad = facts.expand(grad_disabling)
    # In a pytest file (known when the engine gives the path) a call in a function whose name has the
    # word "test" is no evaluation (`_evaluation`); the frozen-model check has no such exception, but
    # needs a `load_state_dict` call.
    tests_skipped = facts.path is not None and pytest_path(facts.path) and "load_state_dict" not in facts.attr_calls
    imported: Set[str] = set()
    bound: Set[str] = set()  # bound anywhere in the file
    module_classes: Dict[str, int] = {}
    mentioned: Set[str] = set()  # every Name id of the code (attributes: facts.attrs)
    # Scopes: [parent (-1: none), defs: name -> count, other bindings, params, function name (None: module
    # or a scope that is no function), is a class body, the class name for a method (else None)].  Lambdas
    # and comprehensions are merged into the scope around them (their bindings count as "other" there,
    # which can only admit more).
    scopes: List[list] = [[-1, {}, set(), set(), None, False, None]]
    class_names: List[Optional[str]] = [None]  # per scope index: the class whose body it is
    calls: List[Tuple[str, int]] = []  # (name called in an evaluation context, its scope)
    # (attr, scope, self, not stripped) of `self.attr(...)` in a class without bases
    self_calls: List[Tuple[str, int, str, bool]] = []
    Name, Attribute, Call = ast.Name, ast.Attribute, ast.Call
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    strip = ("module", "forward", "_orig_mod")

    def mentions_grad(nodes) -> bool:
        for expr in nodes:
            for sub in ast.walk(expr):
                kind = type(sub)
                if (kind is Name and sub.id in grad) or (kind is Attribute and sub.attr in grad):
                    return True
        return False

    def bind(scope: int, name: str) -> None:
        bound.add(name)
        scopes[scope][2].add(name)

    # (node, inside an evaluation context, name of `self` in the method around (None: none),
    #  innermost class has bases other than `object`, node is in a class body, scope index)
    stack: List[tuple] = [(facts.tree, False, None, False, False, 0, False)]
    while stack:
        node, in_root, me, based, in_class, scope, in_test = stack.pop()
        kind = type(node)
        if kind is Name:
            mentioned.add(node.id)
            if type(node.ctx) is not ast.Load:
                bind(scope, node.id)
            continue
        if kind is Call and in_root and not in_test:
            func = node.func
            while type(func) is Attribute and func.attr in strip:
                func = func.value
            if type(func) is Name:
                if func.id != me:  # `self(x)`: `_in_module_method`, never reported
                    calls.append((func.id, scope))
            elif type(func) is Attribute and type(func.value) is Name and me is not None and func.value.id == me:
                if not based:  # `self.attr(...)`: a forward unless `resolve_call` finds the class's method
                    self_calls.append((func.attr, scope, me, func is node.func))
        elif kind in functions:
            name = node.name
            bound.add(name)
            in_test = in_test or (tests_skipped and "test" in split(name))
            defs = scopes[scope][1]
            defs[name] = defs.get(name, 0) + 1
            if not in_root and (role_name(name) or mentions_grad(node.decorator_list)):
                in_root = True
            if in_class:
                params = node.args.posonlyargs + node.args.args
                me = params[0].arg if params else None
            else:
                me = None
            inner = len(scopes)
            scopes.append([scope, {}, set(), set(), name, False, class_names[scope] if in_class else None])
            class_names.append(None)
            # Decorators, defaults and annotations: `ctx.scope_of` puts them in the def's own scope (the
            # def is their nearest scope ancestor), and so does this screen.
            args = node.args
            outer = [*node.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d is not None)]
            if node.returns is not None:
                outer.append(node.returns)
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if a is not None and a.annotation is not None:
                    outer.append(a.annotation)
            for child in outer:
                stack.append((child, in_root, me, based, in_class, inner, in_test))
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if a is not None:
                    bound.add(a.arg)
                    scopes[inner][3].add(a.arg)
            for child in node.body:
                stack.append((child, in_root, me, based, False, inner, in_test))
            continue
        elif kind is ast.ClassDef:
            bind(scope, node.name)
            if scope == 0:
                module_classes[node.name] = module_classes.get(node.name, 0) + 1
            for child in (*node.decorator_list, *node.bases, *node.keywords):
                stack.append((child, in_root, me, based, in_class, scope, in_test))
            based = any(not (type(b) is Name and b.id == "object") for b in node.bases)
            inner = len(scopes)
            scopes.append([scope, {}, set(), set(), None, True, None])
            class_names.append(node.name)
            for child in node.body:
                stack.append((child, in_root, me, based, True, inner, in_test))
            continue
        elif kind is ast.Lambda:
            in_class = False
            args = node.args
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
                if a is not None:
                    bind(scope, a.arg)
        elif kind is ast.With or kind is ast.AsyncWith:
            if not in_root and mentions_grad([item.context_expr for item in node.items]):
                in_root = True
        elif kind is ast.For or kind is ast.AsyncFor:
            if not in_root:
                span = (node.iter.lineno, node.iter.end_lineno or node.iter.lineno)
                in_root = words_in_spans(facts, [span], eval_words, split)
        elif kind is ast.arg:
            bind(scope, node.arg)  # only lambda arguments get here (a def's are bound above)
        elif kind is ast.Import or kind is ast.ImportFrom:
            for alias in node.names:
                root = alias.asname or (alias.name.split(".", 1)[0] if kind is ast.Import else alias.name)
                imported.add(root)
                bind(scope, root)
            continue
        elif kind is ast.ExceptHandler:
            if node.name:
                bind(scope, node.name)
        elif kind is ast.MatchAs or kind is ast.MatchStar:
            if node.name:
                bind(scope, node.name)
        elif kind is ast.MatchMapping:
            if node.rest:
                bind(scope, node.rest)
        elif kind is ast.Global or kind is ast.Nonlocal:
            for name in node.names:
                bind(scope, name)
                bind(0, name)
        for child in _children(node):
            stack.append((child, in_root, me, based, in_class, scope, in_test))
    builtin_names = vars(builtins)

    def may_forward(name: str, scope: int) -> bool:
        if name in imported or (name in builtin_names and name not in bound):
            return False
        if module_classes.get(name) == 1:
            return False  # constructing a class of this file, not running a model
        first = True
        while scope >= 0:
            parent, defs, other, params, function, is_class, owner = scopes[scope]
            if not is_class:
                count = defs.get(name, 0)
                if count or name in other or name in params:
                    if count == 1 and name not in other and name not in params:
                        return False  # `resolve_call` finds that def: a function of this file
                    if (first and function is not None and name in params and not count and name not in other
                            and not _MODEL_WORD.search(name) and not _may_have_call_sites(facts, function, owner,
                                                                                          mentioned)):  # fmt: skip
                        return False  # a parameter of a function never called here, not model-like
                    return True
                first = False
            scope = parent
        return True

    def resolved_method(attr: str, scope: int, me: str, plain: bool) -> bool:
        # `resolve_call` (of the call itself, not of a stripped `.module`/`.forward`): in a method (the
        # innermost def, directly in the class body), `self` not rebound there, exactly one `def attr` in
        # the class (`_method_of`; a class without bases has no base to look in).  Anything else (a call
        # in a nested class body, say) counts as a forward.
        parent, _defs, other, _params, function, _is_class, owner = scopes[scope]
        if not plain or function is None or owner is None or me in other:
            return False
        return scopes[parent][1].get(attr) == 1

    forwards = [e[0] for e in self_calls if not resolved_method(*e)]
    forwards += [name for name, scope in calls if may_forward(name, scope)]
    return bool(forwards), any(_MODEL_WORD.search(name) for name in forwards)


_MODEL_WORD = re.compile(r"model|net", re.I)  # over-approximates TL601's `_model_like`


def pytest_path(path: str) -> bool:
    """Is this a pytest file (by its name or a `tests/` folder)?  analysis/modes.py `pytest_file` asks it."""
    path = path.replace("\\", "/")
    base = path.rsplit("/", 1)[-1]
    return base.startswith("test_") or base.endswith("_test.py") or base == "conftest.py" or "/tests/" in path


def _may_have_call_sites(facts: Facts, function: str, owner: Optional[str], names: Set[str]) -> bool:
    """May `constructor_or_call_sites` find a same-file call of this def (`owner`: its class, for a
    method)?  A function is only reached by a plain-name call, a method by `<self>.<name>(...)` (same-file
    subclasses included), `__init__` also by `Owner(...)` or a subclass's construction."""
    if owner is None:
        return function in names
    if function in facts.attrs:
        return True
    return function == "__init__" and owner in names


def forward_build_possible(facts: Facts, built: Set[str], roots: FrozenSet[str] = frozenset(),
                           any_root: bool = False, cross=None) -> bool:
    """TL101/TL102's question, in a second pass: does some class with `forward` call one of `built`
    (terminal names, aliases expanded) in its forward-only code -- `forward` and the methods reached
    only from it (analysis/modules.py `_compute_forward_only`; references from same-file base classes
    are ignored, which can only add methods)?  Or (the cross-file check) a dotted name (`X(...)`,
    `a.b.X(...)`) whose root is one of `roots`, or any dotted name at all when `any_root`, or (given
    `cross`, a predicate on the dotted name as spelled) one that `cross` accepts?"""
    key = ("forward_build", frozenset(built), roots, any_root, cross is not None)
    if key in facts._memo:
        return facts._memo[key]  # type: ignore[return-value]
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    # Methods (by name, over all classes) that call one of `built` somewhere: a cheap first filter.
    hot = {method for method, called in facts.method_calls.items() if not called.isdisjoint(built)}
    calls_memo = facts._memo.setdefault("method_calls", {})

    def matters(calls: Tuple[Set[str], Set[str]]) -> bool:  # would these calls, if forward-only, fire?
        called, spelled = calls
        if not called.isdisjoint(built):
            return True
        if cross is not None:
            return any(cross(name) for name in spelled)
        called_roots = {name.split(".", 1)[0] for name in spelled}
        return not called_roots.isdisjoint(roots) or (any_root and bool(called_roots))

    possible = False
    for class_def in facts.class_nodes:
        own = {stmt.name: stmt for stmt in class_def.body if type(stmt) in functions}
        if "forward" not in own or (hot.isdisjoint(own) and not roots and not any_root and cross is None):
            continue
        # The forward-only code is `forward` and the methods reached only from it: each method's calls
        # decide on their own (the question is whether any of them fires), so the references between
        # methods are read only when a method other than forward would fire.
        if matters(_method_calls(own["forward"], calls_memo)):
            possible = True
            break
        others = [name for name, method in own.items()
                  if name != "forward" and not name.startswith("__") and not method.decorator_list
                  and name in facts.attrs]  # fmt: skip
        if not others:
            continue  # no method but forward can be reached from it (analysis: only through `self.<name>`)
        reached = _forward_only_methods(class_def, own)
        if any(name in reached and matters(_method_calls(own[name], calls_memo)) for name in others):
            possible = True
            break
    facts._memo[key] = possible
    return possible


def _first_param(function) -> Optional[str]:
    params = function.args.args or function.args.posonlyargs
    return params[0].arg if params else None


def _dotted(func: ast.AST) -> Optional[str]:
    """`a.b.c` as spelled, None for anything but names and attributes of names (`f().g`)."""
    parts = []
    while type(func) is ast.Attribute:
        parts.append(func.attr)
        func = func.value
    if type(func) is not ast.Name:
        return None
    parts.append(func.id)
    return ".".join(reversed(parts))


def _dotted_root(func: ast.AST) -> Optional[str]:
    """The root name of a dotted name (`a.b.c` -> `a`), None for anything else (`f().g`)."""
    while type(func) is ast.Attribute:
        func = func.value
    return func.id if type(func) is ast.Name else None


def _forward_only_methods(class_def: ast.ClassDef, own: dict) -> Set[str]:
    """The names of `class_def`'s forward-only methods: `forward`, and the non-dunder, undecorated methods
    referenced (as `<self>.<name>`) only from forward-only methods (analysis/modules.py
    `_compute_forward_only`; references from same-file base classes are ignored, which can only add
    methods)."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)
    callers: Dict[str, Set[Optional[int]]] = {}
    # (node, name of `self` there (None: none), the method of class_def around it (None: none), in a class body)
    stack: List[tuple] = []
    for stmt in class_def.body:
        if type(stmt) in functions:
            stack.append((stmt, None, stmt, True))
        else:
            stack.append((stmt, None, None, True))
    while stack:
        node, me, caller, in_class = stack.pop()
        kind = type(node)
        if kind in functions:
            me = _first_param(node) if in_class else None
            for child in _children(node):
                stack.append((child, me, caller, False))
            continue
        if kind is ast.ClassDef:
            for child in _children(node):
                stack.append((child, me, None, True))
            continue
        if kind is ast.Lambda:
            in_class = False
        elif kind is ast.Attribute and node.attr in own and type(node.value) is ast.Name:
            if me is not None and node.value.id == me:
                callers.setdefault(node.attr, set()).add(id(caller) if caller is not None else None)
        for child in _children(node):
            stack.append((child, me, caller, in_class))
    forward = own["forward"]
    reached = {id(forward): "forward"}
    changed = True
    while changed:
        changed = False
        for name, method in own.items():
            if id(method) in reached or name.startswith("__") or not callers.get(name) or method.decorator_list:
                continue
            if callers[name] <= set(reached):
                reached[id(method)] = name
                changed = True
    return set(reached.values())


def _method_calls(method: ast.AST, memo: dict) -> Tuple[Set[str], Set[str]]:
    """The terminals, and the dotted names as spelled, called in a method's body (nested defs and
    lambdas included, nested classes not: their calls belong to them).  `memo`: by id (the facts' tree
    keeps the nodes alive)."""
    found = memo.get(id(method))
    if found is not None:
        return found
    called: Set[str] = set()
    spelled: Set[str] = set()
    pending = list(method.body)  # type: ignore[attr-defined]
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind is ast.ClassDef:
            continue  # its calls belong to that class
        if kind is ast.Call:
            term = _terminal(node.func)  # type: ignore[attr-defined]
            if term is not None:
                called.add(term)
                name = _dotted(node.func)  # type: ignore[attr-defined]
                if name is not None:
                    spelled.add(name)
        pending.extend(_children(node))
    memo[id(method)] = found = (called, spelled)
    return found


def view_of_permuted_possible(facts: Facts, methods: Set[str], properties: Set[str], functions: Set[str]) -> bool:
    """TL301's question, in a second pass: is there a reshaping `.view(...)` (arguments, no `dtype=`)
    whose receiver is a permute-family call or property (`noncontiguous_origin`), or a name assigned
    such a value in the view's scope (innermost def, lambda, class or module: `reaching_assignments`
    looks no further), directly or through other names of that scope (`y = x.permute(...); z = y`)?
    Only `name = value`, `name: T = value` and `name := value` carry a value (`local_assignments`).
    As in `reaching_assignments`, an assignment reaches a use only if it comes before it and does
    not contain it (loop back-edges are not followed); which earlier assignment shadows which is
    ignored, which can only admit more."""
    if "tl301" in facts._memo:
        return facts._memo["tl301"]  # type: ignore[return-value]
    callers = facts.expand(methods | functions)
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    viewed: Dict[int, List[Tuple[str, Tuple[int, int]]]] = {}  # scope -> (name, where) `<name>.view(...)`
    produced: Dict[int, Dict[str, List[Tuple[int, int]]]] = {}  # scope -> name -> ends of permuted values
    links: Dict[int, Dict[str, List[tuple]]] = {}  # scope -> name -> (end, source name, where it is read)

    def producer(value: ast.AST) -> bool:
        kind = type(value)
        if kind is ast.Attribute:
            return value.attr in properties
        return kind is ast.Call and _terminal(value.func) in callers

    def assigned(scope: int, statement: ast.AST, target: ast.AST, value: ast.AST) -> None:
        if type(target) is not ast.Name:
            return
        end = (statement.end_lineno, statement.end_col_offset)
        if producer(value):
            produced.setdefault(scope, {}).setdefault(target.id, []).append(end)
        elif type(value) is ast.Name:
            links.setdefault(scope, {}).setdefault(target.id, []).append(
                (end, value.id, (value.lineno, value.col_offset)))

    possible = False
    stack: List[tuple] = [(facts.tree, id(facts.tree))]
    while stack and not possible:
        node, scope = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            continue
        if kind is ast.Call:
            func = node.func
            if (type(func) is ast.Attribute and func.attr == "view" and (node.args or node.keywords)
                    and not any(k.arg == "dtype" for k in node.keywords)):  # fmt: skip
                receiver = func.value
                if producer(receiver):
                    possible = True
                elif type(receiver) is ast.Name:
                    viewed.setdefault(scope, []).append((receiver.id, (receiver.lineno, receiver.col_offset)))
        elif kind is ast.Assign:
            for target in node.targets:
                assigned(scope, node, target, node.value)
        elif kind is ast.AnnAssign or kind is ast.NamedExpr:
            if node.value is not None:
                assigned(scope, node, node.target, node.value)
        elif kind in scopes:
            scope = id(node)
        stack.extend((child, scope) for child in _children(node))

    def reaches(scope: int, name: str, where: Tuple[int, int], hops: int) -> bool:
        # A permuted value assigned to `name` before `where` (an assignment ends before a use it does
        # not contain), itself or through up to two names (`_MAX_NAME_HOPS`: one more here).
        if any(end <= where for end in produced.get(scope, {}).get(name, ())):
            return True
        return hops < 3 and any(end <= where and reaches(scope, source, read, hops + 1)
                                for end, source, read in links.get(scope, {}).get(name, ()))  # fmt: skip

    if not possible:
        possible = any(reaches(scope, name, where, 0)
                       for scope, uses in viewed.items() if scope in produced
                       for name, where in uses)  # fmt: skip
    facts._memo["tl301"] = possible
    return possible


def trained_model_possible(facts: Facts) -> bool:
    """TL602's `optimized(key)` or `_trained_by_handed_in_optimizer`, in a second pass: a
    `.parameters()`/`.named_parameters()` call inside some call's arguments (or a class's bases), or a
    `.step(...)` whose receiver's dotted name says "opt" or "scaler" (`is_training_call`)?"""
    if "tl602" in facts._memo:
        return facts._memo["tl602"]  # type: ignore[return-value]
    wanted = ("parameters", "named_parameters")
    possible = False
    stack: List[tuple] = [(facts.tree, False)]  # (node, inside a call's arguments or a class's bases)
    while stack and not possible:
        node, in_arg = stack.pop()
        kind = type(node)
        if kind is ast.Call:
            func = node.func
            if type(func) is ast.Attribute:
                if in_arg and func.attr in wanted:
                    possible = True
                    break
                if func.attr == "step" and _says_optimizer(func.value):
                    possible = True
                    break
            stack.append((func, in_arg))
            stack.extend((child, True) for child in (*node.args, *node.keywords))
            continue
        if kind is ast.ClassDef:
            stack.extend((child, True) for child in (*node.bases, *node.keywords))
            stack.extend((child, in_arg) for child in (*node.decorator_list, *node.body))
            continue
        stack.extend((child, in_arg) for child in _children(node))
    facts._memo["tl602"] = possible
    return possible


def _says_optimizer(receiver: ast.AST) -> bool:
    """`is_training_call`'s test of a `.step()` receiver: its dotted name holds "opt" or "scaler"."""
    parts = []
    while type(receiver) is ast.Attribute:
        parts.append(receiver.attr)
        receiver = receiver.value
    if type(receiver) is not ast.Name:
        return False  # `dotted_name` is None: ""
    parts.append(receiver.id)
    spelled = ".".join(parts).lower()
    return "opt" in spelled or "scaler" in spelled


def float64_conversion_possible(facts: Facts, converters: Set[str]) -> bool:
    """TL203's `float64_conversion`, in a second pass: a call of one of `converters` (terminals,
    aliases expanded) with exactly one positional argument, no `*`/`**` and no `dtype=`, whose
    argument is something `array_dtype` can type (a call, subscript, attribute, name, negation or
    arithmetic -- not a literal such as `torch.tensor([1.0, 2.0])`)."""
    if "tl203" in facts._memo:
        return facts._memo["tl203"]  # type: ignore[return-value]
    wanted = facts.expand(converters)
    typed = (ast.Call, ast.Subscript, ast.Attribute, ast.Name, ast.UnaryOp, ast.BinOp)
    possible = False
    names: List[ast.Name] = []  # arguments that are plain names: decided below
    for node in _walk(facts.tree):
        if type(node) is not ast.Call or _terminal(node.func) not in wanted:
            continue
        if len(node.args) != 1 or type(node.args[0]) is ast.Starred:
            continue
        if any(k.arg is None or k.arg == "dtype" for k in node.keywords):
            continue
        data = node.args[0]
        kind = type(data)
        if kind is ast.UnaryOp and type(data.op) is not ast.USub:
            continue
        if kind is ast.BinOp and type(data.op) not in (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow):
            continue
        if kind is ast.Name:
            names.append(data)
        elif kind in typed and _may_be_float64(data, names):
            possible = True
            break
    if not possible and names:
        possible = _assigned_unconditionally_before(facts.tree, names, lambda value: _may_be_float64(value, None))
    facts._memo["tl203"] = possible
    return possible


@cache
def _numpy_dtypes() -> dict:
    """analysis/numpy_dtypes.py's table, by terminal names (libcst-free)."""
    from torchlint import tables

    table = tables.load("numpy_dtypes")
    last = lambda names: frozenset(name.rsplit(".", 1)[-1] for name in names)  # noqa: E731
    return {
        "float64_defaults": last([*table["float64_by_default"], *table["random_size_positions"], "numpy.arange",
                                  "numpy.full", "numpy.full_like", *table["joining_functions"]]),
        "like": last(["numpy.array", "numpy.asarray", "numpy.ascontiguousarray", "numpy.copy", "numpy.zeros_like",
                      "numpy.ones_like", "numpy.empty_like", *table["elementwise_functions"]]),
        "dtype_positions": last(table["dtype_positions"]),
        "methods": frozenset(table["dtype_preserving_methods"]),
        "properties": frozenset(table["dtype_preserving_properties"]),
        "float64_strings": frozenset(k for k, v in table["dtype_strings"].items() if v == "float64"),
        "float64_names": last(k for k, v in table["dtype_names"].items() if v == "float64"),
    }


def _may_be_float64(node: ast.AST, names: Optional[List[ast.Name]], hops: int = 0) -> bool:
    """Can `array_dtype` (analysis/numpy_dtypes.py) say "float64" for `node`?  A superset, read by
    terminal names (any call might be numpy-qualified): a call of a numpy function that defaults to
    float64 (`float64_by_default`, the random functions, `arange`, `full`, the joining functions), or
    that keeps its first argument's dtype (`array`, `asarray`, the elementwise functions) of such an
    argument; a function that takes a positional dtype given a second positional argument, and any call
    with `*`/`**`; with `dtype=`, or `.astype(...)`, one that may name float64; a dtype-keeping method
    (`.reshape`, `.sum`) or property (`.T`) of such a value; a subscript of one; `self.<attr>`; negation
    and arithmetic;
    a name: appended to `names` for the caller to read its assignments (False here), or, with `names`
    None (an assigned value, whose names are not followed further), True."""
    if hops > 12:  # = numpy_dtypes._MAX_HOPS: beyond, array_dtype is None
        return False
    table = _numpy_dtypes()
    kind = type(node)
    if kind is ast.Name:
        if names is None:
            return True
        names.append(node)
        return False
    if kind is ast.Subscript:
        return _may_be_float64(node.value, names, hops + 1)
    if kind is ast.UnaryOp:
        return type(node.op) is ast.USub and _may_be_float64(node.operand, names, hops + 1)
    if kind is ast.BinOp:
        return True  # int64 / 2, int64 * 1.0 ...: `_arithmetic_dtype`
    if kind is ast.Attribute:
        if node.attr in table["properties"]:
            return _may_be_float64(node.value, names, hops + 1)
        return type(node.value) is ast.Name  # `self.<attr>`: `_self_attribute_dtype`
    if kind is not ast.Call:
        return False
    func = node.func
    if any(type(a) is ast.Starred for a in node.args) or any(k.arg is None for k in node.keywords):
        return True
    dtype = next((k.value for k in node.keywords if k.arg == "dtype"), None)
    if dtype is not None:
        return _may_name_float64(dtype, table)  # numpy's explicit dtype; a method given `dtype=`: None
    if type(func) is ast.Attribute and func.attr == "astype":
        return bool(node.args) and _may_name_float64(node.args[0], table)
    term = _terminal(func)
    if len(node.args) >= 2 and term in table["dtype_positions"]:
        return True  # a positional dtype (`DTYPE_POSITIONS`: always after the first argument)
    if term in table["float64_defaults"]:
        return True
    if term in table["like"] and node.args:
        first = node.args[0]
        if type(first) is ast.List or type(first) is ast.Tuple:
            return True  # `_literal_dtype`: float64 when a float literal is in it
        if _may_be_float64(first, names, hops + 1):
            return True
    if type(func) is ast.Attribute and func.attr in table["methods"]:
        return _may_be_float64(func.value, names, hops + 1)
    return False


def _may_name_float64(node: ast.AST, table: dict) -> bool:
    """Can `dtype_named` say "float64" for `node`: a float64 dtype string, a name (`float`, an imported
    `float64`), or an attribute whose last part names float64 (`np.float64`, `np.double`)?"""
    kind = type(node)
    if kind is ast.Constant:
        return isinstance(node.value, str) and node.value in table["float64_strings"]
    if kind is ast.Name:
        return True
    if kind is ast.Attribute:
        return node.attr in table["float64_names"]
    return False


def _assigned_unconditionally_before(tree: ast.AST, uses: List[ast.Name], value_ok=None,
                                     augmented: bool = True) -> bool:
    """For TL203's plain-name arguments: does some use have, in its scope, an assignment of a value to its
    name (`x = v`, `x: T = v`, `x += v`, `x := v`) that ends before it and runs unconditionally before it?
    `array_dtype` of a name (`_name_dtype`) is None unless the last assignment `reaching_assignments`
    returns is unconditional (`runs_before_unconditionally`: from the assignment up to a block around the
    use, only blocks and `with` statements), and it is among the values whose dtype must be float64 (an
    assignment of no value -- a loop or tuple target, a `with ... as` -- is None).  Here "around the use"
    is a statement list (a body, an else, a handler) that holds the use's statement; walrus assignments
    always count; exclusive branches are not told apart: both can only admit more.  `value_ok` (given):
    only assignments whose value it accepts count; `augmented` False: `x += v` does not (TL404's
    `evidence` of such an assignment is None)."""
    wanted = {id(use) for use in uses}
    names = {use.id for use in uses}
    assigned: Dict[Tuple[int, str], List[tuple]] = {}  # (scope, name) -> (end, lists it climbs to; None: any)
    used: List[tuple] = []  # (scope, name, where, the statement lists around the use in its scope)
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    withs = (ast.With, ast.AsyncWith)
    # (node, scope, statement lists around it in its scope, lists a statement here climbs to)
    stack: List[tuple] = [(tree, id(tree), (), ())]
    while stack:
        node, scope, around, climbs = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            if id(node) in wanted:
                used.append((scope, node.id, (node.lineno, node.col_offset), around))
            continue
        if kind is ast.Assign or (kind is ast.AugAssign and augmented) or kind is ast.AnnAssign:
            targets = node.targets if kind is ast.Assign else [node.target]
            if (kind is not ast.AnnAssign or node.value is not None) and (
                    value_ok is None or kind is ast.AugAssign or value_ok(node.value)):  # fmt: skip
                for target in targets:
                    if type(target) is ast.Name and target.id in names:
                        assigned.setdefault((scope, target.id), []).append(
                            ((node.end_lineno, node.end_col_offset), climbs))
        elif kind is ast.NamedExpr and type(node.target) is ast.Name and node.target.id in names and (
                value_ok is None or value_ok(node.value)):  # fmt: skip
            assigned.setdefault((scope, node.target.id), []).append(((node.end_lineno, node.end_col_offset), None))
        inner = id(node) if kind in scopes else scope
        if inner != scope:
            around, climbs = (), ()
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                if value and isinstance(value[0], ast.stmt):  # a statement list: a block
                    block = id(value)
                    lists = around + (block,)
                    climb = (climbs + (block,)) if kind in withs else (block,)
                    stack.extend((child, inner, lists, climb) for child in value)
                else:
                    stack.extend((child, inner, around, climbs) for child in value if isinstance(child, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append((value, inner, around, climbs))
    for scope, name, where, around in used:
        for end, climb in assigned.get((scope, name), ()):
            if end <= where and (climb is None or not set(climb).isdisjoint(around)):
                return True
    return False


def unmapped_load_possible(facts: Facts, loads: Set[str]) -> bool:
    """TL401's `unmapped_load`, in a second pass: a call of one of `loads` (terminals, aliases expanded)
    with arguments and no `map_location` (keyword, or second positional argument), or one that is `None`,
    before any `*`/`**`."""
    if "tl401" in facts._memo:
        return facts._memo["tl401"]  # type: ignore[return-value]
    loads = facts.expand(loads)
    possible = False
    for node in _walk(facts.tree):
        if type(node) is not ast.Call or _terminal(node.func) not in loads or not (node.args or node.keywords):
            continue
        # As `unmapped_load`, in source order: the first of a `*`/`**` (False), the second positional
        # argument or `map_location=` (whether it is None) decides; none of them: True.
        unmapped = True
        positional = 0
        for _, _, item in sorted([(a.lineno, a.col_offset, a) for a in node.args]
                                 + [(k.lineno, k.col_offset, k) for k in node.keywords], key=lambda t: t[:2]):
            if type(item) is ast.Starred or (type(item) is ast.keyword and item.arg is None):
                unmapped = False
                break
            if type(item) is ast.keyword:
                if item.arg == "map_location":
                    unmapped = type(item.value) is ast.Constant and item.value.value is None
                    break
            elif positional == 1:
                unmapped = type(item) is ast.Constant and item.value is None
                break
            else:
                positional += 1
        if unmapped:
            possible = True
            break
    facts._memo["tl401"] = possible
    return possible


def pickled_model_possible(facts: Facts, saves: Set[str], loads: Set[str], module_only: Set[str],
                           module_to_module: Set[str]) -> bool:
    """TL404's question, in a second pass: a call of one of `saves` (terminals, aliases expanded) whose
    saved object (`saved_object`: `obj=` or the first positional argument), or an element of the dict,
    list or tuple literals in it (`saved_values`), may be a module on every path (`module_evidence`
    ALWAYS): a call, an attribute of a name (`self.<attr>`) or a `.module`, or a name with a value
    assigned to it before the save in a block around it (`_assigned_unconditionally_before`; anything
    else -- a literal, a subscript, a parameter -- has no evidence)?  Or a call of one of `loads` that
    leaves `weights_only` and `pickle_module` to their defaults (`is_default_load`: no such keyword, no
    `*`/`**`, at most two positional arguments) whose value `module_use` follows, in a file where it may
    be used as a model: a method call of one of `module_only`, or a call of a name the file assigns, of
    a call's result or of a subscript."""
    if "tl404" in facts._memo:
        return facts._memo["tl404"]  # type: ignore[return-value]
    saves, loads = facts.expand(saves), facts.expand(loads)
    known: List[Set[str]] = []  # computed on first need (see `_call_roots_known`)

    def may_be_module(value: ast.AST) -> bool:
        kind = type(value)
        if kind is ast.Call:
            func = value.func
            if type(func) is ast.Attribute and func.attr not in module_to_module:
                # `x.<method>(...)`: a module only if `x` may resolve through an import, a class or a
                # method's `self` (`call_name`, `project_class_called`, `resolve_call`)
                root = _dotted_root(func)
                if not known:
                    known.append(_call_roots_known(facts))
                return root is None or root in known[0] or "*" in known[0]
            return True
        if kind is ast.Attribute:
            return type(value.value) is ast.Name or value.attr == "module"
        return kind is ast.Name or kind is ast.NamedExpr  # through its own assignments: not followed here

    names: List[ast.Name] = []
    possible = False
    load_found = False
    assigned: Set[str] = set()  # names the module assigns (any scope)
    called: Set[str] = set()  # names it calls
    called_result = False  # `f(...)(...)` or `x[...](...)`
    walked: List[tuple] = [(facts.tree, None)]  # (node, its parent)
    while walked:
        node, parent = walked.pop()
        walked.extend((child, node) for child in _children(node))
        kind = type(node)
        if kind is ast.Name:
            if type(node.ctx) is ast.Store:
                assigned.add(node.id)
            continue
        if kind is not ast.Call:
            continue
        func = node.func
        if type(func) is ast.Name:
            called.add(func.id)
        elif type(func) is ast.Call or type(func) is ast.Subscript:
            called_result = True
        term = _terminal(func)
        if term in loads and not load_found:
            default = not any(k.arg is None or k.arg in ("weights_only", "pickle_module") for k in node.keywords) \
                and not any(type(a) is ast.Starred for a in node.args) and len(node.args) <= 2  # fmt: skip
            # `module_use` follows the loaded value only from `<load>.<method>(...)`, `<load>(...)`,
            # `<load>[...]` and `name = <load>` (not, say, `model.load_state_dict(<load>)`)
            parent_kind = type(parent)
            followed = (parent_kind is ast.Attribute or parent_kind is ast.Subscript) and parent.value is node or (
                parent_kind is ast.Call and parent.func is node) or (parent_kind is ast.Assign and parent.value is node)
            load_found = default and followed
        if term not in saves:
            continue
        obj = next((k.value for k in node.keywords if k.arg == "obj"), None)
        if obj is None and node.args and type(node.args[0]) is not ast.Starred:
            obj = node.args[0]
        pending = [obj] if obj is not None else []
        while pending and not possible:
            value = pending.pop()
            value_kind = type(value)
            if value_kind is ast.Dict:
                pending.extend(v for k, v in zip(value.keys, value.values) if k is not None)
            elif value_kind is ast.List or value_kind is ast.Tuple:
                pending.extend(e for e in value.elts if type(e) is not ast.Starred)
            elif value_kind is ast.Name:
                names.append(value)
            else:
                possible = may_be_module(value)
        if possible:
            break
    if not possible and load_found:
        possible = not module_only.isdisjoint(facts.attr_calls) or called_result or not assigned.isdisjoint(called)
    if not possible and names:
        possible = _assigned_unconditionally_before(facts.tree, names, may_be_module, augmented=False)
    facts._memo["tl404"] = possible
    return possible


def _call_roots_known(facts: Facts) -> Set[str]:
    """The names through which `x.<method>(...)` may resolve to a constructor or a same-file function:
    import bindings ("*" for a star import), the file's classes, local aliases (`m = models`), and the
    first parameter of every method (`self_name`: a def whose nearest scope is a class)."""
    known: Set[str] = set(facts.classes)
    for statement in facts.imports:
        for alias in statement.names:  # type: ignore[attr-defined]
            known.add("*" if alias.name == "*" else alias.asname or alias.name.split(".", 1)[0])
    known.update(facts.aliases)
    pending: List[tuple] = [(facts.tree, False)]  # (node, in a class's own scope)
    while pending:
        node, in_class = pending.pop()
        kind = type(node)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            first = _first_param(node) if in_class else None
            if first is not None:
                known.add(first)
            in_class = False
        elif kind is ast.ClassDef:
            in_class = True
        elif kind is ast.Lambda:
            in_class = False
        pending.extend((child, in_class) for child in _children(node))
    return known


def shuffle_with_sampler_possible(facts: Facts, loaders: Set[str]) -> bool:
    """TL202's `shuffle_conflict`, in a second pass: a call of one of `loaders` (terminals, aliases
    expanded) with `shuffle` a literal True (by keyword, or third positional before any `*args`) and a
    `sampler`/`batch_sampler` argument (keyword, or fourth/fifth positional) that is not a literal None."""
    if "tl202" in facts._memo:
        return facts._memo["tl202"]  # type: ignore[return-value]
    wanted = facts.expand(loaders)
    positions = {"shuffle": 2, "sampler": 3, "batch_sampler": 4}  # = analysis/samplers.py LOADER_SLOTS

    def argument(call: ast.Call, keyword: str) -> Optional[ast.AST]:
        for given in call.keywords:
            if given.arg == keyword:
                return given.value
        index = 0
        for arg in call.args:
            if type(arg) is ast.Starred:
                return None  # later positions are unknown
            if index == positions[keyword]:
                return arg
            index += 1
        return None

    def constant(node: Optional[ast.AST], value) -> bool:
        return type(node) is ast.Constant and node.value is value

    possible = False
    for node in _walk(facts.tree):
        if type(node) is not ast.Call or _terminal(node.func) not in wanted:
            continue
        if not constant(argument(node, "shuffle"), True):
            continue
        for option in ("sampler", "batch_sampler"):
            given = argument(node, option)
            if given is not None and not constant(given, None):
                possible = True
        if possible:
            break
    facts._memo["tl202"] = possible
    return possible


def scripted_import_possible(facts: Facts, entry_points: Set[str], roots: Set[str]) -> bool:
    """TL501's cross-file question (`direct_evidence` with `Project.wrapper_value`), in a second pass:
    is the module argument of a call of one of `entry_points` (terminals, aliases expanded; keyword
    obj/func/mod or the first positional) a dotted name or call rooted at one of `roots` (import
    bindings), or a name assigned such a value in its scope, or `<x>.<attr>` with `<y>.<attr>` assigned
    one anywhere in the file?"""
    wanted = facts.expand(entry_points)
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    targets: List[Tuple[ast.AST, int]] = []  # (module argument, its scope)
    assigned: Dict[Tuple[int, str], bool] = {}  # (scope, name) -> some value rooted at `roots`
    attributes: Set[str] = set()  # `<y>.<attr> = <rooted value>`: attr

    def rooted(value: ast.AST) -> bool:
        if type(value) is ast.Call:
            value = value.func
        return _dotted_root(value) in roots

    stack: List[tuple] = [(facts.tree, id(facts.tree))]
    while stack:
        node, scope = stack.pop()
        kind = type(node)
        if kind is ast.Call and _terminal(node.func) in wanted:
            given = [k.value for k in node.keywords if k.arg in ("obj", "func", "mod")]
            if not given and node.args and type(node.args[0]) is not ast.Starred:
                given = [node.args[0]]
            targets.extend((g, scope) for g in given)
        elif kind is ast.Assign or kind is ast.AnnAssign or kind is ast.NamedExpr:
            value = node.value
            if value is not None and rooted(value):
                for target in node.targets if kind is ast.Assign else [node.target]:
                    if type(target) is ast.Name:
                        assigned[(scope, target.id)] = True
                    elif type(target) is ast.Attribute:
                        attributes.add(target.attr)
        elif kind in scopes:
            scope = id(node)
        stack.extend((child, scope) for child in _children(node))
    for target, scope in targets:
        if rooted(target):
            return True
        if type(target) is ast.Name and assigned.get((scope, target.id)):
            return True
        if type(target) is ast.Attribute and target.attr in attributes:
            return True
    return False


def visible_devices_too_late_possible(facts: Facts) -> bool:
    """TL703's question, in a second pass: does the code set `CUDA_VISIBLE_DEVICES` (`<x>["..."] = ...`,
    `putenv`/`setdefault("...", ...)`, `update(...)` naming it by keyword or dict key), and may something
    initialise CUDA (a `cuda` identifier: `torch.cuda.*`, `.cuda()`; or a "cuda..." string for
    `.to("cuda")`/`device="cuda"`)?"""
    if "tl703" in facts._memo:
        return facts._memo["tl703"]  # type: ignore[return-value]
    variable = "CUDA_VISIBLE_DEVICES"

    def named(node: ast.AST) -> bool:
        return type(node) is ast.Constant and node.value == variable

    sets = False
    cuda = "cuda" in facts.idents
    for node in _walk(facts.tree):
        kind = type(node)
        if kind is ast.Assign and not sets:
            sets = any(type(t) is ast.Subscript and named(t.slice) for t in node.targets)
        elif kind is ast.Call and not sets:
            term = _terminal(node.func)
            if term in ("putenv", "setdefault"):
                sets = bool(node.args) and named(node.args[0])
            elif term == "update":
                sets = any(k.arg == variable for k in node.keywords) or any(
                    type(a) is ast.Dict and any(k is not None and named(k) for k in a.keys) for a in node.args)
        elif kind is ast.Constant and not cuda:
            cuda = type(node.value) is str and node.value.split(":", 1)[0] == "cuda"
        if sets and cuda:
            break
    possible = sets and cuda
    facts._memo["tl703"] = possible
    return possible


def project_class_elsewhere(facts: Facts, spelled: str) -> bool:
    """Might `Project.class_of` find, for a call spelled `spelled` in this file, a class of ANOTHER
    file (TL101's `_imported_class_owns_parameters`)?  Asked of `facts.project` (its module tables come
    from Python's parser); this file's own bindings are read from `facts.tree`, the text being linted,
    never from the disk.  True whenever the lookup cannot be mirrored exactly."""
    memo = facts._memo.setdefault("project_class", {})
    if spelled in memo:
        return memo[spelled]  # type: ignore[index]
    memo[spelled] = found = _project_class_elsewhere(facts, spelled)  # type: ignore[index]
    return found


def _project_class_elsewhere(facts: Facts, spelled: str) -> bool:
    project, path = facts.project, facts.path
    if project is UNKNOWN or path is None:
        return True
    root, _, rest = spelled.partition(".")
    if not _may_be_first_party(facts, path, root):
        return False  # before the project is asked: the flake8 plugin builds it (libcst) only now
    if project is None or not getattr(project, "enabled", False):
        return False  # `project_of(ctx)` is EMPTY: `class_of` is always None
    bound, star = _import_bindings(facts)
    table = _own_names_table(facts)
    if table is None:
        return True
    binding = table["names"].get(root)
    if root not in bound and not star and binding != ["def", "class"]:
        return False  # `class_of`: not imported, no star import
    try:
        if binding is None:
            if table["stars"] or os.path.basename(path) == "__init__.py":
                return True  # through a star import or a submodule: not mirrored here
            return False  # `lookup` finds nothing: `resolve` is None
        symbol = project._follow(os.path.abspath(path), root, binding, 0)
        for part in rest.split(".") if rest else ():
            if symbol is None or symbol.kind == "class":
                return False  # `Project.attribute` of a class is a method (read from its summary), never a class
            symbol = project.attribute(symbol, part)
    except Exception:
        return True
    if symbol is None or symbol.kind != "class":
        return False
    return os.path.abspath(symbol.path) != os.path.abspath(path)


# project_text_reachable: bytes of module texts one question may parse (Python's parser) for their
# tables; beyond, the answer is True.  The screened file's own libcst parse costs about ten times its
# size in those, so a search that must parse more than REACH_BYTES_PER_BYTE times the file (a stdlib
# package, whose imports reach hundreds of modules) costs more than admitting the file.  What it parsed
# stays in the project's tables: the next question goes on from there.
REACH_MIN_BYTES = 100_000
REACH_BYTES_PER_BYTE = 8


def project_text_reachable(facts: Facts, words: FrozenSet[str]) -> bool:
    """Might the project model, asked about this file, read another first-party module whose text holds
    one of `words` (`Project.may_reach_text` from this file's imports, anywhere in it)?  For the flake8
    plugin's project, built on demand, absolute imports of top modules no folder of the file or above
    holds are not asked about (they never resolve, see `_may_resolve`), so a file importing only
    third-party code never builds it; a real Project resolves them, recording what it looked for."""
    key = ("reaches", words)
    if key in facts._memo:
        return facts._memo[key]  # type: ignore[return-value]
    project, path = facts.project, facts.path
    if project is UNKNOWN or path is None:
        return True
    folder = os.path.dirname(os.path.abspath(path))
    starts: List[Tuple[int, str, Optional[str]]] = []
    for node in facts.imports:
        if type(node) is ast.Import:
            for alias in node.names:
                top = alias.name.split(".", 1)[0]
                if _may_resolve(facts, folder, top):
                    starts.append((0, alias.name if alias.asname else top, None))
            continue
        level, module = node.level or 0, node.module or ""  # type: ignore[attr-defined]
        if not level and not _may_resolve(facts, folder, module.split(".", 1)[0]):
            continue
        for alias in node.names:
            starts.append((level, module, None if alias.name == "*" else alias.name))
    found = False
    if starts:
        if project is None or not getattr(project, "enabled", False):
            found = False  # no project: nothing is first-party (remote values are None)
        else:
            try:
                budget = max(REACH_MIN_BYTES, REACH_BYTES_PER_BYTE * len(facts.source))
                found = project.may_reach_text(path, starts, sorted(words), budget)
            except Exception:
                found = True
    facts._memo[key] = found
    return found


def _may_be_first_party(facts: Facts, path: str, root: str) -> bool:
    """False when `root` is not imported (nor a class of this file), or is bound only by absolute
    imports (and no star import exists) of top modules that no folder of `path` or above holds (`top.py`
    or `top/`): `Project.resolve_module` searches only the file's folder, its project root and extra
    roots around it -- all of them that folder or above."""
    sources, star = _import_tops(facts)
    if star:
        return True
    if root not in sources:  # not imported (`class_of` resolves imported names), unless a class here
        return root in facts.classes
    folder = os.path.dirname(os.path.abspath(path))
    return any(top is None or _may_resolve(facts, folder, top) for top in sources[root])


def _may_resolve(facts: Facts, folder: str, top: str) -> bool:
    """May an absolute import of `top` in a file of `folder` resolve first-party?  A project built on
    demand (the flake8 plugin's) is spared when no folder there or above holds `top`.  A real Project
    is always asked: its `resolve_module` records the paths it looked for, so a module created later
    invalidates the file's cached findings (a shortcut here would record nothing)."""
    if not getattr(facts.project, "built_on_demand", False):
        return True
    return _local_module(folder, top)


def _import_tops(facts: Facts) -> Tuple[Dict[str, List[Optional[str]]], bool]:
    """name -> the top modules of the imports anywhere that bind it (None: a relative import), and
    whether there is a star import (any name may come through it)."""
    if "import_tops" not in facts._memo:
        tops: Dict[str, List[Optional[str]]] = {}
        star = False
        for node in facts.imports:
            if type(node) is ast.Import:
                for alias in node.names:
                    top = alias.name.split(".", 1)[0]
                    tops.setdefault(alias.asname or top, []).append(top)
                continue
            top = (node.module or "").split(".", 1)[0] if not node.level else None  # type: ignore[attr-defined]
            for alias in node.names:
                if alias.name == "*":
                    star = True
                else:
                    tops.setdefault(alias.asname or alias.name, []).append(top)
        facts._memo["import_tops"] = (tops, star)
    return facts._memo["import_tops"]  # type: ignore[return-value]


_LOCAL_MODULES: Dict[Tuple[str, str], bool] = {}


def _local_module(folder: str, top: str) -> bool:
    """Does `folder` or a folder above it hold module `top` (`top.py`, or a folder `top/`)?"""
    key = (folder, top)
    if key not in _LOCAL_MODULES:
        here = os.path.isfile(os.path.join(folder, top + ".py")) or os.path.isdir(os.path.join(folder, top))
        parent = os.path.dirname(folder)
        _LOCAL_MODULES[key] = here or (parent != folder and _local_module(parent, top))
    return _LOCAL_MODULES[key]


def _import_bindings(facts: Facts) -> Tuple[Set[str], bool]:
    """`ctx.import_bindings()` from Python's tree: the names imports anywhere bind, and a star import."""
    tops, star = _import_tops(facts)
    return set(tops), star


def _own_names_table(facts: Facts) -> Optional[dict]:
    if "names_table" not in facts._memo:
        try:
            from torchlint.analysis.summaries_ast import names_table_of_tree

            facts._memo["names_table"] = names_table_of_tree(facts.tree)
        except Exception:
            facts._memo["names_table"] = None
    return facts._memo["names_table"]  # type: ignore[return-value]


def words_in_spans(facts: Facts, spans: Iterable[Tuple[int, int]], wanted: Set[str], split) -> bool:
    """Does the text of any line span hold one of `wanted` as a word (`split`: modes.words)?"""
    for text in facts.spans_text(spans):
        if not wanted.isdisjoint(split(text)):
            return True
    return False


__all__ = ["Facts", "collect", "names_of", "nn_class_terminals", "parse_facts", "screen_rules", "terminals"]
