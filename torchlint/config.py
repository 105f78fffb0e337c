"""`[tool.torchlint]` in pyproject.toml: found upward from the working directory, validated strictly."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional

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
    max_file_size: int = 5_000_000  # bytes; larger files are skipped (TL000); 0: no cap
    timeout: float = 20.0  # seconds per file; a slower file is skipped (TL000); 0: no budget


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


def load_config(path: Optional[str] = None, start: str = ".") -> Config:
    """Read `path` (an explicit --config) or the nearest pyproject.toml; defaults if none."""
    if path is None:
        path = find_pyproject(start)
        if path is None:
            return Config(root=os.path.abspath(start))
    elif not os.path.isfile(path):
        raise ConfigError(f"{path}: no such config file")
    table = _read_toml(path).get("tool", {}).get("torchlint", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.torchlint] must be a table")
    config = Config(root=os.path.dirname(os.path.abspath(path)), path=path)
    for key, value in table.items():
        if key == "select":
            config.select = _codes(path, key, value)
        elif key == "ignore":
            config.ignore = _codes(path, key, value)
        elif key == "extend-select":
            config.extend_select = _codes(path, key, value)
        elif key == "exclude":
            config.exclude = _strings(path, key, value)
        elif key == "unsafe-fixes":
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: [tool.torchlint] unsafe-fixes must be true or false")
            config.unsafe_fixes = value
        elif key == "max-file-size":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{path}: [tool.torchlint] max-file-size must be a number of bytes (0: no cap)")
            config.max_file_size = value
        elif key == "timeout":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError(f"{path}: [tool.torchlint] timeout must be a number of seconds per file (0: none)")
            config.timeout = float(value)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [tool.torchlint] per-file-ignores must be a table of glob = [codes]")
            config.per_file_ignores = {
                glob: _codes(path, f"per-file-ignores.{glob!r}", codes) for glob, codes in value.items()
            }
        else:
            raise ConfigError(f"{path}: unknown key {key!r} in [tool.torchlint]")
    return config
