"""Which files to lint: `*.py` under the given paths, minus excluded directories and globs."""

from __future__ import annotations

import fnmatch
import os
from typing import Iterable, Iterator, List, Sequence

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".tox", ".venv", "venv", "__pycache__", "build", "dist",
    "site-packages", "node_modules",
)  # fmt: skip


def _relative(path: str, root: str) -> str:
    try:
        return os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return path.replace(os.sep, "/")


def matches_any(path: str, patterns: Iterable[str], root: str) -> bool:
    """flake8/ruff-style: a pattern matches the basename or the path relative to `root`."""
    relative = _relative(path, root)
    base = os.path.basename(os.path.normpath(path))
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatchcase(base, pattern) or fnmatch.fnmatchcase(relative, pattern):
            return True
        if fnmatch.fnmatchcase(relative, pattern + "/*"):
            return True
    return False


def find_files(paths: Sequence[str], exclude: Sequence[str] = (), root: str = ".") -> List[str]:
    """Files to lint, each once, in a stable order.  Explicit file arguments are always kept."""
    patterns = list(DEFAULT_EXCLUDES) + list(exclude)
    seen = set()
    result = []
    for path in paths:
        for found in _expand(path, patterns, root):
            key = os.path.normcase(os.path.abspath(found))
            if key not in seen:
                seen.add(key)
                result.append(found)
    return result


def _expand(path: str, patterns: Sequence[str], root: str) -> Iterator[str]:
    if not os.path.isdir(path):
        yield path
        return
    for directory, subdirs, files in os.walk(path):
        subdirs[:] = sorted(
            d for d in subdirs if not matches_any(os.path.join(directory, d), patterns, root)
        )
        for name in sorted(files):
            full = os.path.join(directory, name)
            if name.endswith(".py") and not matches_any(full, patterns, root):
                yield os.path.normpath(full)
