"""`torchlint server` end to end: a real subprocess over stdio, driven by pygls's LSP client.

No mocks of the server: each test starts `python -m torchlint server`, initializes it, opens and
edits documents, asks for code actions and hovers, applies the returned edits and shuts it down.
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap

import pytest

pytest.importorskip("pygls", reason="the language server needs pygls (pip install 'torchlint[server]')")
from lsprotocol import types as lsp  # noqa: E402
from pygls.lsp.client import LanguageClient  # noqa: E402

from torchlint import lsp_core  # noqa: E402
from torchlint.engine import lint_source  # noqa: E402
from torchlint.registry import select_rules  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BUGGY = textwrap.dedent(
    """\
    import torch


    def merge_heads(x):
        B, H, T, D = x.shape
        out = x.transpose(1, 2).view(B, T, H * D)  # a comment that must survive
        return out
    """
)

LOCAL_RANK = textwrap.dedent(
    """\
    import torch
    from torch.utils.data import DataLoader, DistributedSampler


    def train(dataset, model, epochs):
        sampler = DistributedSampler(dataset, shuffle=True)
        loader = DataLoader(dataset, sampler=sampler, shuffle=True)
        for epoch in range(epochs):
            for batch in loader:
                model(batch)
    """
)


class Session:
    """One server process and a client that records what it publishes."""

    def __init__(self, init_options=None) -> None:
        self.client = LanguageClient("torchlint-tests", "1")
        self.diagnostics: dict = {}
        self.logs: list = []
        self.init_options = init_options
        self._waiters: dict = {}

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _on_diagnostics(params: lsp.PublishDiagnosticsParams):
            self.diagnostics.setdefault(params.uri, []).append(list(params.diagnostics))
            for event in self._waiters.pop(params.uri, []):
                event.set()

        @self.client.feature(lsp.WINDOW_LOG_MESSAGE)
        def _on_log(params):
            self.logs.append(params.message)

        @self.client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def _on_show(params):
            self.logs.append(params.message)

    async def __aenter__(self):
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        await self.client.start_io(sys.executable, "-m", "torchlint", "server", env=env, cwd=ROOT)
        result = await asyncio.wait_for(
            self.client.initialize_async(
                lsp.InitializeParams(
                    capabilities=lsp.ClientCapabilities(
                        notebook_document=lsp.NotebookDocumentClientCapabilities(
                            synchronization=lsp.NotebookDocumentSyncClientCapabilities()
                        )
                    ),
                    initialization_options=self.init_options,
                )
            ),
            timeout=60,
        )
        self.capabilities = result.capabilities
        self.client.initialized(lsp.InitializedParams())
        return self

    async def __aexit__(self, *exc):
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), timeout=20)
            self.client.exit(None)
        finally:
            await asyncio.wait_for(self.client.stop(), timeout=20)

    def expect(self, uri: str) -> asyncio.Event:
        event = asyncio.Event()
        self._waiters.setdefault(uri, []).append(event)
        return event

    async def wait(self, event: asyncio.Event) -> None:
        await asyncio.wait_for(event.wait(), timeout=60)

    async def open(self, uri: str, text: str, version: int = 1):
        event = self.expect(uri)
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
            )
        )
        await self.wait(event)
        return self.diagnostics[uri][-1]

    async def replace(self, uri: str, text: str, version: int):
        event = self.expect(uri)
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        await self.wait(event)
        return self.diagnostics[uri][-1]

    async def actions(self, uri: str, rng: lsp.Range, diagnostics, only=None):
        return await asyncio.wait_for(
            self.client.text_document_code_action_async(
                lsp.CodeActionParams(
                    text_document=lsp.TextDocumentIdentifier(uri=uri),
                    range=rng,
                    context=lsp.CodeActionContext(diagnostics=diagnostics, only=only),
                )
            ),
            timeout=60,
        )


def _apply(text: str, edits) -> str:
    return lsp_core.apply_edits(
        text,
        [
            lsp_core.TextEdit(
                (e.range.start.line, e.range.start.character), (e.range.end.line, e.range.end.character), e.new_text
            )
            for e in edits
        ],
    )


def _uri(path) -> str:
    from pathlib import Path

    return Path(path).resolve().as_uri()


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=180))


def test_diagnostics_quick_fix_and_update(tmp_path):
    path = tmp_path / "model.py"
    path.write_text("# saved text differs from the buffer\n")
    uri = _uri(path)

    async def scenario():
        async with Session() as s:
            assert s.capabilities.code_action_provider is not None
            diagnostics = await s.open(uri, BUGGY)
            assert [d.code for d in diagnostics] == ["TL301"]
            d = diagnostics[0]
            assert d.source == "torchlint"
            assert d.severity == lsp.DiagnosticSeverity.Warning
            assert d.code_description is not None and "TL301" in d.code_description.href
            # The same span as the CLI reports (1-based there, 0-based here).
            (cli,) = [f for f in lint_source(str(path), BUGGY, select_rules(["TL301"]))]
            assert (d.range.start.line, d.range.start.character) == (cli.line - 1, cli.column - 1)
            assert (d.range.end.line, d.range.end.character) == (cli.end_line - 1, cli.end_column - 1)
            assert d.range.start.line == 5 and d.message == cli.message

            actions = await s.actions(uri, d.range, [d])
            titles = [a.title for a in actions]
            assert any(t.startswith("Fix: ") for t in titles), titles
            assert "Disable TL301 for this line" in titles
            fix = next(a for a in actions if a.title.startswith("Fix: "))
            assert fix.kind == lsp.CodeActionKind.QuickFix
            edits = fix.edit.changes[uri]
            # Minimal edits: never the whole document.
            assert all(e.range.start.line == e.range.end.line == 5 for e in edits)
            fixed = _apply(BUGGY, edits)
            assert ".reshape(B, T, H * D)" in fixed and "# a comment that must survive" in fixed

            noqa = next(a for a in actions if a.title == "Disable TL301 for this line")
            silenced = _apply(BUGGY, noqa.edit.changes[uri])
            assert silenced.splitlines()[5].endswith("# a comment that must survive  # noqa: TL301")

            # The fixed buffer has no findings; then a change brings one back.
            assert await s.replace(uri, fixed, 2) == []
            assert [d.code for d in await s.replace(uri, silenced, 3)] == []
            assert [d.code for d in await s.replace(uri, BUGGY, 4)] == ["TL301"]

    run(scenario())


def test_fix_all_hover_explain_and_settings(tmp_path):
    path = tmp_path / "train.py"
    uri = _uri(path)

    async def scenario():
        async with Session(init_options={"select": ["TL201", "TL202"], "severity": "error"}) as s:
            diagnostics = await s.open(uri, LOCAL_RANK)
            codes = sorted(d.code for d in diagnostics)
            assert codes == ["TL201", "TL202"]
            assert all(d.severity == lsp.DiagnosticSeverity.Error for d in diagnostics)

            whole = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=20, character=0))
            actions = await s.actions(uri, whole, diagnostics, only=[lsp.CodeActionKind.SourceFixAll])
            fix_all = [a for a in actions if a.title == "Fix all safe torchlint issues"]
            assert len(fix_all) == 1 and fix_all[0].kind == "source.fixAll.torchlint"
            fixed = _apply(LOCAL_RANK, fix_all[0].edit.changes[uri])
            assert "set_epoch(epoch)" in fixed
            assert "shuffle=True)" in fixed.splitlines()[5]  # the sampler keeps its shuffle
            assert await s.replace(uri, fixed, 2) == []

            await s.replace(uri, LOCAL_RANK, 3)
            d = next(d for d in s.diagnostics[uri][-1] if d.code == "TL201")
            hover = await asyncio.wait_for(
                s.client.text_document_hover_async(
                    lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=d.range.start)
                ),
                timeout=30,
            )
            assert hover is not None and hover.contents.kind == lsp.MarkupKind.Markdown
            assert "TL201" in hover.contents.value and "### Why it matters" in hover.contents.value

            page = await asyncio.wait_for(
                s.client.workspace_execute_command_async(
                    lsp.ExecuteCommandParams(command="torchlint.explain", arguments=["TL301"])
                ),
                timeout=30,
            )
            assert "view-after-permute" in page

            # Settings change: ignore TL201 from now on.
            event = s.expect(uri)
            s.client.workspace_did_change_configuration(
                lsp.DidChangeConfigurationParams(settings={"torchlint": {"ignore": ["TL201"]}})
            )
            await s.wait(event)
            assert [d.code for d in s.diagnostics[uri][-1]] == ["TL202"]

    run(scenario())


def test_unparsable_buffer_and_project_config(tmp_path):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "pyproject.toml").write_text('[tool.torchlint]\nignore = ["TL301"]\n')
    uri = _uri(tmp_path / "proj" / "pkg" / "mod.py")
    other = _uri(tmp_path / "other" / "broken.py")  # outside that project: TL301 is on

    async def scenario():
        async with Session() as s:
            # The project's [tool.torchlint] is found from the document's path.
            assert await s.open(uri, BUGGY) == []
            broken = await s.open(other, "import torch\nB, H, T, D = x.shape\nx.transpose(1, 2).view(\n")
            assert [d.code for d in broken] == ["TL000"]
            assert broken[0].severity == lsp.DiagnosticSeverity.Error and "never closed" in broken[0].message
            # The server survived and still serves.
            still = await s.replace(other, "import torch\n", 2)
            assert still == []

    run(scenario())


def test_cross_file_finding_has_related_location(tmp_path):
    import shutil

    project = tmp_path / "proj"
    shutil.copytree(os.path.join(ROOT, "tests", "projects", "sampler_elsewhere"), project)
    train = project / "train.py"
    uri = _uri(train)

    async def scenario():
        async with Session() as s:
            diagnostics = await s.open(uri, train.read_text())
            assert [d.code for d in diagnostics] == ["TL201"]
            (related,) = diagnostics[0].related_information
            assert related.location.uri == _uri(project / "data.py")
            assert related.location.range.start.line == 5  # data.py:6, 0-based
            assert "built" in related.message

    run(scenario())


def test_notebook_cells(tmp_path):
    nb_uri = _uri(tmp_path / "explore.ipynb")
    cells = [
        ("import torch\n%matplotlib inline\n", lsp.NotebookCellKind.Code),
        ("Some **markdown** text\n", lsp.NotebookCellKind.Markup),
        (
            "def f(x):\n    B, H, T, D = x.shape\n    return x.transpose(1, 2).view(B, T, H * D)\n",
            lsp.NotebookCellKind.Code,
        ),
    ]

    async def scenario():
        async with Session() as s:
            cell_uris = [f"{nb_uri}#cell{i}" for i in range(len(cells))]
            event = s.expect(cell_uris[2])
            s.client.notebook_document_did_open(
                lsp.DidOpenNotebookDocumentParams(
                    notebook_document=lsp.NotebookDocument(
                        uri=nb_uri,
                        notebook_type="jupyter-notebook",
                        version=1,
                        cells=[lsp.NotebookCell(kind=k, document=u) for (_, k), u in zip(cells, cell_uris)],
                    ),
                    cell_text_documents=[
                        lsp.TextDocumentItem(
                            uri=u, language_id="python" if k == lsp.NotebookCellKind.Code else "markdown",
                            version=1, text=t,
                        )
                        for (t, k), u in zip(cells, cell_uris)
                    ],
                )
            )
            await s.wait(event)
            diagnostics = s.diagnostics[cell_uris[2]][-1]
            assert [d.code for d in diagnostics] == ["TL301"]
            assert diagnostics[0].range.start.line == 2  # line 3 of the third cell
            assert s.diagnostics.get(cell_uris[0], [[]])[-1] == []

            actions = await s.actions(cell_uris[2], diagnostics[0].range, diagnostics)
            fix = next(a for a in actions if a.title.startswith("Fix: "))
            assert list(fix.edit.changes) == [cell_uris[2]]
            fixed = _apply(cells[2][0], fix.edit.changes[cell_uris[2]])
            assert "reshape(B, T, H * D)" in fixed

    run(scenario())


def test_minimal_edits_round_trip():
    old = "a = 1\nb = x.view(1)\nc = 3\r\nd = '😀'.view\n"
    new = "a = 1\nb = x.reshape(1)\nc = 3\r\nd = '😀'.reshape\n"
    edits = lsp_core.minimal_edits(old, new)
    assert len(edits) == 2
    assert all(e.start[0] == e.end[0] for e in edits)
    assert lsp_core.apply_edits(old, edits) == new
    # UTF-16 columns: the emoji counts twice.
    last = edits[-1]
    assert last.start == (3, len("d = '") + 2 + len("'."))
