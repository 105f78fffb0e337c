"""The parts of module summaries (analysis/summaries.py) that need no libcst: the format's version and
shape check (the cache reads them), and a module's bindings table from Python's own parser (the project
model's lookups and the screens read it before any libcst parse; `summaries.names_table` is the same
table from a libcst parse, and benchmarks/bench_summaries_ast.py compares the two on real trees)."""

from __future__ import annotations

from typing import Dict, List, Optional

SUMMARY_VERSION = 4  # bump when the summary layout (analysis/summaries.py's docstring) or its meaning changes


def valid(summary) -> bool:
    """Is this (e.g. cached) object a summary of the current version, in the expected shape?"""
    if not isinstance(summary, dict) or summary.get("v") != SUMMARY_VERSION:
        return False
    kinds = {"names": dict, "stars": list, "values": dict, "functions": dict, "classes": dict, "module": dict}
    return all(isinstance(summary.get(key), kind) for key, kind in kinds.items())


def names_table_of_source(text: str) -> Optional[dict]:
    """`names_table` from Python's own parser (a tenth of libcst's time): the same bindings, for
    modules whose names are looked up but whose full summary is never needed.  None if unparsable."""
    tree = python_tree(text)
    return names_table_of_tree(tree) if tree is not None else None


def python_tree(text: str):
    """Python's `ast` of a module's text, or None if Python cannot parse it."""
    import ast

    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def names_table_of_tree(tree) -> dict:
    """`names_table_of_source` of an already parsed module (Python's `ast.Module`)."""
    import ast

    table = {"names": {}, "stars": [], "all": None}
    names: Dict[str, list] = table["names"]
    values: Dict[str, list] = {}

    def bind(name: str, binding: list) -> None:
        previous = names.get(name)
        names[name] = binding if previous is None or previous == binding else ["ambiguous"]

    def targets(node) -> List[str]:
        if isinstance(node, ast.Name):
            return [node.id]
        if isinstance(node, (ast.Tuple, ast.List)):
            return [n for e in node.elts for n in targets(e)]
        if isinstance(node, ast.Starred):
            return targets(node.value)
        return []

    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            bind(node.name, ["def", "function"])
            continue
        if isinstance(node, ast.ClassDef):
            bind(node.name, ["def", "class"])
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bind(alias.asname, ["module", alias.name])
                else:
                    root = alias.name.split(".", 1)[0]
                    bind(root, ["module", root])
            continue
        if isinstance(node, ast.ImportFrom):
            if any(a.name == "*" for a in node.names):
                table["stars"].append([node.level or 0, node.module or ""])
                continue
            for alias in node.names:
                bind(alias.asname or alias.name, ["import", node.level or 0, node.module or "", alias.name])
            continue
        assigned: List[str] = []
        if isinstance(node, ast.Assign):
            for target in node.targets:
                assigned.extend(targets(target))
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                values.setdefault(node.targets[0].id, []).append(node.value)
            else:
                for name in (n for t in node.targets for n in targets(t)):
                    values.setdefault(name, []).append(None)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            assigned.append(node.target.id)
            values.setdefault(node.target.id, []).append(node.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            assigned.append(node.target.id)
            values.setdefault(node.target.id, []).append(None)
        elif isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            assigned.append(node.target.id)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            assigned.extend(targets(node.target))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            assigned.extend(targets(node.optional_vars))
        for name in assigned:
            bind(name, ["def", "value"])
        stack.extend(ast.iter_child_nodes(node))
    exported = values.get("__all__")
    if exported is not None and len(exported) == 1 and isinstance(exported[0], (ast.List, ast.Tuple)):
        items = exported[0].elts
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in items):
            table["all"] = [e.value for e in items]
    table["stars"].reverse()
    return table
