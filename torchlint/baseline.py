"""Baselines: adopt torchlint on an existing repository by recording today's findings and reporting only new ones.

An entry is not a line number: it is the file (relative to the baseline's directory), the code, and a hash
of the finding's normalised source line(s) and of the function (or class) it is in.  So inserting code
above a baselined finding, re-indenting it or editing elsewhere in the file keeps it silent, while changing
the offending line itself, or moving it into another function, reports it again.  Identical entries are
counted, so a second copy of a baselined line is reported.  TL000 is never baselined.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from torchlint import __version__
from torchlint.findings import Finding

VERSION = 1
MAX_LINES = 5  # a multi-line finding hashes its first few lines
_DEF = re.compile(r"^(\s*)(?:async\s+def|def|class)\s+(\w+)")
_SPACE = re.compile(r"\s+")

SourceLines = Callable[[Finding], Optional[List[str]]]


class BaselineError(ValueError):
    pass


def _normalise(line: str) -> str:
    return _SPACE.sub(" ", line.strip())


def _indent(line: str) -> int:
    stripped = line.lstrip()
    width = len(line) - len(stripped)
    return len(line[:width].expandtabs(8)) if "\t" in line[:width] else width


def enclosing_scope(lines: Sequence[str], line: int) -> str:
    """The `def`/`class` names around 1-based `line` (`Trainer.fit`), "" at module level."""
    if not 1 <= line <= len(lines):
        return ""
    names: List[str] = []
    limit = _indent(lines[line - 1]) if lines[line - 1].strip() else 10**6
    for index in range(line - 2, -1, -1):
        text = lines[index]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        indent = _indent(text)
        if indent >= limit:
            continue
        match = _DEF.match(text)
        if match:
            names.append(match.group(2))
        limit = indent
        if indent == 0:
            break
    return ".".join(reversed(names))


def fingerprint(finding: Finding, lines: Optional[Sequence[str]]) -> str:
    """Hash of the finding's normalised source line(s) and enclosing scope (no line numbers)."""
    if lines and 1 <= finding.line <= len(lines):
        end = min(max(finding.end_line, finding.line), finding.line + MAX_LINES - 1, len(lines))
        text = "\n".join(_normalise(t) for t in lines[finding.line - 1 : end])
        scope = enclosing_scope(lines, finding.line)
    else:
        text, scope = finding.message, ""
    return hashlib.sha256(f"{scope}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()[:20]


def _key(finding: Finding, lines, base: str) -> Tuple[str, str, str]:
    path = os.path.relpath(os.path.abspath(finding.path), base).replace(os.sep, "/")
    return path, finding.code, fingerprint(finding, lines)


def write(path: str, findings: Sequence[Finding], source_lines: SourceLines) -> int:
    """Record `findings` (TL000 excepted) in the baseline file `path`; returns how many."""
    base = os.path.dirname(os.path.abspath(path))
    counts: Counter = Counter(_key(f, source_lines(f), base) for f in findings if f.code != "TL000")
    entries = [
        {"path": p, "code": c, "hash": h, **({"count": n} if n > 1 else {})}
        for (p, c, h), n in sorted(counts.items())
    ]
    data = {"torchlint-baseline": VERSION, "generated-by": f"torchlint {__version__}", "findings": entries}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
        handle.write("\n")
    return sum(counts.values())


def load(path: str) -> Counter:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not a torchlint baseline (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("torchlint-baseline") != VERSION:
        raise BaselineError(f"{path}: not a torchlint baseline (write one with --baseline-write)")
    counts: Counter = Counter()
    for entry in data.get("findings", []):
        try:
            counts[(entry["path"], entry["code"], entry["hash"])] += int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{path}: malformed entry {entry!r}") from None
    return counts


def filter_new(path: str, findings: Sequence[Finding], source_lines: SourceLines) -> Tuple[List[Finding], int]:
    """The findings not in the baseline `path`, and how many were hidden."""
    remaining = load(path)
    base = os.path.dirname(os.path.abspath(path))
    kept: List[Finding] = []
    hidden = 0
    for finding in findings:
        if finding.code != "TL000":
            key = _key(finding, source_lines(finding), base)
            if remaining[key] > 0:
                remaining[key] -= 1
                hidden += 1
                continue
        kept.append(finding)
    return kept, hidden


def entries_by_file(counts: Counter) -> Dict[str, int]:
    per_file: Dict[str, int] = {}
    for (path, _, _), count in counts.items():
        per_file[path] = per_file.get(path, 0) + count
    return per_file
