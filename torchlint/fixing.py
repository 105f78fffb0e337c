"""Applying fixes: all compatible fixes at once, re-parse, re-lint, until nothing changes.

The promise is that a fix never breaks a file and changes only what it fixes: every
round's output must parse (libcst) and compile (CPython), the text outside the edited
nodes (their whole extent, owned comments and blank lines included) must be byte-identical
to the input, the loop is bounded, and when anything goes wrong the file is left exactly
as it was, with a TL000 saying why.  A file CPython rejects is never rewritten.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import MetadataWrapper, WhitespaceInclusivePositionProvider

from torchlint.engine import (
    ParseFailure,
    active_violations,
    analyse,
    caused_by_recursion,
    describe_exception,
    node_positions,
    parse,
    position_violations,
)
from torchlint.findings import Finding, internal_finding
from torchlint.rule import SAFE, Fix, Rule

MAX_ROUNDS = 10
_NEWLINE = re.compile(r"\r\n?|\n")  # libcst's and the tokenizer's line breaks (not \f, \x1c, U+2028...)


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
        self.placed: Dict[cst.CSTNode, object] = {}  # edited original node -> what went into the new tree

    def on_leave(self, original_node, updated_node):
        replacement = self.edits.get(original_node, updated_node)
        if replacement is updated_node:
            return replacement
        if isinstance(replacement, cst.CSTNode):
            replacement = _keep_owned_lines(original_node, replacement)
        self.placed[original_node] = replacement
        return replacement


def _keep_owned_lines(original, replacement):
    """A statement built afresh (`cst.parse_statement`) has no comments above it, nor a trailing
    comment: keep the replaced statement's (with the blank lines between them).  Blank lines
    alone are the fixer's to keep or drop."""
    leading = getattr(original, "leading_lines", None)
    if leading and any(line.comment for line in leading) and getattr(replacement, "leading_lines", None) == ():
        replacement = replacement.with_changes(leading_lines=leading)
    if isinstance(original, cst.SimpleStatementLine) and isinstance(replacement, cst.SimpleStatementLine):
        if original.trailing_whitespace.comment is not None and replacement.trailing_whitespace.comment is None:
            replacement = replacement.with_changes(trailing_whitespace=original.trailing_whitespace)
    return replacement


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


def fix_source(
    path: str, source: str, rules: Sequence[Rule], unsafe: bool = False, project=None, only=None
) -> FixResult:
    """Fix `source` as far as the allowed fixes go; return the text and what remains.

    `project` (an analysis.project.Project): the same cross-file view as a check run; edits stay in `path`.
    `only(violation, where)`: fix just the findings it accepts, in one round (an editor's quick fix), with
    the same guarantees (text outside the fix unchanged, output parses, Python accepts it)."""
    try:
        return _fix_source(path, source, rules, unsafe, project, only)
    except Exception as exc:  # never formatted: see engine.caused_by_recursion
        from torchlint import supervisor

        if not caused_by_recursion(exc) or supervisor.in_deep_thread():
            raise
    # libcst recursed once per nesting level (a 500-branch `elif` chain): again on a deep stack.
    return supervisor.run_deep(_fix_source, path, source, rules, unsafe, project, only)


def _fix_source(path: str, source: str, rules: Sequence[Rule], unsafe: bool, project=None, only=None) -> FixResult:
    allowed = {SAFE, "unsafe"} if unsafe else {SAFE}
    current = source
    fixed = 0
    for round_number in range(MAX_ROUNDS):
        if only is not None and round_number == 1:  # the chosen fixes are applied: report what remains
            analysis = analyse(path, current, rules, project)
            return FixResult(current, position_violations(path, analysis, current), fixed)
        analysis = analyse(path, current, rules, project)
        located = active_violations(analysis, current)
        active = [v for v, where in located if only is None or only(v, where)]
        fixes = [v.fix for v in active if v.fix and v.fix.edits and v.fix.applicability in allowed]
        if not fixes or analysis.errors:
            return FixResult(current, position_violations(path, analysis, current), fixed)
        if round_number == 0:
            rejected = python_rejects(source)
            if rejected:  # libcst accepts more than Python (`return` outside a function, `except E, e:`)
                return _unchanged(path, source, rules, project, f"fix withheld: Python rejects this file ({rejected})")
        chosen = _non_overlapping(analysis, fixes)
        edits: Dict[cst.CSTNode, object] = {}
        for fix in chosen:
            edits.update(fix.edits)
        codes = ", ".join(sorted({v.rule.code for v in analysis.violations if v.fix in chosen}))
        try:
            applier = _ApplyEdits(edits)
            new_module = analysis.module.visit(applier)
            candidate = new_module.code
            # libcst's code generation may also change text near the edits (blank lines before a
            # trailing comment, a form feed): take only the edited nodes' new text from it.
            spliced = splice(analysis.module, new_module, applier.placed, current, candidate)
            if spliced is not None and spliced != candidate and _same_program(spliced, candidate):
                candidate = spliced  # (a parent's rendering may depend on the edit, e.g. `pass` in an emptied block)
            if current.endswith("\r") and not candidate.endswith(("\r", "\n")):
                candidate += "\r"  # libcst drops the last line break of a lone-CR file
            parse(candidate)
        except (ParseFailure, Exception) as exc:
            from torchlint import supervisor

            if caused_by_recursion(exc) and not supervisor.in_deep_thread():
                raise  # libcst recursed (a 500-branch `elif` chain): fix_source retries on a deep stack
            why = "the file nests too deeply" if caused_by_recursion(exc) else describe_exception(exc)
            reason = f"a fix for {codes} produced code that does not parse ({why}); file left unchanged"
            return _unchanged(path, source, rules, project, reason)
        if candidate == current:
            return FixResult(current, position_violations(path, analysis, current), fixed)
        try:
            line = changed_outside(analysis.module, edits, current, candidate)
        except KeyError:  # an edit for a node that is not in this tree: cannot check it, so do not apply it
            line = 1
        if line is not None:
            reason = f"fix withheld: a fix for {codes} would also change line {line}, outside the code it fixes"
            return _unchanged(path, source, rules, project, reason + "; file left unchanged")
        lost = lost_comment(current, candidate)
        if lost is not None:
            reason = f"fix withheld: a fix for {codes} would delete the comment `{lost[:60]}`"
            return _unchanged(path, source, rules, project, reason + "; file left unchanged")
        rejected = python_rejects(candidate)
        if rejected:
            reason = f"fix withheld: a fix for {codes} produced code Python rejects ({rejected}); file left unchanged"
            return _unchanged(path, source, rules, project, reason)
        current = candidate
        fixed += len(chosen)
    reason = f"fixes did not settle after {MAX_ROUNDS} rounds; file left unchanged"
    return _unchanged(path, source, rules, project, reason)


def python_rejects(source: str) -> Optional[str]:
    """Why CPython's compiler rejects `source` (None: it compiles).  Nothing runs; warnings are muted."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(source, "<fixed>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            return f"{exc.msg}, line {exc.lineno}" if exc.lineno else exc.msg
        except (RecursionError, MemoryError):
            return "too deeply nested to compile"
        except ValueError as exc:
            return str(exc)
    return None


_COMMENT = re.compile(r"#[^\r\n]*")


def lost_comment(old: str, new: str) -> Optional[str]:
    """A comment of `old` that `new` no longer has (counted; `#` in strings counts too: rarely, caution)."""
    missing = Counter(c.rstrip() for c in _COMMENT.findall(old))
    missing.subtract(c.rstrip() for c in _COMMENT.findall(new))
    return next((comment for comment, count in missing.items() if count > 0), None)


def _same_program(a: str, b: str) -> bool:
    """Do `a` and `b` parse to the same Python AST (formatting and comments aside)?"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False


def _extents(module: cst.Module, text: str, nodes) -> Dict[cst.CSTNode, Tuple[int, int]]:
    """Each node's (start, end) offsets in `text` (the module's code), owned whitespace and comments included."""
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(WhitespaceInclusivePositionProvider)
    starts = _line_starts(text)

    def offset(position) -> int:
        if position.line > len(starts):
            return len(text)
        return min(len(text), starts[position.line - 1] + position.column)

    return {node: (offset(positions[node].start), offset(positions[node].end)) for node in nodes}


def splice(module: cst.Module, new_module: cst.Module, placed, old: str, new: str) -> Optional[str]:
    """`old` with each edited node's extent replaced by its replacement's text in `new`: the fix as text
    edits, so that nothing outside the edited nodes can change.  None when the edits cannot be located
    (nested or missing nodes): then the caller checks the whole text instead (`changed_outside`)."""
    if not placed:
        return None
    try:
        old_spans = _extents(module, old, placed)
        new_nodes = []
        for replacement in placed.values():
            if isinstance(replacement, cst.FlattenSentinel):
                new_nodes.extend([replacement.nodes[0], replacement.nodes[-1]] if replacement.nodes else [])
            elif isinstance(replacement, cst.CSTNode):
                new_nodes.append(replacement)
        new_spans = _extents(new_module, new, new_nodes)
    except KeyError:
        return None
    parts, cursor = [], 0
    for original, (start, end) in sorted(old_spans.items(), key=lambda item: item[1]):
        if start < cursor:
            return None  # nested or overlapping edits
        replacement = placed[original]
        if isinstance(replacement, cst.FlattenSentinel) and replacement.nodes:
            text = new[new_spans[replacement.nodes[0]][0] : new_spans[replacement.nodes[-1]][1]]
        elif isinstance(replacement, cst.CSTNode):
            text = new[new_spans[replacement][0] : new_spans[replacement][1]]
        else:  # removed
            text = ""
        parts.extend([old[cursor:start], text])
        cursor = end
    parts.append(old[cursor:])
    return "".join(parts)


def _line_starts(text: str) -> List[int]:
    return [0] + [match.end() for match in _NEWLINE.finditer(text)]


def changed_outside(module: cst.Module, edits, old: str, new: str) -> Optional[int]:
    """The first line of `old`, outside every edited node, that `new` does not keep byte for byte.

    Each edited node's extent includes the whitespace, comments and blank lines it owns (a
    replacement or an insertion before it may move those); everything between the extents
    must come through unchanged and in order.  None: only the edited regions changed.
    """
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(WhitespaceInclusivePositionProvider)
    starts = _line_starts(old)

    def offset(position) -> int:
        return min(len(old), starts[position.line - 1] + position.column) if position.line <= len(starts) else len(old)

    spans: List[List[int]] = []
    for start, end in sorted((offset(positions[n].start), offset(positions[n].end)) for n in edits):
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    if not spans:
        return None
    bounds = [0] + [x for span in spans for x in span] + [len(old)]
    gaps = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]

    def line_of(index: int) -> int:
        return old.count("\n", 0, index) + old.count("\r", 0, index) - old.count("\r\n", 0, index) + 1

    first_start, first_end = gaps[0]
    last_start, last_end = gaps[-1]
    if not new.startswith(old[first_start:first_end]):
        return line_of(_first_difference(old[first_start:first_end], new))
    limit = len(new) - (last_end - last_start)
    if limit < first_end or not new.endswith(old[last_start:last_end]):
        return line_of(last_start)
    cursor = first_end
    for start, end in gaps[1:-1]:
        found = new.find(old[start:end], cursor, limit)
        if found < 0:
            return line_of(start)
        cursor = found + (end - start)
    return None


def _first_difference(a: str, b: str) -> int:
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return index
    return min(len(a), len(b))


def _unchanged(path: str, source: str, rules: Sequence[Rule], project, reason: str) -> FixResult:
    analysis = analyse(path, source, rules, project)
    findings = position_violations(path, analysis, source)
    error = internal_finding(path, reason)
    return FixResult(source, sorted(findings + [error], key=Finding.sort_key), 0, [error])
