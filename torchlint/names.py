"""Name resolution: which qualified name (`torch.nn.Conv2d`) an expression spells.

Rules speak in qualified names, never in spellings, so `nn.Conv2d`, `C` after
`from torch.nn import Conv2d as C`, and `th.nn.Conv2d` after `import torch as th`
are the same thing.  This is deliberately cheaper than libcst's scope provider: one
table of file-wide bindings built from imports and simple aliases.  A name that is
bound to two different things anywhere in the file resolves to nothing, so the rules
stay silent rather than guess.
"""

from __future__ import annotations

from typing import Dict, Optional

import libcst as cst

from torchlint import tables

_AMBIGUOUS = object()


def dotted_name(node: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def _import_module_name(node: cst.ImportFrom) -> Optional[str]:
    if node.relative:
        return None  # project-local: never a torch name
    return dotted_name(node.module) if node.module is not None else None


class NameResolver:
    """File-wide bindings of local names to qualified names."""

    def __init__(self) -> None:
        self._bindings: Dict[str, object] = {}
        self._pending_aliases: list = []

    # -- building ------------------------------------------------------------
    def _bind(self, name: str, qualified: object) -> None:
        previous = self._bindings.get(name)
        if previous is None:
            self._bindings[name] = qualified
        elif previous != qualified:
            self._bindings[name] = _AMBIGUOUS

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self._bind(alias.asname.name.value, full)
            else:  # `import torch.nn` binds `torch`
                root = full.split(".", 1)[0]
                self._bind(root, root)

    def add_import_from(self, node: cst.ImportFrom) -> None:
        module = _import_module_name(node)
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            imported = dotted_name(alias.name)
            if imported is None:
                continue
            local = imported
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self._bind(local, f"{module}.{imported}" if module else _AMBIGUOUS)

    def add_other_binding(self, name: str) -> None:
        """A name bound by something that is not an import (assignment, def, parameter...)."""
        self._bind(name, _AMBIGUOUS)

    def add_alias_assignment(self, name: str, value: cst.BaseExpression) -> None:
        """`DDP = torch.nn.parallel.DistributedDataParallel`: resolved once all imports are known."""
        self._pending_aliases.append((name, value))

    def finish(self) -> None:
        # Aliases of aliases resolve in a few rounds; anything left is not a known name.
        pending = self._pending_aliases
        self._pending_aliases = []
        aliased = {name for name, _ in pending}
        for _ in range(3):
            unresolved = []
            for name, value in pending:
                root = dotted_name(value)
                root_name = root.split(".", 1)[0] if root else None
                if root_name in aliased and root_name not in self._bindings:
                    unresolved.append((name, value))
                    continue
                qualified = self.qualified_name(value)
                self._bind(name, qualified if qualified is not None else _AMBIGUOUS)
            pending = unresolved
            if not pending:
                break
        for name, _ in pending:
            self._bind(name, _AMBIGUOUS)

    # -- querying ------------------------------------------------------------
    def qualified_name(self, node: cst.BaseExpression) -> Optional[str]:
        """The canonical qualified name an expression spells, or None if unknown."""
        spelled = dotted_name(node)
        if spelled is None:
            return None
        root, _, rest = spelled.partition(".")
        bound = self._bindings.get(root)
        if bound is None or bound is _AMBIGUOUS:
            return None
        full = f"{bound}.{rest}" if rest else str(bound)
        return tables.canonical_name(full)

    def is_bound(self, name: str) -> bool:
        return name in self._bindings
