"""Jupyter notebooks: code cells joined into one Python text with a map back to cells, and back again.

The lint path sees one module per notebook: every code cell, in order, each preceded by a marker comment
line (`# torchlint-cell N`), with IPython syntax masked line for line (`%magic`, `%%cell magic`, `!shell`,
`obj?`, `x = !cmd`) so it neither crashes the parser nor hides the code around it.  Masking keeps every line
and column, so a finding's position maps back to `cell N, line L, column C` by line arithmetic alone; after
`--fix`, the fixed text is split at the markers and the masked lines are put back.

The API is text in, text out, so an editor integration can use it on the cells it holds:

    text, cells = join_cells(["import torch\\n", "%time x = f()\\n"], numbers=[1, 2])
    cells.locate(joined_line)          -> (cell number, line within the cell)
    split_cells(fixed_text, cells)     -> the new source of each cell (masked lines restored)

`Notebook` adds the `.ipynb` file format: `Notebook.parse(raw)`, `.code_sources()`, `.dumps(new_sources)`
(everything but the sources kept: outputs, metadata, ids, indentation, key order, trailing newline).
"""

from __future__ import annotations

import ast
import difflib
import json
import re
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

from torchlint.findings import Finding

MARKER = "# torchlint-cell {}"
_MARKER_RE = re.compile(r"^# torchlint-cell (\d+)$")

# Cell magics whose body is Python (the first line is masked, the body linted); any other `%%` masks the cell.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "pypy", "python", "python3"})
_MAGIC_LINE = re.compile(r"^\s*(?:[%!]|\?)")
_HELP_LINE = re.compile(r"^\s*[\w.\[\]()'\"]+\?{1,2}\s*$")
_ASSIGN_MAGIC = re.compile(r"^\s*[\w.,\s\[\]]+=\s*[%!]")


class NotebookError(Exception):
    """The notebook cannot be read (bad JSON, not nbformat 4) or written back (cell boundaries changed)."""


@dataclass
class CellMap:
    """Where each cell lies in the joined text."""

    numbers: List[int]  # cell number (1-based, counting every cell of the notebook) of each joined cell
    starts: List[int]  # joined line (1-based) of each cell's first line (its marker is the line before)
    lengths: List[int]  # lines in each cell
    masked: List[Dict[int, str]] = field(default_factory=list)  # per cell: line index (0-based) -> original
    trailing_newline: List[bool] = field(default_factory=list)  # did the cell's source end with "\n"
    texts: List[List[str]] = field(default_factory=list)  # per cell: its lines as joined (magics masked)
    # cells that are not Python even with magics masked (a shell command typed into a code cell): masked
    # whole so that the other cells are still checked; (cell number, line, column, message)
    invalid: List[Tuple[int, int, int, str]] = field(default_factory=list)

    def locate(self, line: int) -> Tuple[Optional[int], int]:
        """Joined line (1-based) -> (cell number, line within the cell); (None, 1) before the first cell."""
        for index in range(len(self.starts) - 1, -1, -1):
            if line >= self.starts[index]:
                within = line - self.starts[index] + 1
                return self.numbers[index], max(1, min(within, max(self.lengths[index], 1)))
            if line == self.starts[index] - 1 and index > 0:  # a marker line: the cell it opens
                return self.numbers[index], 1
        return None, 1

    def joined_line(self, cell: int, line: int) -> int:
        """(cell number, line within it) -> joined line (1-based)."""
        index = self.numbers.index(cell)
        return self.starts[index] + line - 1


_FLAGS = ast.PyCF_ONLY_AST | getattr(ast, "PyCF_ALLOW_TOP_LEVEL_AWAIT", 0)  # IPython runs top-level await


def _syntax_error(text: str) -> Optional[Tuple[int, int, str]]:
    """(line, column, message) of the text's syntax error, None if it parses."""
    try:
        compile(text, "<cell>", "exec", _FLAGS)
    except SyntaxError as exc:
        return exc.lineno or 1, exc.offset or 1, exc.msg
    except (ValueError, RecursionError, MemoryError) as exc:
        return 1, 1, str(exc) or type(exc).__name__
    return None


def _compiles(text: str) -> bool:
    return _syntax_error(text) is None


def _is_magic(line: str) -> bool:
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return False
    return bool(_MAGIC_LINE.match(line) or _HELP_LINE.match(line) or _ASSIGN_MAGIC.match(line))


def mask_cell(lines: List[str]) -> Dict[int, str]:
    """Which lines (0-based) of a cell are IPython syntax: index -> original line.  A cell that is valid
    Python as it is has none (so `%` or `?` inside expressions and strings is never touched)."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return {}
    head = lines[first].strip()
    if head.startswith("%%"):
        name = head[2:].split(None, 1)[0] if len(head) > 2 else ""
        if name not in PYTHON_CELL_MAGICS:
            return {i: line for i, line in enumerate(lines) if line.strip()}
        masked = {first: lines[first]}
        body = lines[first + 1 :]
        inner = mask_cell(body)
        masked.update({first + 1 + i: line for i, line in inner.items()})
        return masked
    if _compiles("".join(lines)):
        return {}
    masked: Dict[int, str] = {}
    continued = False
    for index, line in enumerate(lines):
        if continued or _is_magic(line):
            masked[index] = line
            continued = line.rstrip("\r\n").endswith("\\")
    return masked


def _masked_line(line: str) -> str:
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    ending = "\r\n" if line.endswith("\r\n") else "\n" if line.endswith("\n") else ""
    return f"{indent}pass{ending}"


def join_cells(sources: Sequence[str], numbers: Optional[Sequence[int]] = None) -> Tuple[str, CellMap]:
    """One Python text from the code cells' sources; `numbers` are the cells' numbers (default 1, 2, ...)."""
    numbers = list(numbers) if numbers is not None else list(range(1, len(sources) + 1))
    cell_map = CellMap(numbers=numbers, starts=[], lengths=[])
    parts: List[str] = []
    line = 1
    for number, source in zip(numbers, sources):
        parts.append(MARKER.format(number) + "\n")
        line += 1
        lines = source.splitlines(keepends=True)
        cell_map.trailing_newline.append(source.endswith("\n"))
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        masked = mask_cell(lines)
        error = _syntax_error("".join(_masked_line(t) if i in masked else t for i, t in enumerate(lines)))
        if error is not None:
            cell_map.invalid.append((number, *error))
            masked = {i: text for i, text in enumerate(lines) if text.strip()}
        cell_map.masked.append(masked)
        cell_map.starts.append(line)
        cell_map.lengths.append(len(lines))
        joined = [_masked_line(text) if i in masked else text for i, text in enumerate(lines)]
        cell_map.texts.append(joined)
        parts.extend(joined)
        line += len(lines)
    return "".join(parts), cell_map


def split_cells(text: str, cell_map: CellMap) -> List[str]:
    """Inverse of `join_cells` for a (fixed) joined text: each cell's new source, magics restored."""
    lines = text.splitlines(keepends=True)
    bounds = [i for i, line in enumerate(lines) if _MARKER_RE.match(line.rstrip("\r\n"))]
    found = [int(_MARKER_RE.match(lines[i].rstrip("\r\n")).group(1)) for i in bounds]
    if found != cell_map.numbers or (bounds and bounds[0] != 0):
        raise NotebookError("the fix moved code across cell boundaries; notebook left unchanged")
    sources = []
    for index, start in enumerate(bounds):
        end = bounds[index + 1] if index + 1 < len(bounds) else len(lines)
        new = lines[start + 1 : end]
        new = _restore(new, index, cell_map)
        source = "".join(new)
        if not cell_map.trailing_newline[index] and source.endswith("\n"):
            source = source[:-1]
        sources.append(source)
    return sources


def _restore(new: List[str], index: int, cell_map: CellMap) -> List[str]:
    masked = cell_map.masked[index]
    if not masked:
        return new
    if len(new) == cell_map.lengths[index]:
        pairs = {i: i for i in masked}
    else:  # lines were inserted or removed: find the masked lines by matching the unchanged ones
        matcher = difflib.SequenceMatcher(None, cell_map.texts[index], new, autojunk=False)
        pairs = {}
        for block in matcher.get_matching_blocks():
            for k in range(block.size):
                pairs[block.a + k] = block.b + k
        for i in masked:
            if i not in pairs:
                raise NotebookError("the fix changed lines next to IPython magics; notebook left unchanged")
    restored = list(new)
    for i, original_line in masked.items():
        j = pairs[i]
        if restored[j].strip() != "pass":
            raise NotebookError("the fix changed a masked IPython line; notebook left unchanged")
        restored[j] = original_line if original_line.endswith("\n") or j == len(restored) - 1 else original_line + "\n"
    return restored


def locate_finding(finding: Finding, cell_map: CellMap) -> Finding:
    """A finding on the joined text -> the same finding on its cell."""
    cell, line = cell_map.locate(finding.line)
    if cell is None:
        return finding
    end_cell, end_line = cell_map.locate(finding.end_line)
    end_column = finding.end_column
    if end_cell != cell:
        end_line = cell_map.lengths[cell_map.numbers.index(cell)]
        end_column = finding.column
    return replace(finding, cell=cell, line=line, end_line=max(end_line, line), end_column=end_column)


@dataclass
class Notebook:
    """An nbformat-4 notebook read from its JSON text."""

    data: dict
    indent: Optional[int]
    ensure_ascii: bool
    newline: str  # "\n" or "\r\n"
    final_newline: bool

    @classmethod
    def parse(cls, raw: str) -> Notebook:
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise NotebookError(f"invalid notebook JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
            raise NotebookError("not a Jupyter notebook (no `cells` list)")
        for number, cell in enumerate(data["cells"], start=1):
            if not isinstance(cell, dict) or not isinstance(cell.get("source", ""), (str, list)):
                raise NotebookError(f"cell {number} is malformed")
            if isinstance(cell.get("source"), list) and not all(isinstance(s, str) for s in cell["source"]):
                raise NotebookError(f"cell {number} has a malformed source")
        language = data.get("metadata", {}).get("language_info", {}).get("name", "python")
        if isinstance(language, str) and language.lower() not in ("python", "python3", "ipython", ""):
            raise NotebookError(f"not a Python notebook (language {language!r})")
        match = re.search(r"^\{\s*?\n([ \t]+)\S", raw)
        indent = len(match.group(1)) if match else None
        ensure_ascii = not any(ord(c) > 127 for c in raw) and "\\u" in raw
        newline = "\r\n" if "\r\n" in raw else "\n"
        return cls(data, indent, ensure_ascii, newline, raw.endswith("\n"))

    def code_cells(self) -> List[int]:
        """Indices (0-based) of the code cells."""
        return [i for i, cell in enumerate(self.data["cells"]) if cell.get("cell_type") == "code"]

    def code_sources(self) -> List[str]:
        return [_source(self.data["cells"][i]) for i in self.code_cells()]

    def join(self) -> Tuple[str, CellMap]:
        return join_cells(self.code_sources(), [i + 1 for i in self.code_cells()])

    def dumps(self, sources: Optional[Sequence[str]] = None) -> str:
        """The notebook's JSON, with the code cells' sources replaced by `sources` (if given)."""
        data = self.data
        if sources is not None:
            data = json.loads(json.dumps(self.data))  # a copy; the original stays as read
            for index, source in zip(self.code_cells(), sources):
                cell = data["cells"][index]
                if _source(cell) == source:
                    continue
                if isinstance(cell.get("source"), list):
                    cell["source"] = source.splitlines(keepends=True)
                else:
                    cell["source"] = source
        text = json.dumps(data, indent=self.indent, ensure_ascii=self.ensure_ascii)
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return text + self.newline if self.final_newline else text


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


@dataclass
class NotebookOutcome:
    findings: List[Finding]
    new_text: Optional[str] = None  # the fixed notebook JSON, when it changed
    fixed: int = 0


def check_notebook(path: str, raw: str, rules, fix: bool = False, unsafe: bool = False) -> NotebookOutcome:
    """Lint (or fix) the notebook JSON `raw`.  Never raises for bad input: that is TL000."""
    from torchlint.engine import lint_source
    from torchlint.findings import internal_finding
    from torchlint.fixing import fix_source

    try:
        notebook = Notebook.parse(raw)
    except NotebookError as exc:
        return NotebookOutcome([internal_finding(path, str(exc))])
    text, cell_map = notebook.join()
    from torchlint.engine import rules_for

    # as for .py files, syntax errors are reported only where some rule would have parsed the code
    invalid = [] if not rules_for(text, rules) else [
        replace(internal_finding(path, f"syntax error: {message} (the other cells were checked)", line, column),
                cell=cell)
        for cell, line, column, message in cell_map.invalid
    ]  # fmt: skip
    if not fix:
        findings = [locate_finding(f, cell_map) for f in lint_source(path, text, rules)]
        return NotebookOutcome(sorted(invalid + findings, key=Finding.sort_key))
    result = fix_source(path, text, rules, unsafe=unsafe)
    findings = sorted(invalid + [locate_finding(f, cell_map) for f in result.findings], key=Finding.sort_key)
    if result.source == text:
        return NotebookOutcome(findings)
    try:
        new_text = notebook.dumps(split_cells(result.source, cell_map))
    except NotebookError as exc:
        unchanged = [locate_finding(f, cell_map) for f in lint_source(path, text, rules)]
        return NotebookOutcome(sorted(invalid + unchanged, key=Finding.sort_key) + [internal_finding(path, str(exc))])
    return NotebookOutcome(findings, new_text=new_text, fixed=result.fixed)


def cell_lines(raw: str, cell: int) -> Optional[List[str]]:
    """The lines of cell `cell` (1-based) of a notebook's JSON text (for --show-source, baselines)."""
    try:
        notebook = Notebook.parse(raw)
        return _source(notebook.data["cells"][cell - 1]).splitlines()
    except (NotebookError, IndexError):
        return None
