"""Output formats: flake8-compatible text (concise/full/grouped), JSON, GitHub workflow commands, statistics.

SARIF lives in torchlint/sarif.py.  Every renderer takes the findings (sorted) and returns text; colour is
applied only when the caller says so (a TTY without NO_COLOR, or `--color always`).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence

from torchlint.findings import Finding

FORMATS = ("text", "concise", "full", "grouped", "json", "github", "sarif")

_RESET = "\x1b[0m"
_STYLES = {"path": "\x1b[1m", "code": "\x1b[1;31m", "fix": "\x1b[36m", "dim": "\x1b[2m", "caret": "\x1b[1;31m"}

# path -> the file's text lines (for notebooks: lines of the given cell); None when unreadable.
SourceLines = Callable[[Finding], Optional[List[str]]]


class Style:
    def __init__(self, color: bool = False) -> None:
        self.color = color

    def __call__(self, kind: str, text: str) -> str:
        return f"{_STYLES[kind]}{text}{_RESET}" if self.color else text


PLAIN = Style(False)


def location(finding: Finding) -> str:
    """`path:line:col`, or `nb.ipynb:cell 3:2:8` for a notebook cell."""
    if finding.cell is not None:
        return f"{finding.path}:cell {finding.cell}:{finding.line}:{finding.column}"
    return f"{finding.path}:{finding.line}:{finding.column}"


def is_fixable(finding: Finding, unsafe: bool = False) -> bool:
    """Would `--fix` (with `unsafe`: `--fix --unsafe-fixes`) resolve it?"""
    if finding.fix is None:
        return False
    return finding.fix.applicability == "safe" or (unsafe and finding.fix.applicability == "unsafe")


def _body(finding: Finding, style: Style, unsafe: bool, show_fixes: bool) -> str:
    marker = f" {style('fix', '[*]')}" if is_fixable(finding, unsafe) else ""
    text = f"{style('code', finding.code)}{marker} {finding.message}"
    if show_fixes and finding.fix is not None:
        text += " " + style("fix", f"[fix ({finding.fix.applicability}): {finding.fix.description}]")
    return text


def text_line(finding: Finding, style: Style = PLAIN, unsafe: bool = False, show_fixes: bool = False) -> str:
    """`path:line:col: CODE [*] message`: `[*]` marks what `--fix` would fix (ruff's habit)."""
    return f"{style('path', location(finding))}: {_body(finding, style, unsafe, show_fixes)}"


def source_snippet(finding: Finding, lines: Optional[List[str]], style: Style = PLAIN) -> List[str]:
    """The offending line, with a caret under the span (to the end of the line for multi-line spans)."""
    if not lines or not 1 <= finding.line <= len(lines):
        return []
    text = lines[finding.line - 1].rstrip("\r\n").expandtabs(1)
    start = max(finding.column - 1, 0)
    end = finding.end_column - 1 if finding.end_line == finding.line else len(text)
    width = max(end - start, 1)
    gutter = f"{finding.line} | "
    return [
        style("dim", gutter) + text,
        " " * (len(gutter) - 2) + style("dim", "| ") + " " * start + style("caret", "^" * width),
    ]


def render_text(
    findings: Sequence[Finding],
    style: Style = PLAIN,
    unsafe: bool = False,
    show_fixes: bool = False,
    show_source: bool = False,
    source_lines: Optional[SourceLines] = None,
) -> List[str]:
    out: List[str] = []
    for finding in findings:
        out.append(text_line(finding, style, unsafe, show_fixes))
        if show_source and source_lines is not None:
            snippet = source_snippet(finding, source_lines(finding), style)
            if snippet:
                out.extend(snippet)
                out.append("")
    return out


def render_grouped(
    findings: Sequence[Finding],
    style: Style = PLAIN,
    unsafe: bool = False,
    show_fixes: bool = False,
    show_source: bool = False,
    source_lines: Optional[SourceLines] = None,
) -> List[str]:
    """ruff's `grouped`: one heading per file, then `  line:col CODE message` lines."""
    out: List[str] = []
    current = None
    for finding in findings:
        if finding.path != current:
            if current is not None:
                out.append("")
            out.append(style("path", finding.path) + ":")
            current = finding.path
        where = f"{finding.line}:{finding.column}"
        if finding.cell is not None:
            where = f"cell {finding.cell}:{where}"
        out.append(f"  {where} {_body(finding, style, unsafe, show_fixes)}")
        if show_source and source_lines is not None:
            out.extend("    " + s for s in source_snippet(finding, source_lines(finding), style))
    return out


def as_json(finding: Finding) -> Dict:
    data = {
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "end_column": finding.end_column,
        "code": finding.code,
        "name": finding.name,
        "message": finding.message,
        "fix": None
        if finding.fix is None
        else {"applicability": finding.fix.applicability, "description": finding.fix.description},
    }
    if finding.cell is not None:
        data["cell"] = finding.cell  # notebooks: `line`/`end_line` count within this cell (1-based)
    if finding.related:  # where the other half of a cross-file finding is
        data["related"] = [{"path": r.path, "line": r.line, "message": r.message} for r in finding.related]
    return data


def render_json(findings: Sequence[Finding]) -> str:
    return json.dumps([as_json(f) for f in findings], indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(finding: Finding, root: str = ".") -> str:
    """A GitHub Actions workflow command: `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::msg`."""
    path = relative_uri(finding.path, root)
    title = f"{finding.code} {finding.name}"
    message = finding.message
    if finding.cell is not None:
        # Annotations address lines of the file; a notebook's cell lines are not lines of its JSON.
        message = f"cell {finding.cell}, line {finding.line}: {message}"
        properties = [("file", path), ("title", title)]
    else:
        properties = [
            ("file", path), ("line", str(finding.line)), ("col", str(finding.column)),
            ("endLine", str(finding.end_line)), ("endColumn", str(finding.end_column)), ("title", title),
        ]  # fmt: skip
    rendered = ",".join(f"{key}={_escape_property(value)}" for key, value in properties)
    return f"::error {rendered}::{_escape_data(message)}"


def render_github(findings: Sequence[Finding], root: str = ".") -> List[str]:
    return [github_line(f, root) for f in findings]


def render_statistics(findings: Sequence[Finding], unsafe: bool = False) -> List[str]:
    """ruff's `--statistics`: count, code, name, `[*]` when all are fixable, most frequent first."""
    counts = Counter(f.code for f in findings)
    names = {f.code: f.name for f in findings}
    fixable = Counter(f.code for f in findings if is_fixable(f, unsafe))
    width = max((len(str(c)) for c in counts.values()), default=1)
    out = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        marker = "[*]" if fixable[code] == count else "[-]" if fixable[code] else "   "
        out.append(f"{count:>{width}}\t{code}\t{marker} {names[code]}")
    return out


def relative_uri(path: str, root: str) -> str:
    """`path` relative to `root`, `/`-separated (as it is when it lies outside `root`)."""
    absolute = os.path.abspath(path)
    try:
        relative = os.path.relpath(absolute, os.path.abspath(root))
    except ValueError:
        return path.replace(os.sep, "/")
    if relative.startswith(".."):
        return path.replace(os.sep, "/")
    return relative.replace(os.sep, "/")


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
