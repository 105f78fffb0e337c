"""Linting one source text: parse once, run every rule over the one tree, position findings.

This is the shared core of the CLI and the flake8 plugin.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from itertools import accumulate
from typing import List, Mapping, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from torchlint import noqa
from torchlint.context import FileContext
from torchlint.findings import Finding, FixInfo, internal_finding
from torchlint.rule import Rule, Violation


class ParseFailure(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


# CPython's own limit (tokenizer MAXLEVEL): deeper brackets are a syntax error, and far
# deeper ones overflow the C stack of libcst's native parser (SIGSEGV, no exception).
MAX_BRACKET_DEPTH = 200
# Chains that both parsers build by recursion (10,000 unary `-` never finish in libcst;
# 4,000 `.b` take it 30 s); beyond this length CPython's own parser gives up too.
MAX_CHAIN = 1000
_DEPTH_STEP = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
_NOT_BRACKETS = re.compile(r"[^()\[\]{}]+")
# Unary chains (`- - - x`, `not not x`) and right-nested `**` chains; long `.attr` chains are
# left to the time budget (a screen for them costs more than it saves).
_LONG_CHAINS = tuple(
    re.compile(pattern % (MAX_CHAIN - 1))
    for pattern in (r"[-+~](?:\s*[-+~]){%d}", r"not(?:\s+not){%d}", r"\*\*\s*\w+(?:\s*\*\*\s*\w+){%d}")
)


def too_deep(source: str) -> Optional[ParseFailure]:
    """A cheap screen for nesting that would crash or stall libcst; Python's parser confirms.

    The screens over-count (brackets and dashes in strings and comments count too); only when
    one trips does Python's own tokenizer or parser (C, fast) look closer.
    """
    opened = source.count("(") + source.count("[") + source.count("{")
    if opened > MAX_BRACKET_DEPTH and max(
        accumulate(map(_DEPTH_STEP.__getitem__, _NOT_BRACKETS.sub("", source)))
    ) > MAX_BRACKET_DEPTH:
        try:
            compile(source, "<file>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        except SyntaxError as exc:  # "too many nested parentheses"
            return ParseFailure(f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 1)
        except (RecursionError, MemoryError):
            return ParseFailure("the file nests too deeply to parse")
        except ValueError:
            pass
    if any(chain.search(source) for chain in _LONG_CHAINS):
        where = _long_chain(source)
        if where is not None:
            return ParseFailure(
                f"skipped: an expression chains more than {MAX_CHAIN} operators, too deep to parse",
                *where,
            )
    return None


def _long_chain(source: str) -> Optional[Tuple[int, int]]:
    """Where a run of MAX_CHAIN unary operators (or `** x` links) starts, per the tokenizer."""
    run, start, previous = 0, (1, 1), None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            text = token.string
            unary = (token.type == tokenize.OP and text in ("-", "+", "~")) or text == "not"
            link = token.type == tokenize.NAME or token.type == tokenize.NUMBER
            if unary or text == "**" or (link and previous == "**"):
                if run == 0:
                    start = (token.start[0], token.start[1] + 1)
                run += 1
                if run >= MAX_CHAIN:
                    return start
            else:
                run = 0
            previous = text
    except (tokenize.TokenError, SyntaxError):
        return None
    return None


def parse(source: str) -> cst.Module:
    failure = too_deep(source)
    if failure is not None:
        raise failure
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise _describe_syntax_error(source, exc) from None
    except RecursionError:
        raise ParseFailure("the file nests too deeply to parse") from None
    except Exception as exc:  # libcst's native parser raises a few other types
        raise ParseFailure(f"cannot parse: {exc}") from None


def _describe_syntax_error(source: str, exc: cst.ParserSyntaxError) -> ParseFailure:
    # libcst's positions and messages are rough; Python's own parser says it better.
    try:
        compile(source, "<file>", "exec", ast.PyCF_ONLY_AST)
    except SyntaxError as python_error:
        return ParseFailure(f"syntax error: {python_error.msg}", python_error.lineno or 1, python_error.offset or 1)
    except (ValueError, RecursionError, MemoryError):
        return ParseFailure(f"syntax error: {exc.message}", max(exc.raw_line, 1), exc.raw_column + 1)
    # Python accepts it: libcst is stricter (a tab-indented line in a space-indented block,
    # thousands of implicitly joined strings).  Say so plainly instead of "syntax error".
    hint = ""
    if re.search(r"^[ ]*\t|^\t+ ", source, re.MULTILINE):
        hint = " (its indentation mixes tabs and spaces: indent with spaces only)"
    elif "tokenizer error" not in exc.message and source.count("'") + source.count('"') > 2000:
        hint = " (too many implicitly joined strings?)"
    return ParseFailure(
        f"libcst, the parser torchlint uses, cannot parse this file although Python can{hint}",
        max(exc.raw_line, 1), exc.raw_column + 1,
    )  # fmt: skip


@dataclass
class Analysis:
    """The violations of one parse of one text."""

    module: Optional[cst.Module]
    violations: List[Violation] = field(default_factory=list)
    errors: List[Finding] = field(default_factory=list)  # TL000: unparsable, rule crash
    positions: Optional[Mapping[cst.CSTNode, CodeRange]] = None  # computed on demand
    selected: Tuple[str, ...] = ()  # the codes asked for (TL001 needs them to judge `noqa` comments)


def rules_for(source: str, rules: Sequence[Rule]) -> List[Rule]:
    """The rules that can possibly match this text, and that the file does not silence."""
    skipped = noqa.file_noqa(source)
    return [
        rule for rule in rules
        if not noqa.is_silenced(rule.code, skipped) and rule.may_match(source)
    ]  # fmt: skip


# Screen files with the rules' `screen()` over Python's `ast` before parsing with libcst
# (torchlint/screens.py); `--no-screen` (runner.Job.screen) turns it off for a whole run.
SCREENING = True


def analyse(path: str, source: str, rules: Sequence[Rule], project=None, screen: Optional[bool] = None,
            tree=None) -> Analysis:
    """Run `rules` over `source`.  Never raises for bad input: that becomes TL000.

    `project` (an analysis.project.Project) lets rules see the file's first-party imports.
    `screen` (default: SCREENING) drops rules whose sound screen says they cannot fire here;
    `tree`: Python's `ast` of `source` when the caller has it (flake8)."""
    candidates = rules_for(source, rules)
    if candidates and (SCREENING if screen is None else screen) and too_deep(source) is None:
        from torchlint.screens import python_tree, screen_rules

        if tree is None:
            tree = python_tree(source)  # parsed once: the screens and the module summary read it
        candidates = screen_rules(source, candidates, tree=tree)
    if not candidates:
        return Analysis(module=None)
    try:
        module = parse(source)
    except ParseFailure as exc:
        return Analysis(module=None, errors=[internal_finding(path, str(exc), exc.line, exc.column)])
    ctx = FileContext(path, source, module)
    ctx.python_tree = tree  # Python's `ast` of the same text, when screening parsed it (else None)
    result = Analysis(module=module, selected=tuple(r.code for r in rules))
    if project is not None:
        project.attach(ctx)
    try:
        _run_rules(path, ctx, candidates, result)
    finally:
        if project is not None:
            project.detach(ctx)
    return result


def _run_rules(path: str, ctx: FileContext, candidates: Sequence[Rule], result: Analysis) -> None:
    for rule in candidates:
        try:
            result.violations.extend(rule.check(ctx))
        except RecursionError:
            result.errors.append(internal_finding(path, f"{rule.code} ({rule.name}): {_TOO_DEEP}"))
        except Exception as exc:  # one broken rule must not stop the others or the run
            if caused_by_recursion(exc):
                result.errors.append(internal_finding(path, f"{rule.code} ({rule.name}): {_TOO_DEEP}"))
                continue
            result.errors.append(
                internal_finding(path, f"internal error in {rule.code} ({rule.name}): {describe_exception(exc)}")
            )


def describe_exception(exc: BaseException) -> str:
    """`Type: message`, without trusting the exception: its str() may recurse (a KeyError holding a
    deeply nested CST node) or fail, and a last-resort handler must never raise."""
    name = type(exc).__name__
    try:
        text = str(exc)
    except BaseException:  # noqa: B036 - formatting a hostile object must not take the run down
        return name
    return f"{name}: {text[:200]}" if text else name


def node_positions(analysis: Analysis):
    """Every node's position (one code-generation pass, done at most once per analysis)."""
    if analysis.positions is None:
        analysis.positions = MetadataWrapper(analysis.module, unsafe_skip_copy=True).resolve(PositionProvider)
    return analysis.positions


def active_violations(analysis: Analysis, source: str) -> List[Tuple[Violation, CodeRange]]:
    """The violations that no `# noqa` silences, with their positions (computed only here)."""
    if not analysis.violations:
        return []
    positions = node_positions(analysis)
    per_line = noqa.line_noqa(source)
    located = [(v, positions[v.node]) for v in analysis.violations]
    return [
        (violation, where) for violation, where in located
        if not noqa.is_silenced(violation.rule.code, per_line.get(where.start.line, frozenset()))
    ]  # fmt: skip


def position_violations(path: str, analysis: Analysis, source: str) -> List[Finding]:
    """Positioned, noqa-filtered findings, sorted."""
    findings = list(analysis.errors)
    for violation, where in active_violations(analysis, source):
        fix = violation.fix
        findings.append(
            Finding(
                path=path,
                line=where.start.line,
                column=where.start.column + 1,
                end_line=where.end.line,
                end_column=where.end.column + 1,
                code=violation.rule.code,
                name=violation.rule.name,
                message=violation.message,
                fix=FixInfo(fix.applicability, fix.description) if fix else None,
                related=tuple(getattr(violation, "related", ()) or ()),
            )
        )
    if noqa.UNUSED_NOQA_CODE in analysis.selected:
        findings.extend(_unused_noqa(path, analysis, source))
    return sorted(findings, key=Finding.sort_key)


def _unused_noqa(path: str, analysis: Analysis, source: str) -> List[Finding]:
    """TL001: which `# noqa: TLxxx` codes silenced a violation of this analysis, and which did not."""
    from torchlint.registry import all_rules

    per_line = noqa.line_noqa(source)
    used = set()
    if analysis.violations:
        positions = node_positions(analysis)
        for violation in analysis.violations:
            line = positions[violation.node].start.line
            for code in per_line.get(line) or ():
                if violation.rule.code.startswith(code):
                    used.add((line, code))
    ran = [c for c in analysis.selected if c != noqa.UNUSED_NOQA_CODE]
    return noqa.unused_noqa(path, source, used, ran, list(all_rules()))


_TOO_DEEP = "the file nests too deeply"


def caused_by_recursion(exc: BaseException) -> bool:
    """Is `exc` a RecursionError, or raised while handling one?  (libcst's position tracking turns
    one RecursionError into a chain of KeyErrors, one per nesting level.)  Walks the chain iteratively."""
    for _ in range(100_000):
        if exc is None:
            return False
        if isinstance(exc, RecursionError):
            return True
        exc = exc.__context__
    return False


def lint_source(path: str, source: str, rules: Sequence[Rule], project=None) -> List[Finding]:
    try:
        findings = position_violations(path, analyse(path, source, rules, project), source)
    except Exception as exc:  # never formatted: its chain holds hundreds of deeply nested nodes
        if not caused_by_recursion(exc):
            raise
        findings = None
    if findings is not None and not any(f.code == "TL000" and _TOO_DEEP in f.message for f in findings):
        return findings
    # libcst recurses once per nesting level (a 500-branch `elif` chain): once more on a deep stack.
    # (Supervised workers always run there; this is for in-process callers: stdin, editors.)
    from torchlint import supervisor

    if supervisor.in_deep_thread():
        if findings is None:
            return [internal_finding(path, "internal error: the file nests too deeply")]
        return findings
    return supervisor.run_deep(lint_source, path, source, rules, project)
