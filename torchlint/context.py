"""One parsed file, indexed once, shared by every rule.

The engine walks the libcst tree a single time, recording each node's parent, its
pre-order number (source order) and a per-type index; rules then ask questions
("every Call", "the function around this node", "what does `nn.Conv2d` name?")
instead of walking the tree again.  Positions are not computed here: they cost a
full code-generation pass, so the engine computes them only for files with findings.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
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
}  # fmt: skip
_child_fields_cache: Dict[type, Tuple[str, ...]] = {}

SCOPE_TYPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module)
NESTED_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_ORDERS = object()  # key of the per-type order lists in the per-file cache


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
        self._by_type: Dict[type, List[cst.CSTNode]] = defaultdict(list)
        self.names = NameResolver()
        self._index()
        self._collect_bindings()
        self.names.finish()
        self._cache: Dict[object, object] = {}
        self._nearest_memo: Dict[object, Dict[int, Optional[cst.CSTNode]]] = {}  # node_types -> id -> ancestor
        # The project model (torchlint.analysis.project.Project) when the file is linted as part of
        # one; None for a lone text.  Rules ask it about other files, never read them themselves.
        self.project = None

    # -- building ------------------------------------------------------------
    def _index(self) -> None:
        parent_of = self._parent
        order_of = self._order
        by_type = self._by_type
        is_node = _is_node_type
        stack: List[cst.CSTNode] = [self.module]
        parent_of[id(self.module)] = None
        counter = 0
        while stack:
            node = stack.pop()
            order_of[id(node)] = counter
            counter += 1
            node_type = type(node)
            by_type[node_type].append(node)
            # Children are pushed last-first so that they pop in source order.
            for name in _child_fields_reversed(node_type):
                value = getattr(node, name)
                value_type = type(value)
                if value_type is tuple or value_type is list:
                    for item in reversed(value):
                        if is_node(type(item)):
                            parent_of[id(item)] = node
                            stack.append(item)
                elif is_node(value_type):
                    parent_of[id(value)] = node
                    stack.append(value)
        self._shares_nodes = counter != len(order_of)  # one node object at two places

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
        return self._by_type.get(node_type, ())  # type: ignore[return-value]

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
        return outer is inner or any(a is outer for a in self.ancestors(inner))

    def enclosing(self, node: cst.CSTNode, node_types, stop: Optional[cst.CSTNode] = None) -> Optional[cst.CSTNode]:
        """The nearest ancestor of one of `node_types`, looking no further up than `stop`."""
        if stop is None:
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
        end = self.order(_last_descendant(root))
        nodes = self.nodes(node_type)
        orders = self._cache.get((_ORDERS, node_type))
        if orders is None or len(orders) != len(nodes):
            orders = self._cache[(_ORDERS, node_type)] = [self._order[id(n)] for n in nodes]
        first = bisect.bisect_right(orders, start)
        yield from nodes[first : bisect.bisect_right(orders, end, first)]

    def inside_nested_scope(self, node: cst.CSTNode, root: cst.CSTNode) -> bool:
        """Is `node` inside a function, lambda or class nested in `root` (so not run by `root` itself)?"""
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
