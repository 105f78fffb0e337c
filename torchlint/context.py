"""One parsed file, indexed once, shared by every rule.

The engine walks the libcst tree a single time, recording each node's parent, its
pre-order number (source order) and, for the node types rules ask for (`INDEXED`), a
per-type index; rules then ask questions ("every Call", "the function around this
node", "what does `nn.Conv2d` name?") instead of walking the tree again.  A type no rule
was known to ask for is collected on its first request (one more walk, all such types at
once).  Positions are not computed here: the engine computes them only for findings.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import operator
from collections import defaultdict
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Type, TypeVar

import libcst as cst

from torchlint import tables
from torchlint.names import NameResolver, dotted_name

N = TypeVar("N", bound=cst.CSTNode)

# Fields that hold only formatting (whitespace, parentheses, commas): never walked.
_TRIVIA_FIELDS = {
    "lpar", "rpar", "comma", "semicolon", "leading_lines", "trailing_whitespace", "header",
    "footer", "lines_after_decorators", "equal", "colon", "dot", "star", "newline",
    "asynchronous", "default_indent", "default_newline", "encoding", "has_trailing_newline",
    "first_line", "empty_lines", "indent", "operator", "star_arg", "star_tok",
    "lbracket", "rbracket", "lbrace", "rbrace",
}  # fmt: skip
_child_fields_cache: Dict[type, Tuple[str, ...]] = {}

# The node types rules and analyses ask for by type (`nodes`, `walk`), and every statement type
# (the module summary reads them all).  Others are collected on first request (`_collect_rest`).
INDEXED = frozenset(
    {
        cst.Annotation, cst.AnnAssign, cst.Arg, cst.AsName, cst.Assign, cst.Attribute, cst.Await,
        cst.BinaryOperation, cst.Call, cst.ClassDef, cst.CompFor, cst.Decorator, cst.Del, cst.FunctionDef,
        cst.Global, cst.Import, cst.ImportFrom, cst.Lambda, cst.Name, cst.NamedExpr, cst.Nonlocal, cst.Param,
        cst.Return, cst.Subscript, cst.With, cst.WithItem, cst.Yield, cst.For, cst.While, cst.If, cst.Try,
        cst.SimpleStatementLine, cst.IndentedBlock, cst.SimpleString,
    }
    | {t for t in vars(cst).values() if isinstance(t, type) and issubclass(t, (cst.BaseSmallStatement,
                                                                                cst.BaseCompoundStatement))}
)  # fmt: skip
# Node types whose only walked field is a string: nothing below them to walk.
LEAVES = frozenset({cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.FormattedStringText})

SCOPE_TYPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)
NESTED_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_ORDERS = object()  # key of the per-type order lists in the per-file cache
_UNKNOWN = object()


def _child_fields(node_type: type) -> Tuple[str, ...]:
    fields = _child_fields_cache.get(node_type)
    if fields is None:
        fields = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if f.name not in _TRIVIA_FIELDS and not f.name.startswith("whitespace")
        )
        _child_fields_cache[node_type] = fields
    return fields


@functools.cache
def _child_fields_reversed(node_type: type) -> Tuple[str, ...]:
    return tuple(reversed(_child_fields(node_type)))


_getters: Dict[type, Optional[object]] = {}


def _children_getter(node_type: type):
    """A function: node -> its walked fields' values, last field first (None: no such fields)."""
    names = _child_fields_reversed(node_type)
    if node_type in LEAVES or not names:
        getter = None
    elif len(names) == 1:
        one = operator.attrgetter(names[0])
        getter = lambda node: (one(node),)  # noqa: E731
    else:
        getter = operator.attrgetter(*names)
    _getters[node_type] = getter
    return getter


@functools.cache
def _is_node_type(value_type: type) -> bool:
    # One issubclass per type instead of an ABC isinstance per value: the index's hot loop.
    return issubclass(value_type, cst.CSTNode)


def _last_descendant(node: cst.CSTNode) -> cst.CSTNode:
    """The node of `node`'s subtree that the index numbers last (children as `_index` sees them)."""
    while True:
        last = None
        for name in _child_fields_reversed(type(node)):
            value = getattr(node, name)
            if type(value) is tuple or type(value) is list:
                last = next((item for item in reversed(value) if _is_node_type(type(item))), None)
            elif _is_node_type(type(value)):
                last = value
            if last is not None:
                break
        if last is None:
            return node
        node = last


class FileContext:
    """A parsed module plus the index every rule reads."""

    def __init__(self, path: str, source: str, module: cst.Module) -> None:
        self.path = path
        self.source = source
        self.module = module
        self._parent: Dict[int, Optional[cst.CSTNode]] = {}
        self._order: Dict[int, int] = {}
        self._by_type: Dict[type, List[cst.CSTNode]] = {}
        self.names = NameResolver()
        self._index()
        self._collect_bindings()
        self.names.finish()
        self._cache: Dict[object, object] = {}
        self._nearest_memo: Dict[object, Dict[int, Optional[cst.CSTNode]]] = {}  # node_types -> id -> ancestor
        self._ends: Dict[int, int] = {}  # id -> pre-order number of the subtree's last node
        # The project model (torchlint.analysis.project.Project) when the file is linted as part of
        # one; None for a lone text.  Rules ask it about other files, never read them themselves.
        self.project = None

    # -- building ------------------------------------------------------------
    def _index(self) -> None:
        parent_of = self._parent
        order_of = self._order
        lists = self._by_type
        for node_type in INDEXED:
            lists[node_type] = []
        find_list = lists.get
        getters = _getters
        is_node = _is_node_type
        leaves = LEAVES
        stack: List[Tuple[cst.CSTNode, Optional[cst.CSTNode]]] = [(self.module, None)]
        pop, push = stack.pop, stack.append
        counter = 0
        while stack:
            node, parent = pop()
            key = id(node)
            parent_of[key] = parent
            order_of[key] = counter
            counter += 1
            node_type = type(node)
            found = find_list(node_type)
            if found is not None:
                found.append(node)
            if node_type in leaves:
                continue
            getter = getters[node_type] if node_type in getters else _children_getter(node_type)
            if getter is None:
                continue
            # Children are pushed last-first so that they pop in source order.
            for value in getter(node):
                value_type = type(value)
                if value_type is tuple or value_type is list:
                    for item in reversed(value):
                        if is_node(type(item)):
                            push((item, node))
                elif is_node(value_type):
                    push((value, node))
        self._shares_nodes = counter != len(order_of)  # one node object at two places
        self._complete = False  # are the types outside INDEXED collected too?

    def _collect_rest(self) -> None:
        """Collect the node types outside INDEXED (once, on the first request of one), in source order."""
        self._complete = True
        rest: Dict[type, List[cst.CSTNode]] = defaultdict(list)
        for node in self._preorder():
            if type(node) not in INDEXED:
                rest[type(node)].append(node)
        self._by_type.update(rest)

    def _preorder(self) -> Iterator[cst.CSTNode]:
        """Every node the index numbers, in its order (as `_index` walks)."""
        stack: List[cst.CSTNode] = [self.module]
        while stack:
            node = stack.pop()
            yield node
            node_type = type(node)
            getter = _getters[node_type] if node_type in _getters else _children_getter(node_type)
            if getter is None:
                continue
            for value in getter(node):
                if type(value) is tuple or type(value) is list:
                    stack.extend(item for item in reversed(value) if _is_node_type(type(item)))
                elif _is_node_type(type(value)):
                    stack.append(value)

    def all_nodes(self) -> Iterator[cst.CSTNode]:
        """Every node of the file (walked fields only), in source order."""
        return self._preorder()

    def _collect_bindings(self) -> None:
        names = self.names
        for node in self._by_type.get(cst.Import, ()):
            names.add_import(node)
        for node in self._by_type.get(cst.ImportFrom, ()):
            names.add_import_from(node)
        for node in self._by_type.get(cst.Assign, ()):
            simple_alias = len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name)
            if simple_alias and dotted_name(node.value) is not None:
                names.add_alias_assignment(node.targets[0].target.value, node.value)
                continue
            for target in node.targets:
                self._bind_target(target.target)
        for node_type in (cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor):
            for node in self._by_type.get(node_type, ()):
                self._bind_target(node.target)
        for node in self._by_type.get(cst.AsName, ()):
            if not isinstance(self.parent(node), (cst.ImportAlias,)):
                self._bind_target(node.name)
        for node_type in (cst.FunctionDef, cst.ClassDef, cst.Param):
            for node in self._by_type.get(node_type, ()):
                names.add_other_binding(node.name.value)
        for node in self._by_type.get(cst.NamedExpr, ()):
            self._bind_target(node.target)

    def _bind_target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.names.add_other_binding(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_target(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(target.value)

    # -- structure -----------------------------------------------------------
    def nodes(self, node_type: Type[N]) -> Sequence[N]:
        """Every node of exactly this type, in source order."""
        found = self._by_type.get(node_type)
        if found is None:
            if self._complete:
                return ()
            self._collect_rest()
            found = self._by_type.get(node_type, ())
        return found  # type: ignore[return-value]

    def parent(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        return self._parent.get(id(node))

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        parent = self._parent.get(id(node))
        while parent is not None:
            yield parent
            parent = self._parent.get(id(parent))

    def order(self, node: cst.CSTNode) -> int:
        """Pre-order number: a node comes before every node that follows it in the source."""
        return self._order[id(node)]

    def contains(self, outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
        if outer is inner:
            return True
        if not self._shares_nodes:  # a subtree is one run of pre-order numbers
            start, at = self._order.get(id(outer)), self._order.get(id(inner))
            if start is not None and at is not None:
                return start < at <= self._end(outer)
        return any(a is outer for a in self.ancestors(inner))

    def _end(self, node: cst.CSTNode) -> int:
        """The pre-order number of the last node of `node`'s subtree (memoised)."""
        end = self._ends.get(id(node))
        if end is None:
            end = self._ends[id(node)] = self._order[id(_last_descendant(node))]
        return end

    def enclosing(self, node: cst.CSTNode, node_types, stop: Optional[cst.CSTNode] = None) -> Optional[cst.CSTNode]:
        """The nearest ancestor of one of `node_types`, looking no further up than `stop`."""
        if stop is None:
            memo = self._nearest_memo.get(node_types)
            if memo is not None:
                found = memo.get(id(node), _UNKNOWN)
                if found is not _UNKNOWN:
                    return found
            return self._nearest(node, node_types)
        for ancestor in self.ancestors(node):
            if ancestor is stop:
                return None
            if isinstance(ancestor, node_types):
                return ancestor
        return None

    def _nearest(self, node: cst.CSTNode, node_types) -> Optional[cst.CSTNode]:
        """`enclosing` without `stop`, memoised for every node on the way up (siblings share the walk)."""
        memo = self._nearest_memo.get(node_types)
        if memo is None:
            memo = self._nearest_memo[node_types] = {}
        parent_of = self._parent
        visited = []
        current = node
        found = None
        while True:
            key = id(current)
            if key in memo:
                found = memo[key]
                break
            visited.append(key)
            parent = parent_of.get(key)
            if parent is None or isinstance(parent, node_types):
                found = parent
                break
            current = parent
        for key in visited:
            memo[key] = found
        return found

    def scope_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The function, lambda, class or module whose local names `node` sees."""
        return self.enclosing(node, SCOPE_TYPES) or self.module

    def statement_of(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The statement (simple or compound) that contains `node`."""
        if isinstance(node, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            return node
        return self.enclosing(node, (cst.BaseSmallStatement, cst.BaseCompoundStatement))

    def walk(self, root: cst.CSTNode, node_type: Type[N]) -> Iterator[N]:
        """Nodes of `node_type` inside `root`, in source order (uses the index, no re-walk)."""
        start = self.order(root)
        if self._shares_nodes:
            yield from (n for n in self.nodes(node_type) if self.order(n) > start and self.contains(root, n))
            return
        end = self._end(root)
        nodes = self.nodes(node_type)
        orders = self._cache.get((_ORDERS, node_type))
        if orders is None or len(orders) != len(nodes):
            orders = self._cache[(_ORDERS, node_type)] = [self._order[id(n)] for n in nodes]
        first = bisect.bisect_right(orders, start)
        yield from nodes[first : bisect.bisect_right(orders, end, first)]

    def inside_nested_scope(self, node: cst.CSTNode, root: cst.CSTNode) -> bool:
        """Is `node` inside a function, lambda or class nested in `root` (so not run by `root` itself)?"""
        if node is not root and not self._shares_nodes and self.contains(root, node):
            # the nearest scope around `node` (memoised for its whole branch) nested in `root` (not `root`
            # itself, nor a scope around `root`): what the walk up to `root` below would meet first
            nearest = self.enclosing(node, NESTED_SCOPES)
            return nearest is not None and nearest is not root and self.contains(root, nearest)
        return self.enclosing(node, NESTED_SCOPES, stop=root) is not None

    def import_bindings(self) -> Dict[str, List[cst.CSTNode]]:
        """Local name -> the import statements binding it (`import torch.nn` binds `torch`; `*` for star)."""

        def compute():
            bindings: Dict[str, List[cst.CSTNode]] = defaultdict(list)
            for node in (*self.nodes(cst.Import), *self.nodes(cst.ImportFrom)):
                if isinstance(node.names, cst.ImportStar):
                    bindings["*"].append(node)
                    continue
                for alias in node.names:
                    bound = alias.asname.name if alias.asname else alias.name
                    while isinstance(bound, cst.Attribute):
                        bound = bound.value
                    if isinstance(bound, cst.Name):
                        bindings[bound.value].append(node)
            return dict(bindings)

        return self.memo("import_bindings", compute)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    # -- names ---------------------------------------------------------------
    def qualified_name(self, node: cst.BaseExpression) -> Optional[str]:
        return self.names.qualified_name(node)

    def is_name(self, node: cst.BaseExpression, *qualified: str) -> bool:
        """Does `node` spell one of these torch objects (any public spelling of them)?"""
        name = self.names.qualified_name(node)
        return name is not None and name in {tables.canonical_name(q) for q in qualified}

    def call_name(self, call: cst.Call) -> Optional[str]:
        return self.names.qualified_name(call.func)

    def memo(self, key: object, compute):
        """Per-file cache for analyses several rules share."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]
