"""Which files to lint: `*.py`/`*.pyi`/`*.ipynb` under the given paths, minus excluded directories and globs.

Two kinds of exclusion, as in ruff:

- the default excludes (`.venv`, `build`, `site-packages`...) are directory and file *names*, applied only to
  what is found while walking below a given path: never to the given path itself or its parents, so
  `torchlint build/proj` or a checkout under `~/venv/src/` lints what it was asked to;
- the user's `exclude` globs match a found entry's name or its path relative to the configuration's
  directory (`root`).

A path named on the command line is always linted, unless `force_exclude` (ruff's `--force-exclude`, what
pre-commit needs since it names every staged file) applies both kinds to it and its parents up to `root`.
"""

from __future__ import annotations

import fnmatch
import os
from typing import Iterable, Iterator, List, Optional, Sequence

DEFAULT_EXCLUDES = (
    ".git", ".hg", ".tox", ".nox", ".venv", "venv", "__pycache__", "build", "dist",
    "site-packages", "node_modules", ".ipynb_checkpoints", ".eggs", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".torchlint_cache",
)  # fmt: skip

PYTHON_SUFFIXES = (".py", ".pyi")
NOTEBOOK_SUFFIX = ".ipynb"
LINTED_SUFFIXES = PYTHON_SUFFIXES + (NOTEBOOK_SUFFIX,)


def _relative(path: str, root: str) -> Optional[str]:
    """`path` relative to `root` with `/` separators, or None when it lies outside `root`."""
    try:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    except ValueError:  # another drive on Windows
        return None
    if relative == ".." or relative.startswith(".." + os.sep):
        return None
    return relative.replace(os.sep, "/")


def matches_any(path: str, patterns: Iterable[str], root: str) -> bool:
    """flake8/ruff-style: a pattern matches the basename or the path relative to `root` (or a parent of it
    inside `root`: `tests/*` matches `tests/a/b.py`).  Parents outside `root` are never looked at."""
    relative = _relative(path, root)
    base = os.path.basename(os.path.normpath(path))
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if pattern.startswith("./"):
            pattern = pattern[2:]
        if fnmatch.fnmatchcase(base, pattern):
            return True
        if relative is not None and (
            fnmatch.fnmatchcase(relative, pattern) or fnmatch.fnmatchcase(relative, pattern + "/*")
        ):
            return True
    return False


def is_default_excluded_name(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in DEFAULT_EXCLUDES)


def is_force_excluded(path: str, exclude: Sequence[str], root: str) -> bool:
    """--force-exclude: is this named path excluded by `exclude` or by a default exclude on a directory
    between `root` and it?"""
    if matches_any(path, exclude, root):
        return True
    relative = _relative(path, root)
    if relative is None or relative == ".":
        return False
    return any(is_default_excluded_name(part) for part in relative.split("/"))


def find_files(
    paths: Sequence[str], exclude: Sequence[str] = (), root: str = ".", force_exclude: bool = False
) -> List[str]:
    """Files to lint, each once, in a stable order.  Named files are kept (unless `force_exclude`)."""
    seen = set()
    result = []
    for path in paths:
        if force_exclude and is_force_excluded(path, exclude, root):
            continue
        for found in _expand(path, exclude, root):
            key = os.path.normcase(os.path.abspath(found))
            if key not in seen:
                seen.add(key)
                result.append(found)
    return result


def _excluded(full: str, name: str, exclude: Sequence[str], root: str) -> bool:
    return is_default_excluded_name(name) or matches_any(full, exclude, root)


def _expand(path: str, exclude: Sequence[str], root: str) -> Iterator[str]:
    if not os.path.isdir(path):
        yield path
        return
    for directory, subdirs, files in os.walk(path):
        subdirs[:] = sorted(d for d in subdirs if not _excluded(os.path.join(directory, d), d, exclude, root))
        for name in sorted(files):
            full = os.path.join(directory, name)
            if name.endswith(LINTED_SUFFIXES) and not _excluded(full, name, exclude, root):
                yield os.path.normpath(full)


def is_python_path(path: str) -> bool:
    """Is `path` linted as Python source: `.py`/`.pyi`/`.pyw`, or no suffix at all (a script named on the
    command line, `bin/train`)?  Notebooks and any other suffix are not."""
    name = os.path.basename(path)
    suffix = os.path.splitext(name)[1]
    return suffix in (".py", ".pyi", ".pyw") or suffix == "" or path == "-"
