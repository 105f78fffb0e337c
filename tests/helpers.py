"""Shared helpers for rule tests: lint or fix a code snippet through the real engine."""

from __future__ import annotations

import textwrap
from typing import List, Optional, Sequence

from torchlint import registry
from torchlint.engine import lint_source, parse
from torchlint.findings import Finding
from torchlint.fixing import fix_source


def _rules(select: Optional[Sequence[str]]):
    return registry.select_rules(list(select) if select else ["ALL"])


def lint(code: str, select: Optional[Sequence[str]] = None, path: str = "example.py") -> List[Finding]:
    """Findings for a dedented snippet (all rules, or only `select`)."""
    return lint_source(path, textwrap.dedent(code), _rules(select))


def codes(code: str, select: Optional[Sequence[str]] = None) -> List[str]:
    return [f.code for f in lint(code, select)]


def fix(code: str, select: Optional[Sequence[str]] = None, unsafe: bool = False) -> str:
    """The fixed text; also checks the promises every fix keeps (parses, idempotent)."""
    source = textwrap.dedent(code)
    rules = _rules(select)
    first = fix_source("example.py", source, rules, unsafe=unsafe)
    assert not first.errors, first.errors
    parse(first.source)
    second = fix_source("example.py", first.source, rules, unsafe=unsafe)
    assert second.source == first.source, "fix is not idempotent"
    return first.source


def dedent(code: str) -> str:
    return textwrap.dedent(code)
