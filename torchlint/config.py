"""`[tool.torchlint]` in pyproject.toml: found upward from the linted files, validated strictly.

Discovery follows ruff: the nearest `pyproject.toml` with a `[tool.torchlint]` table, searching upward from
the common ancestor of the paths given on the command line (not from the working directory), so
`cd / && torchlint proj/x.py` uses `proj/pyproject.toml`.  Relative globs (`exclude`, `per-file-ignores`)
and the `baseline` path are relative to the directory of that file.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from torchlint.supervisor import DEFAULT_TIMEOUT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.9/3.10 only
    import tomli as tomllib


class ConfigError(ValueError):
    """A usage error in the configuration; the message names the file and the key."""


@dataclass
class Config:
    root: str = "."  # the directory that relative globs are relative to
    path: Optional[str] = None  # the pyproject.toml it came from
    select: Optional[List[str]] = None
    ignore: List[str] = field(default_factory=list)
    extend_select: List[str] = field(default_factory=list)
    per_file_ignores: Dict[str, List[str]] = field(default_factory=dict)
    exclude: List[str] = field(default_factory=list)
    unsafe_fixes: bool = False
    baseline: Optional[str] = None  # absolute path (relative values are relative to `root`)
    max_file_size: int = 5_000_000  # bytes; larger files are skipped (TL000); 0: no cap
    timeout: float = DEFAULT_TIMEOUT  # seconds per file; a slower file is skipped (TL000); 0: no budget

    def where(self, key: str) -> str:
        """How an error message names a key of this configuration."""
        return f"{self.path}: [tool.torchlint] {key}" if self.path else key


def find_pyproject(start: str) -> Optional[str]:
    """The nearest pyproject.toml with a [tool.torchlint] table, searching upward."""
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            try:
                data = _read_toml(candidate)
            except ConfigError:
                return candidate  # let load_config report it
            if "torchlint" in data.get("tool", {}):
                return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def common_start(paths: Sequence[str]) -> str:
    """Where discovery starts for these command-line paths: the directory of their common ancestor."""
    if not paths:
        return os.getcwd()
    absolute = [os.path.abspath(p) for p in paths]
    try:
        common = os.path.commonpath(absolute)
    except ValueError:  # different drives on Windows
        return os.getcwd()
    if not os.path.isdir(common):
        common = os.path.dirname(common)
    return common


def _read_toml(path: str) -> dict:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _codes(path: str, key: str, value) -> List[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: [tool.torchlint] {key} must be a list of rule codes")
    return [v.strip().upper() for v in value if v.strip()]


def _strings(path: str, key: str, value) -> List[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: [tool.torchlint] {key} must be a list of strings")
    return list(value)


def _bool(path: str, key: str, value) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: [tool.torchlint] {key} must be true or false")
    return value


def _set_select(config: Config, path: str, key: str, value) -> None:
    config.select = _codes(path, key, value)
    if not config.select:
        raise ConfigError(f"{path}: [tool.torchlint] select is empty (leave it out for the default rules)")


def _set_ignore(config: Config, path: str, key: str, value) -> None:
    config.ignore = _codes(path, key, value)


def _set_extend_select(config: Config, path: str, key: str, value) -> None:
    config.extend_select = _codes(path, key, value)


def _set_exclude(config: Config, path: str, key: str, value) -> None:
    config.exclude = _strings(path, key, value)


def _set_unsafe_fixes(config: Config, path: str, key: str, value) -> None:
    config.unsafe_fixes = _bool(path, key, value)


def _set_per_file_ignores(config: Config, path: str, key: str, value) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [tool.torchlint] per-file-ignores must be a table of glob = [codes]")
    config.per_file_ignores = {glob: _codes(path, f"per-file-ignores.{glob!r}", codes) for glob, codes in value.items()}


def _set_baseline(config: Config, path: str, key: str, value) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path}: [tool.torchlint] baseline must be a file name")
    config.baseline = os.path.join(config.root, value)


def _set_max_file_size(config: Config, path: str, key: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{path}: [tool.torchlint] max-file-size must be a number of bytes (0: no cap)")
    config.max_file_size = value


def _set_timeout(config: Config, path: str, key: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ConfigError(f"{path}: [tool.torchlint] timeout must be a number of seconds per file (0: none)")
    config.timeout = float(value)


# key -> setter(config, pyproject path, key, value).  Add a key by adding an entry here.
KEYS: Dict[str, Callable[[Config, str, str, object], None]] = {
    "select": _set_select,
    "extend-select": _set_extend_select,
    "ignore": _set_ignore,
    "per-file-ignores": _set_per_file_ignores,
    "exclude": _set_exclude,
    "unsafe-fixes": _set_unsafe_fixes,
    "baseline": _set_baseline,
    "max-file-size": _set_max_file_size,
    "timeout": _set_timeout,
}


def load_config(path: Optional[str] = None, start: str = ".") -> Config:
    """Read `path` (an explicit --config) or the nearest pyproject.toml above `start`; defaults if none."""
    if path is None:
        path = find_pyproject(start)
        if path is None:
            return Config(root=os.path.abspath("."))
    elif not os.path.isfile(path):
        raise ConfigError(f"{path}: no such config file")
    table = _read_toml(path).get("tool", {}).get("torchlint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.torchlint] must be a table")
    config = Config(root=os.path.dirname(os.path.abspath(path)), path=path)
    for key, value in table.items():
        setter = KEYS.get(key)
        if setter is None:
            valid = ", ".join(sorted(KEYS))
            raise ConfigError(f"{path}: unknown key {key!r} in [tool.torchlint] (valid keys: {valid})")
        setter(config, path, key, value)
    return config
