"""FileContext's index: only the node types rules ask for are listed up front, the rest on first request,
and every answer (nodes of a type, parents, order, walk, enclosing) is what a plain walk of the tree gives."""

from __future__ import annotations

import dataclasses
import os
import textwrap
from collections import defaultdict

import libcst as cst
import pytest

from tests.test_screens import ROOT, SNIPPET_DIRS, _snippets
from torchlint import context
from torchlint.context import INDEXED, LEAVES, FileContext


def _reference(module: cst.Module):
    """A plain recursive walk over the walked fields: parent, pre-order number and nodes by type."""
    parent, order, by_type = {}, {}, defaultdict(list)

    def visit(node, up):
        parent[id(node)] = up
        order[id(node)] = len(order)
        by_type[type(node)].append(node)
        for name in context._child_fields(type(node)):
            value = getattr(node, name)
            for item in value if isinstance(value, (tuple, list)) else (value,):
                if isinstance(item, cst.CSTNode):
                    visit(item, node)

    visit(module, None)
    return parent, order, by_type


def _programs():
    for folder in ("examples", "tests/projects"):
        for directory, _, names in os.walk(os.path.join(ROOT, folder)):
            for name in sorted(names):
                if name.endswith(".py"):
                    with open(os.path.join(directory, name), encoding="utf-8") as handle:
                        yield handle.read()


def _same_as_reference(source: str) -> None:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return  # a test project's deliberately broken file
    ctx = FileContext("example.py", source, module)
    parent, order, by_type = _reference(module)
    assert ctx._order == order
    assert {key: id(up) if up is not None else None for key, up in ctx._parent.items()} == {
        key: id(up) if up is not None else None for key, up in parent.items()
    }
    assert [id(n) for n in ctx.all_nodes()] == sorted(order, key=order.get)
    for node_type in INDEXED:  # listed up front
        assert list(ctx.nodes(node_type)) == by_type.get(node_type, [])
    assert not ctx._complete
    for node_type, nodes in by_type.items():  # the rest on first request
        assert list(ctx.nodes(node_type)) == nodes
    for node in by_type.get(cst.Call, [])[:20]:
        function = ctx.enclosing(node, (cst.FunctionDef,))
        up = parent[id(node)]
        while up is not None and not isinstance(up, cst.FunctionDef):
            up = parent[id(up)]
        assert function is up
    every = sorted(order, key=order.get)
    nodes = {id(n): n for ns in by_type.values() for n in ns}
    for outer in every[:: max(1, len(every) // 15)]:
        for inner in every[:: max(1, len(every) // 40)]:
            up, inside = inner, False
            while up is not None and not inside:
                inside = up == outer
                up = id(parent[up]) if parent[up] is not None else None
            assert ctx.contains(nodes[outer], nodes[inner]) == inside
    for function in by_type.get(cst.FunctionDef, [])[:5]:
        inside = [n for n in by_type.get(cst.Name, []) if ctx.contains(function, n)]
        assert list(ctx.walk(function, cst.Name)) == inside
    roots = [*by_type.get(cst.FunctionDef, [])[:6], *by_type.get(cst.For, [])[:3], module]
    for root in roots:  # inside_nested_scope: the walk up from the node to `root`, meeting a scope first
        for node in [*by_type.get(cst.Call, [])[:40], *by_type.get(cst.Return, [])[:10], root]:
            up, nested = parent[id(node)], False
            while up is not None and up is not root:
                if isinstance(up, context.NESTED_SCOPES):
                    nested = True
                    break
                up = parent[id(up)]
            assert ctx.inside_nested_scope(node, root) == nested


@pytest.mark.parametrize("folder", SNIPPET_DIRS)
def test_index_matches_a_plain_walk_on_every_snippet(folder):
    for code, where in _snippets().items():
        if where.startswith(folder):
            _same_as_reference(code)


def test_index_matches_a_plain_walk_on_examples_and_projects():
    for source in _programs():
        _same_as_reference(source)


def test_an_unlisted_type_is_collected_on_request():
    source = textwrap.dedent(
        """\
        x = [1, 2.0, 'a']
        def f(a: int = 3, *, b=...):
            return {k: v for k, v in x}
        """
    )
    ctx = FileContext("example.py", source, cst.parse_module(source))
    assert cst.Integer not in INDEXED and cst.DictComp not in INDEXED
    assert [n.value for n in ctx.nodes(cst.Integer)] == ["1", "3"]
    assert len(ctx.nodes(cst.DictComp)) == 1 and ctx._complete
    assert ctx.nodes(cst.Set) == ()


def test_leaves_have_nothing_below_them():
    for node_type in LEAVES:
        assert context._child_fields(node_type) == ("value",)
        field = next(f for f in dataclasses.fields(node_type) if f.name == "value")
        assert field.type in (str, "str")


def test_bracket_tokens_are_not_walked():
    source = "x = a[1]\ny = [b]\nz = {c: d}\n"
    ctx = FileContext("example.py", source, cst.parse_module(source))
    assert ctx.nodes(cst.LeftSquareBracket) == () and ctx.nodes(cst.LeftCurlyBrace) == ()
    assert [n.value for n in ctx.nodes(cst.Name)] == ["x", "a", "y", "b", "z", "c", "d"]
