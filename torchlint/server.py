"""`torchlint server`: a language server over stdio (pygls), for any editor with an LSP client.

Diagnostics on open, change (debounced), save and for notebook documents; quick fixes, "fix all",
"disable for this line"; hover and `torchlint.explain` show the rule's page.  The logic lives in
torchlint/lsp_core.py; this module only speaks the protocol.  Install with `pip install
"torchlint[server]"` (pygls and lsprotocol); the core install stays libcst-only.
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
from typing import Dict, List, Optional, Sequence, Tuple
from urllib.parse import unquote, urlparse

from torchlint import __version__, lsp_core
from torchlint.findings import Finding

DEBOUNCE_SECONDS = 0.15
FIX_ALL_KIND = "source.fixAll.torchlint"
EXPLAIN_COMMAND = "torchlint.explain"


def _require_pygls():
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError:
        print(
            "torchlint: error: the language server needs pygls and lsprotocol: "
            'pip install "torchlint[server]"',
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def uri_to_path(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        path = unquote(parsed.path)
        if os.name == "nt" and path.startswith("/") and len(path) > 2 and path[2] == ":":
            path = path[1:]
        return path
    return unquote(parsed.path) or uri  # untitled: buffers have no path; config from the cwd


def build_server():
    """The pygls server with every feature registered (not started)."""
    _require_pygls()
    from lsprotocol import types as lsp
    from pygls.lsp.server import LanguageServer

    server = LanguageServer(
        "torchlint",
        __version__,
        text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
        notebook_document_sync=lsp.NotebookDocumentSyncOptions(
            notebook_selector=[
                lsp.NotebookDocumentFilterWithCells(
                    notebook="jupyter-notebook",
                    cells=[lsp.NotebookCellLanguage(language="python")],
                )
            ],
            save=True,
        ),
    )
    state = _State()

    # -- lifecycle / settings ---------------------------------------------------------------
    @server.feature(lsp.INITIALIZE)
    def initialize(ls, params: lsp.InitializeParams):
        state.settings = lsp_core.Settings.from_options(params.initialization_options)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls, params):
        encoding = getattr(ls.workspace, "position_encoding", None)
        value = getattr(encoding, "value", encoding)
        lsp_core.ENCODING["value"] = value if value in ("utf-8", "utf-16", "utf-32") else "utf-16"

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls, params: lsp.DidChangeConfigurationParams):
        state.settings = lsp_core.Settings.from_options(params.settings, state.settings)
        for uri in list(state.open_documents):
            _schedule(ls, uri, delay=0)
        for uri in list(state.open_notebooks):
            _schedule_notebook(ls, uri, delay=0)

    # -- text documents -------------------------------------------------------------------
    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls, params: lsp.DidOpenTextDocumentParams):
        if _in_notebook(ls, params.text_document.uri):
            return
        state.open_documents.add(params.text_document.uri)
        _publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls, params: lsp.DidChangeTextDocumentParams):
        notebook = ls.workspace.get_notebook_document(cell_uri=params.text_document.uri)
        if notebook is not None:
            _schedule_notebook(ls, notebook.uri)
        else:
            _schedule(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls, params: lsp.DidSaveTextDocumentParams):
        if not _in_notebook(ls, params.text_document.uri):
            _publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls, params: lsp.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        state.open_documents.discard(uri)
        state.results.pop(uri, None)
        _cancel(uri)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    # -- notebooks -------------------------------------------------------------------------
    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_did_open(ls, params: lsp.DidOpenNotebookDocumentParams):
        state.open_notebooks.add(params.notebook_document.uri)
        _publish_notebook(ls, params.notebook_document.uri)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_did_change(ls, params: lsp.DidChangeNotebookDocumentParams):
        _schedule_notebook(ls, params.notebook_document.uri)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_did_save(ls, params: lsp.DidSaveNotebookDocumentParams):
        _publish_notebook(ls, params.notebook_document.uri)

    @server.feature(lsp.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_did_close(ls, params: lsp.DidCloseNotebookDocumentParams):
        uri = params.notebook_document.uri
        state.open_notebooks.discard(uri)
        for cell in params.cell_text_documents:
            state.results.pop(cell.uri, None)
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=cell.uri, diagnostics=[]))
        _cancel(uri)

    # -- code actions, hover, commands ---------------------------------------------------------
    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll, FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    def code_action(ls, params: lsp.CodeActionParams):
        try:
            return _code_actions(ls, params)
        except Exception:  # one failed request must not take the server down
            _log_error(ls, "code actions")
            return []

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls, params: lsp.HoverParams):
        try:
            result = state.results.get(params.text_document.uri)
            if result is None:
                return None
            line, character = params.position.line, params.position.character
            for finding, (start, end) in result.ranges:
                if finding.code == "TL000":
                    continue
                if start <= (line, character) <= end:
                    rule = lsp_core.rules_by_code().get(finding.code)
                    if rule is None:
                        return None
                    return lsp.Hover(
                        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=lsp_core.rule_markdown(rule)),
                        range=_range(start, end),
                    )
            return None
        except Exception:
            _log_error(ls, "hover")
            return None

    @server.command(EXPLAIN_COMMAND)
    def explain(ls, *args):
        code = _first_string(args)
        rule = lsp_core.rules_by_code().get((code or "").upper())
        if rule is None:
            return None
        return lsp_core.rule_markdown(rule)

    # -- the work ----------------------------------------------------------------------------
    def _code_actions(ls, params) -> List:
        uri = params.text_document.uri
        result = state.results.get(uri)
        if result is None:
            return []
        wanted_kinds = params.context.only
        actions: List = []
        lo = (params.range.start.line, params.range.start.character)
        hi = (params.range.end.line, params.range.end.character)
        if _wants(wanted_kinds, lsp.CodeActionKind.QuickFix):
            for finding, (start, end) in result.ranges:
                if finding.code == "TL000" or end < lo or start > hi:
                    continue
                diagnostic = result.diagnostics.get(_key(finding))
                if finding.fix is not None and (finding.fix.applicability == "safe" or result.unsafe):
                    new_text = _fixed_for(result, finding)
                    if new_text is not None:
                        marker = "" if finding.fix.applicability == "safe" else " (unsafe)"
                        actions.append(
                            lsp.CodeAction(
                                title=f"Fix{marker}: {finding.fix.description}",
                                kind=lsp.CodeActionKind.QuickFix,
                                diagnostics=[diagnostic] if diagnostic else None,
                                is_preferred=finding.fix.applicability == "safe",
                                edit=_workspace_edit(result, new_text),
                            )
                        )
                edit = lsp_core.noqa_edit(result.text, finding.line, finding.code) if not result.is_cell else None
                if edit is None and result.is_cell:
                    edit = _cell_noqa_edit(result, finding)
                if edit is not None:
                    actions.append(
                        lsp.CodeAction(
                            title=f"Disable {finding.code} for this line",
                            kind=lsp.CodeActionKind.QuickFix,
                            diagnostics=[diagnostic] if diagnostic else None,
                            edit=lsp.WorkspaceEdit(changes={uri: [_text_edit(edit)]}),
                        )
                    )
        if any(f.fix is not None and f.fix.applicability == "safe" for f, _ in result.ranges) and (
            _wants(wanted_kinds, lsp.CodeActionKind.SourceFixAll) or _wants(wanted_kinds, FIX_ALL_KIND)
        ):
            fixed = _fix_all_for(result)
            if fixed is not None:
                actions.append(
                    lsp.CodeAction(
                        title="Fix all safe torchlint issues",
                        kind=FIX_ALL_KIND,
                        edit=_workspace_edit(result, fixed),
                    )
                )
        return actions

    def _fixed_for(result: _Result, finding: Finding) -> Optional[str]:
        return lsp_core.fix_one(result.path, result.lint_text, result.rules, result.lint_finding(finding))

    def _fix_all_for(result: _Result) -> Optional[str]:
        fixed = lsp_core.fix_all(result.path, result.lint_text, result.rules, unsafe=False)
        return fixed if fixed != result.lint_text else None

    def _workspace_edit(result: _Result, new_lint_text: str):
        """Minimal edits of the buffer (or of the notebook's cells) from the fixed text."""
        if not result.is_cell:
            edits = lsp_core.minimal_edits(result.text, new_lint_text)
            return lsp.WorkspaceEdit(changes={result.uri: [_text_edit(e) for e in edits]})
        changes: Dict[str, list] = {}
        for cell_uri, old, new in result.cell_changes(new_lint_text):
            edits = lsp_core.minimal_edits(old, new)
            if edits:
                changes[cell_uri] = [_text_edit(e) for e in edits]
        return lsp.WorkspaceEdit(changes=changes)

    def _cell_noqa_edit(result: _Result, finding: Finding):
        line = result.cell_line(finding)
        if line is None:
            return None
        return lsp_core.noqa_edit(result.text, line, finding.code)

    def _publish(ls, uri: str) -> None:
        try:
            document = ls.workspace.get_text_document(uri)
            text = document.source
            path = uri_to_path(uri)
            setup = lsp_core.setup_for(path, state.settings)
            if setup.error and setup.error != state.reported_config_error:
                state.reported_config_error = setup.error
                ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=setup.error))
            findings = lsp_core.lint_text(path, text, setup.rules)
            result = _Result(uri, path, text, setup, findings)
            state.results[uri] = result
            diagnostics = [_diagnostic(result, f, r) for f, r in result.ranges]
            result.diagnostics = {_key(f): d for (f, _), d in zip(result.ranges, diagnostics)}
            ls.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=document.version)
            )
        except Exception:
            _log_error(ls, f"linting {uri}")

    def _publish_notebook(ls, notebook_uri: str) -> None:
        try:
            notebook = ls.workspace.get_notebook_document(notebook_uri=notebook_uri)
            if notebook is None:
                return
            cells: List[Tuple[str, str, int]] = []
            for number, cell in enumerate(notebook.cells, start=1):
                if cell.kind != lsp.NotebookCellKind.Code:
                    continue
                document = ls.workspace.get_text_document(cell.document)
                if getattr(document, "language_id", "python") not in (None, "python"):
                    continue
                cells.append((cell.document, document.source, number))
            path = uri_to_path(notebook_uri)
            setup = lsp_core.setup_for(path, state.settings)
            joined, cell_map = _join_cells([source for _, source, _ in cells], [n for _, _, n in cells])
            findings = lsp_core.lint_text(path, joined, setup.rules)
            per_cell: Dict[str, List] = {}
            for index, (cell_uri, source, number) in enumerate(cells):
                shift = cell_map.starts[index] - 1
                cell_findings = [
                    _shift(f, shift) for f in findings if cell_map.locate(f.line)[0] == number
                ]
                result = _Result(cell_uri, path, source, setup, cell_findings)
                result.notebook = _CellContext(joined, cell_map, cells, index, shift)
                state.results[cell_uri] = result
                diagnostics = [_diagnostic(result, f, r) for f, r in result.ranges]
                result.diagnostics = {_key(f): d for (f, _), d in zip(result.ranges, diagnostics)}
                per_cell[cell_uri] = diagnostics
            for cell_uri, diagnostics in per_cell.items():
                ls.text_document_publish_diagnostics(
                    lsp.PublishDiagnosticsParams(uri=cell_uri, diagnostics=diagnostics)
                )
        except Exception:
            _log_error(ls, f"linting notebook {notebook_uri}")

    def _diagnostic(result: _Result, finding: Finding, where):
        start, end = where
        severity = {
            "error": lsp.DiagnosticSeverity.Error,
            "warning": lsp.DiagnosticSeverity.Warning,
            "information": lsp.DiagnosticSeverity.Information,
            "hint": lsp.DiagnosticSeverity.Hint,
        }[state.settings.severity]
        if finding.code == "TL000":
            severity = lsp.DiagnosticSeverity.Error
        related = None
        locations = getattr(finding, "related", None) or ()
        if locations:
            related = []
            for location in locations:
                try:
                    r_path, r_line, r_message = location.path, location.line, location.message
                except AttributeError:
                    continue
                related.append(
                    lsp.DiagnosticRelatedInformation(
                        location=lsp.Location(
                            uri=_path_to_uri(r_path),
                            range=_range((max(r_line - 1, 0), 0), (max(r_line - 1, 0), 0)),
                        ),
                        message=r_message,
                    )
                )
        return lsp.Diagnostic(
            range=_range(start, end),
            message=finding.message,
            severity=severity,
            code=finding.code,
            code_description=lsp.CodeDescription(href=lsp_core.rule_url(finding.code))
            if finding.code != "TL000"
            else None,
            source="torchlint",
            related_information=related or None,
            data={"fix": finding.fix.applicability if finding.fix else None},
        )

    def _schedule(ls, uri: str, delay: float = DEBOUNCE_SECONDS) -> None:
        _cancel(uri)
        loop = asyncio.get_event_loop()
        state.pending[uri] = loop.call_later(delay, _publish, ls, uri)

    def _schedule_notebook(ls, uri: str, delay: float = DEBOUNCE_SECONDS) -> None:
        _cancel(uri)
        loop = asyncio.get_event_loop()
        state.pending[uri] = loop.call_later(delay, _publish_notebook, ls, uri)

    def _cancel(uri: str) -> None:
        handle = state.pending.pop(uri, None)
        if handle is not None:
            handle.cancel()

    def _in_notebook(ls, uri: str) -> bool:
        return ls.workspace.get_notebook_document(cell_uri=uri) is not None

    def _range(start, end):
        return lsp.Range(
            start=lsp.Position(line=start[0], character=start[1]),
            end=lsp.Position(line=end[0], character=end[1]),
        )

    def _text_edit(edit: lsp_core.TextEdit):
        return lsp.TextEdit(range=_range(edit.start, edit.end), new_text=edit.new_text)

    def _log_error(ls, what: str) -> None:
        try:
            ls.window_log_message(
                lsp.LogMessageParams(
                    type=lsp.MessageType.Error,
                    message=f"torchlint: internal error while {what}:\n{traceback.format_exc(limit=20)}",
                )
            )
        except Exception:  # the log itself must not fail the request
            pass

    return server


class _State:
    def __init__(self) -> None:
        self.settings = lsp_core.Settings()
        self.open_documents: set = set()
        self.open_notebooks: set = set()
        self.results: Dict[str, _Result] = {}
        self.pending: Dict[str, asyncio.TimerHandle] = {}
        self.reported_config_error: Optional[str] = None


def _key(finding: Finding):
    return (finding.code, finding.line, finding.column, finding.message)


class _Result:
    """One published lint of a buffer or of one notebook cell."""

    def __init__(self, uri: str, path: str, text: str, setup, findings: Sequence[Finding]) -> None:
        self.uri = uri
        self.path = path
        self.text = text
        self.rules = setup.rules
        self.unsafe = setup.unsafe_fixes
        self.findings = list(findings)
        lines = lsp_core.split_lines(text)
        self.ranges = [(f, lsp_core.finding_range(lines, f)) for f in self.findings]
        self.diagnostics: Dict = {}
        self.notebook: Optional[_CellContext] = None  # set for a notebook cell

    @property
    def is_cell(self) -> bool:
        return self.notebook is not None

    @property
    def lint_text(self) -> str:
        return self.notebook.joined if self.notebook else self.text

    def lint_finding(self, finding: Finding) -> Finding:
        """The finding in the coordinates of the linted text (the joined notebook for a cell)."""
        if not self.notebook:
            return finding
        from dataclasses import replace

        shift = self.notebook.shift
        return replace(finding, line=finding.line + shift, end_line=finding.end_line + shift)

    def cell_line(self, finding: Finding) -> Optional[int]:
        return finding.line

    def cell_changes(self, new_joined: str):
        """(cell uri, old source, new source) for each changed cell, from a fixed joined text."""
        from torchlint.notebook import NotebookError, split_cells

        try:
            new_sources = split_cells(new_joined, self.notebook.cell_map)
        except NotebookError:
            return []
        return [(uri, old, new) for (uri, old, _), new in zip(self.notebook.cells, new_sources) if old != new]


class _CellContext:
    """Where a notebook cell's result sits in its notebook's joined text (torchlint/notebook.py)."""

    def __init__(self, joined: str, cell_map, cells, index: int, shift: int) -> None:
        self.joined = joined
        self.cell_map = cell_map
        self.cells = cells  # [(cell uri, source, cell number)] of the notebook's code cells
        self.index = index
        self.shift = shift  # joined line = cell line + shift


def _join_cells(sources: Sequence[str], numbers: Sequence[int]):
    """The CLI's notebook support: one text of the code cells (magics masked) and the map back."""
    from torchlint.notebook import join_cells

    return join_cells(sources, numbers)


def _shift(finding: Finding, offset: int) -> Finding:
    from dataclasses import replace

    return replace(finding, line=max(finding.line - offset, 1), end_line=max(finding.end_line - offset, 1))


def _path_to_uri(path: str) -> str:
    from pathlib import Path

    try:
        return Path(os.path.abspath(path)).as_uri()
    except ValueError:
        return path


def _wants(only, kind: str) -> bool:
    if not only:
        return True
    return any(kind == k or kind.startswith(k + ".") for k in only)


def _first_string(args) -> Optional[str]:
    for arg in args:
        if isinstance(arg, str):
            return arg
        if isinstance(arg, (list, tuple)):
            found = _first_string(arg)
            if found:
                return found
        if isinstance(arg, dict) and isinstance(arg.get("code"), str):
            return arg["code"]
    return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="torchlint server", description="Language server over stdio.")
    parser.parse_args(list(argv or []))
    server = build_server()
    server.start_io()
    return 0
