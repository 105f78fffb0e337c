"""Output formats: flake8-compatible text, and JSON for tools."""

from __future__ import annotations

import json
from typing import Dict, Sequence

from torchlint.findings import Finding


def text_line(finding: Finding) -> str:
    line = f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message}"
    if finding.fix is not None:
        line += f" [fix ({finding.fix.applicability}): {finding.fix.description}]"
    return line


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
    if finding.related:  # where the other half of a cross-file finding is
        data["related"] = [{"path": r.path, "line": r.line, "message": r.message} for r in finding.related]
    return data


def render_json(findings: Sequence[Finding]) -> str:
    return json.dumps([as_json(f) for f in findings], indent=2)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
