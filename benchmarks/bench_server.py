"""Latency of `torchlint server`: from a saved/changed buffer to its published diagnostics.

    python benchmarks/bench_server.py                 # 2,000-line files, 20 rounds each
    python benchmarks/bench_server.py --lines 5000 --rounds 50

Starts the real server over stdio and drives it with pygls's client.  Two 2,000-line buffers: one
that no rule's text pre-check admits (plain Python), one full of torch code that every rule must
analyse.  Each round sends `didSave` (no debounce) and times until the diagnostics arrive; `didChange`
rounds add the server's debounce (torchlint.server.DEBOUNCE_SECONDS).  Also prints the per-file CLI
time of the same text (`engine.lint_source` in-process) for comparison.  Numbers only: nothing asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PLAIN_BLOCK = '''
def helper_{i}(values, scale=2):
    """Plain Python: nothing here for any rule to look at."""
    total = 0
    for index, value in enumerate(values):
        if index % scale == 0:
            total += value * scale
    return total
'''

TORCH_BLOCK = '''
class Block{i}(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Linear(dim, dim)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        B, H, T, D = x.shape
        y = x.transpose(1, 2).reshape(B, T, H * D)
        return self.drop(self.proj(y))
'''


def make(block: str, lines: int, header: str) -> str:
    parts = [header]
    i = 0
    while sum(p.count("\n") for p in parts) < lines:
        parts.append(block.format(i=i))
        i += 1
    return "".join(parts)


async def measure(text: str, rounds: int) -> dict:
    from lsprotocol import types as lsp
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("bench", "1")
    arrived: asyncio.Queue = asyncio.Queue()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def _on(params):
        arrived.put_nowait(time.perf_counter())

    await client.start_io(sys.executable, "-m", "torchlint", "server", cwd=ROOT)
    await client.initialize_async(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    client.initialized(lsp.InitializedParams())
    with tempfile.TemporaryDirectory() as tmp:
        uri = Path(tmp, "bench.py").as_uri()
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            )
        )
        await arrived.get()  # first lint: imports and rule discovery, not counted
        saves, changes = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            client.text_document_did_save(
                lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
            )
            saves.append(await arrived.get() - start)
        for version in range(rounds + 2, 2 * rounds + 2):
            start = time.perf_counter()
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    lsp.VersionedTextDocumentIdentifier(version=version, uri=uri),
                    [lsp.TextDocumentContentChangeWholeDocument(text=text + f"# edit {version}\n")],
                )
            )
            changes.append(await arrived.get() - start)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return {"save": saves, "change": changes}


def cli_time(text: str, rounds: int) -> float:
    from torchlint.engine import lint_source
    from torchlint.registry import select_rules

    rules = select_rules(None)
    lint_source("bench.py", text, rules)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        lint_source("bench.py", text, rules)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    from torchlint.server import DEBOUNCE_SECONDS

    cases = {
        "no pre-check matches": make(PLAIN_BLOCK, args.lines, "import os\n"),
        "torch model code": make(TORCH_BLOCK, args.lines, "import torch\nimport torch.nn as nn\n"),
    }
    print(f"{args.lines}-line buffers, {args.rounds} rounds each, debounce {DEBOUNCE_SECONDS * 1000:.0f} ms")
    print("| buffer | didSave -> diagnostics (median / max ms) | didChange -> diagnostics (median ms) | "
          "in-process lint (median ms) |")
    print("|---|---:|---:|---:|")
    for name, text in cases.items():
        result = asyncio.run(measure(text, args.rounds))
        save = [t * 1000 for t in result["save"]]
        change = [t * 1000 for t in result["change"]]
        print(f"| {name} | {statistics.median(save):.1f} / {max(save):.1f} | {statistics.median(change):.1f} | "
              f"{cli_time(text, args.rounds) * 1000:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
