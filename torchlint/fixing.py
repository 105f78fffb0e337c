"""Applying fixes: all compatible fixes at once, re-parse, re-lint, until nothing changes.

The promise is that a fix never breaks a file: every round's output must parse, the
loop is bounded, and when anything goes wrong the file is left exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import libcst as cst

from torchlint.engine import ParseFailure, active_violations, analyse, node_positions, parse, position_violations
from torchlint.findings import Finding, internal_finding
from torchlint.rule import SAFE, Fix, Rule

MAX_ROUNDS = 10


@dataclass
class FixResult:
    source: str  # the fixed text (== the input when nothing was fixed)
    findings: List[Finding]  # what remains after fixing
    fixed: int = 0  # how many findings the applied fixes resolved
    errors: List[Finding] = field(default_factory=list)


class _ApplyEdits(cst.CSTTransformer):
    def __init__(self, edits: Dict[cst.CSTNode, object]) -> None:
        super().__init__()
        self.edits = edits

    def on_leave(self, original_node, updated_node):
        return self.edits.get(original_node, updated_node)


def _non_overlapping(analysis, fixes: Sequence[Fix]) -> List[Fix]:
    """A subset of fixes whose edited regions do not overlap (the rest wait a round)."""
    positions = node_positions(analysis)
    taken: List[Tuple[tuple, tuple]] = []
    chosen = []
    for fix in fixes:
        spans = []
        for node in fix.edits:
            where = positions[node]
            spans.append(((where.start.line, where.start.column), (where.end.line, where.end.column)))
        if any(start < t_end and t_start < end for start, end in spans for t_start, t_end in taken):
            continue
        taken.extend(spans)
        chosen.append(fix)
    return chosen


def fix_source(path: str, source: str, rules: Sequence[Rule], unsafe: bool = False) -> FixResult:
    """Fix `source` as far as the allowed fixes go; return the text and what remains."""
    allowed = {SAFE, "unsafe"} if unsafe else {SAFE}
    current = source
    fixed = 0
    for _ in range(MAX_ROUNDS):
        analysis = analyse(path, current, rules)
        active = [v for v, _ in active_violations(analysis, current)]
        fixes = [v.fix for v in active if v.fix and v.fix.edits and v.fix.applicability in allowed]
        if not fixes or analysis.errors:
            return FixResult(current, position_violations(path, analysis, current), fixed)
        chosen = _non_overlapping(analysis, fixes)
        edits: Dict[cst.CSTNode, object] = {}
        for fix in chosen:
            edits.update(fix.edits)
        try:
            candidate = analysis.module.visit(_ApplyEdits(edits)).code
            parse(candidate)
        except (ParseFailure, Exception) as exc:
            codes = ", ".join(sorted({v.rule.code for v in analysis.violations if v.fix in chosen}))
            reason = f"a fix for {codes} produced code that does not parse ({exc}); file left unchanged"
            return _unchanged(path, source, rules, reason)
        if candidate == current:
            return FixResult(current, position_violations(path, analysis, current), fixed)
        current = candidate
        fixed += len(chosen)
    return _unchanged(path, source, rules, f"fixes did not settle after {MAX_ROUNDS} rounds; file left unchanged")


def _unchanged(path: str, source: str, rules: Sequence[Rule], reason: str) -> FixResult:
    analysis = analyse(path, source, rules)
    findings = position_violations(path, analysis, source)
    error = internal_finding(path, reason)
    return FixResult(source, sorted(findings + [error], key=Finding.sort_key), 0, [error])
