"""Linting one source text: parse once, run every rule over the one tree, position findings.

This is the shared core of the CLI and the flake8 plugin.
"""

from __future__ import annotations

import ast
import gc
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Sequence, Tuple

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from torchlint import noqa
from torchlint.context import FileContext
from torchlint.findings import Finding, FixInfo, internal_finding
from torchlint.nesting import MAX_BRACKET_DEPTH, MAX_CHAIN, ParseFailure, too_deep  # noqa: F401 (re-exported)
from torchlint.rule import Rule, Violation


def parse(source: str) -> cst.Module:
    failure = too_deep(source)
    if failure is not None:
        raise failure
    try:
        return _parse_unvalidated(source)
    except cst.ParserSyntaxError as exc:
        raise _describe_syntax_error(source, exc) from None
    except RecursionError:
        raise ParseFailure("the file nests too deeply to parse") from None
    except Exception as exc:  # libcst's native parser raises a few other types
        raise ParseFailure(f"cannot parse: {exc}") from None


def _parse_unvalidated(source: str) -> cst.Module:
    """`libcst.parse_module` without the per-node `_validate()` every node constructor runs (a third of
    the parse on real code).  Validation catches mistakes in nodes that code builds by hand; the parser's
    own nodes are valid by construction (libcst's `CSTNode.__post_init__` says as much), and fixers'
    nodes, built outside this window, are still validated.  The parse runs on one thread at a time
    (the runner's worker, the supervisor's deep-stack thread), so the window is never shared."""
    if _VALIDATE is None:  # a libcst without the hook: nothing to skip
        return cst.parse_module(source)
    cst.CSTNode.__post_init__ = _no_validation  # type: ignore[method-assign]
    try:
        return cst.parse_module(source)
    finally:
        cst.CSTNode.__post_init__ = _VALIDATE  # type: ignore[method-assign]  # libcst's own, whatever happened


_VALIDATE = cst.CSTNode.__dict__.get("__post_init__")  # libcst's hook, read once at import


def _no_validation(self) -> None:
    return None


# The cyclic garbage collector's first-generation threshold while a run lints (Python's default: 700
# allocations).  Parsing allocates millions of nodes that are freed by reference counting (Python's
# and libcst's trees hold no cycles), yet every 700 allocations a collection walks all young
# objects: on timm, Python's own parse ran twice as slow inside torchlint as alone, and the whole
# run spent about a quarter of its CPU there.  Older generations keep their defaults.
GC_THRESHOLD = 100_000


@contextmanager
def fewer_collections():
    """Collect cyclic garbage less often while linting (GC_THRESHOLD), with what is alive before the
    run (modules, tables) frozen out of the collector's walks; both restored afterwards.  Around a
    whole run (runner.run: forked workers inherit it), the flake8 worker's files, the server's lints."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


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
    source: Optional[str] = None  # the text parsed (positions are found in it)
    context: Optional[FileContext] = None  # the index of `module` (positions walk its parents)


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

        offered = project is not None and getattr(project, "enabled", False)
        if tree is None:
            tree = project.kept_tree(path, source) if offered else None  # the project read this text's names
            if tree is None:
                tree = python_tree(source)  # parsed once: the screens and the module summary read it
        if offered:
            project.offer_tree(path, source, tree)  # its names table, for lookups from other files
        # path and project: the screens of cross-file checks ask the project the rules will see
        candidates = screen_rules(source, candidates, tree=tree, path=path, project=project)
    if not candidates:
        return Analysis(module=None)
    try:
        module = parse(source)
    except ParseFailure as exc:
        return Analysis(module=None, errors=[internal_finding(path, str(exc), exc.line, exc.column)])
    ctx = FileContext(path, source, module)
    ctx.python_tree = tree  # Python's `ast` of the same text, when screening parsed it (else None)
    result = Analysis(module=module, selected=tuple(r.code for r in rules), source=source, context=ctx)
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
    """Node -> position (libcst's PositionProvider ranges), computed statement by statement on demand
    (`StatementPositions`); `positions[node]` as with libcst's own mapping."""
    if analysis.positions is None:
        analysis.positions = StatementPositions(analysis.module, analysis.source, analysis.context)
    return analysis.positions


def module_positions(module: cst.Module):
    """Every node's position: one position-tracking code generation of the whole module (today's
    reference path, and the fallback of `StatementPositions`)."""
    return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)


_BODY_STATEMENTS = (cst.SimpleStatementLine, cst.BaseCompoundStatement)


class StatementPositions:
    """libcst's positions of the nodes asked for, without generating the whole module's code.

    A node is positioned by generating the code of the innermost statement around it that sits in a
    body (a module's or an indented block's: its code starts a line), with the state the module's code
    generation has there (the same indentation tokens, newline and indent defaults), and finding that
    text in the source.  libcst's code of a module is its source, so when the statement's text occurs
    exactly once in the source, there is where the statement's code is, and counting lines up to it
    gives the line the module's pass would have reached: the ranges are libcst's own, exactly.  Text
    that occurs more than once tries the next statement out; when none is unique (or the file is
    unusual: lone carriage returns, no final newline, one node object at two places, no index), the
    whole module's positions are computed once, as before (`module_positions`).
    """

    def __init__(self, module: cst.Module, source: Optional[str], context: Optional[FileContext]) -> None:
        self.module = module
        self.source = source
        self.context = context
        self._computed: dict = {}
        self._full = None
        self.usable = (
            source is not None and context is not None and not context._shares_nodes
            and module.has_trailing_newline and source.count("\r") == source.count("\r\n")
        )  # fmt: skip
        self.statements_generated = 0  # how many statements' code it generated (tests, benchmarks)

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        where = self._computed.get(node)
        if where is not None:
            return where
        if self._full is None and self.usable and self._position_statement_of(node):
            where = self._computed.get(node)
            if where is not None:
                return where
        return self.full()[node]

    def __contains__(self, node: object) -> bool:
        try:
            self[node]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def get(self, node: cst.CSTNode, default=None):
        try:
            return self[node]
        except KeyError:
            return default

    @property
    def full_used(self) -> bool:
        """Did some node need the whole module's pass?"""
        return self._full is not None

    def full(self):
        """Every node's position, the whole module's pass (computed at most once)."""
        if self._full is None:
            self._full = module_positions(self.module)
        return self._full

    def _position_statement_of(self, node: cst.CSTNode) -> bool:
        ctx = self.context
        statement = node
        while True:
            parent = ctx.parent(statement)
            if parent is None:
                return False  # the module itself, or a node the index does not know
            if isinstance(statement, _BODY_STATEMENTS) and isinstance(parent, (cst.Module, cst.IndentedBlock)):
                if self._position_statement(statement):
                    return True
            statement = parent

    def _position_statement(self, statement: cst.CSTNode) -> bool:
        module, ctx, source = self.module, self.context, self.source
        indents = [
            module.default_indent if block.indent is None else block.indent
            for block in ctx.ancestors(statement) if isinstance(block, cst.IndentedBlock)
        ]  # fmt: skip
        indents.reverse()
        provider = PositionProvider()
        state = PositionProvidingCodegenState(
            default_indent=module.default_indent, default_newline=module.default_newline, provider=provider,
            indent_tokens=indents,
        )  # fmt: skip
        statement._codegen(state)
        self.statements_generated += 1
        text = "".join(state.tokens)
        offset = source.find(text)
        if offset < 0 or source.find(text, offset + 1) >= 0:
            return False  # not found (the parsers disagree?) or not unique: look further out
        if offset and source[offset - 1] != "\n":
            return False  # statement code starts a line
        line = source.count("\n", 0, offset)  # lines before the statement (CRLF or LF only: see usable)
        for each, where in provider._computed.items():
            self._computed[each] = CodeRange(
                CodePosition(where.start.line + line, where.start.column),
                CodePosition(where.end.line + line, where.end.column),
            )
        return True


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
