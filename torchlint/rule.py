"""What a rule is: its documentation as data, a cheap text pre-check, and a detector.

A rule module in rules/ defines one subclass of `Rule`.  Its fixer, if any, is the
module of the same name in fixers/ and defines `APPLICABILITY` and `fix()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Dict, Iterable, Optional, Tuple, Union

import libcst as cst

from torchlint.context import FileContext

SAFE = "safe"
UNSAFE = "unsafe"
SOMETIMES = "sometimes"  # a fixer whose instances are safe or unsafe case by case

Replacement = Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel]


@dataclass
class Fix:
    """Replace nodes of the original tree: `edits[original_node] = replacement`."""

    applicability: str  # SAFE or UNSAFE
    description: str
    edits: Dict[cst.CSTNode, Replacement] = field(default_factory=dict)


@dataclass
class Violation:
    """A rule's finding before it has a position: the node to point at."""

    rule: Rule
    node: cst.CSTNode
    message: str
    fix: Optional[Fix] = None
    related: tuple = ()  # findings.Related: the other half of a cause that spans files


class Rule:
    """Base class.  Subclasses set the documentation attributes and `check()`."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    why: ClassVar[str]  # why it matters, with what the user sees at run time
    bad: ClassVar[str]
    good: ClassVar[str]
    fix_does: ClassVar[Optional[str]] = None  # what the fix does, if there is one
    default: ClassVar[bool] = True  # correctness rules are on; advice is opt-in
    # The file is analysed only if, for every group, one of its strings occurs in the
    # source.  A cheap way to skip files the rule cannot match without parsing them.
    requires_text: ClassVar[Tuple[Tuple[str, ...], ...]] = ()

    fixer = None  # the paired fixers/ module, attached by the registry

    def may_match(self, source: str) -> bool:
        return all(any(token in source for token in group) for group in self.requires_text)

    def screen(self, facts) -> bool:
        """Can a file with these `torchlint.screens.Facts` (Python's `ast`, before any libcst parse)
        possibly yield a finding of this rule?  Must be a necessary condition read off `check()`:
        True whenever unsure.  The screens live in torchlint/rule_screens.py by code (libcst-free, so
        the flake8 plugin runs them without importing the rules); a rule without one relies on its
        text pre-check alone."""
        from torchlint.rule_screens import passes

        return passes(self.code, facts)

    def check(self, ctx: FileContext) -> Iterable[Violation]:
        raise NotImplementedError

    def violation(self, ctx: FileContext, node: cst.CSTNode, message: str) -> Violation:
        """A finding at `node`, with the fix the paired fixer offers for it (if any)."""
        found = Violation(rule=self, node=node, message=message)
        if self.fixer is not None:
            found.fix = self.fixer.fix(ctx, found)
        return found

    @property
    def fix_applicability(self) -> Optional[str]:
        return getattr(self.fixer, "APPLICABILITY", None)
