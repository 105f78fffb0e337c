"""Positioned findings: plain data that crosses process boundaries and becomes output."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Tuple


@dataclass(frozen=True)
class FixInfo:
    applicability: str  # "safe" | "unsafe"
    description: str


@dataclass(frozen=True)
class Related:
    """Another place a finding's cause spans (`the sampler is built in data.py:41`)."""

    path: str
    line: int  # 1-based
    message: str = ""


def shown_path(path: str) -> str:
    """A related location's path: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


@dataclass(frozen=True)
class Finding:
    path: str
    line: int  # 1-based
    column: int  # 1-based
    end_line: int
    end_column: int  # 1-based, exclusive
    code: str
    name: str
    message: str
    fix: Optional[FixInfo] = None
    cell: Optional[int] = None  # notebooks: the 1-based cell; `line`/`end_line` then count within the cell
    related: Tuple[Related, ...] = ()  # other files/lines the cause spans (project-wide findings)

    def sort_key(self):
        return (self.path, self.cell or 0, self.line, self.column, self.code, self.message)


def internal_finding(path: str, reason: str, line: int = 1, column: int = 1) -> Finding:
    """TL000: the file could not be analysed (or a rule failed on it)."""
    return Finding(path, line, column, line, column, "TL000", "could-not-analyse",
                   f"could not analyse: {reason}")  # fmt: skip
