"""SARIF 2.1.0 output, as GitHub code scanning accepts it (`--format sarif`).

The run lists every enabled rule (plus TL000) in `tool.driver.rules`, with its page from `torchlint explain`
as help text and markdown; each result points at a repository-relative URI under `%SRCROOT%` with a full
region, and carries a `partialFingerprints` entry that does not depend on line numbers (a hash of the path, the
code and what baselines hash: the normalised source line and its enclosing function, plus an occurrence count
for identical lines), so moving code does not re-open alerts.
Notebook findings carry the cell in `properties` and in the message (a region would address lines of the
notebook's JSON, which are not the cell's lines).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from textwrap import dedent
from typing import Dict, List, Optional, Sequence

from torchlint import __version__
from torchlint.baseline import fingerprint
from torchlint.findings import Finding
from torchlint.output import SourceLines, relative_uri

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/torchlint/"
SRCROOT = "%SRCROOT%"
PRETTY_MAX_RESULTS = 1000

_TL000 = {
    "id": "TL000",
    "name": "could-not-analyse",
    "shortDescription": {"text": "A file could not be analysed (unreadable, undecodable, unparsable, a rule failed)"},
    "fullDescription": {"text": "torchlint could not analyse this file, so its other rules did not check it."},
    "help": {"text": "Fix the reported problem (often a syntax error) so that the file can be checked.",
             "markdown": "Fix the reported problem (often a syntax error) so that the file can be checked."},
    "defaultConfiguration": {"level": "error"},
}  # fmt: skip


def _text(value: Optional[str]) -> str:
    return dedent(value or "").strip()


def rule_descriptor(rule) -> Dict:
    from torchlint.cli import explain_markdown, explain_text

    markdown = explain_markdown(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _text(rule.why).split("\n\n")[0] or rule.summary},
        "help": {"text": explain_text(rule), "markdown": markdown},
        "defaultConfiguration": {"level": "error" if rule.default else "warning"},
        "properties": {"tags": ["pytorch", "correctness" if rule.default else "opt-in"]},
    }


def project_root(start: str = ".") -> str:
    """The repository root (nearest directory with `.git` above `start`), else `start`."""
    directory = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return os.path.abspath(start)
        directory = parent


def _uri_root(root: str) -> str:
    uri = "file://" + ("" if root.startswith("/") else "/") + os.path.abspath(root).replace(os.sep, "/")
    return uri if uri.endswith("/") else uri + "/"


def render_sarif(
    findings: Sequence[Finding], rules: Sequence, root: str, source_lines: Optional[SourceLines] = None
) -> str:
    descriptors: List[Dict] = [_TL000] + [rule_descriptor(r) for r in rules]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    levels = {d["id"]: d["defaultConfiguration"]["level"] for d in descriptors}
    seen: Counter = Counter()
    uris: Dict[str, str] = {}
    results = []
    for finding in findings:
        if finding.code not in index:  # selected away after the run (cannot happen from the CLI)
            continue
        if finding.path not in uris:
            uris[finding.path] = relative_uri(finding.path, root)
        uri = uris[finding.path]
        lines = source_lines(finding) if source_lines is not None else None
        key = f"{uri}:{finding.code}:{fingerprint(finding, lines)}"
        seen[key] += 1
        stable = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]
        message = finding.message
        physical: Dict = {"artifactLocation": {"uri": uri, "uriBaseId": SRCROOT}}
        result: Dict = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": levels[finding.code],
            "message": {"text": message},
            "locations": [{"physicalLocation": physical}],
            "partialFingerprints": {"torchlint/v1": f"{stable}:{seen[key]}"},
        }
        region = {
            "startLine": finding.line, "startColumn": finding.column,
            "endLine": max(finding.end_line, finding.line), "endColumn": max(finding.end_column, 1),
        }  # fmt: skip
        if finding.cell is None:
            physical["region"] = region
        else:
            result["message"]["text"] = f"cell {finding.cell}, line {finding.line}: {message}"
            result["properties"] = {"cell": finding.cell, **{k: v for k, v in region.items()}}
        related = getattr(finding, "related", None) or ()
        if related:  # the other half of a cross-file finding (`the sampler is built in data.py:41`)
            result["relatedLocations"] = []
            for number, place in enumerate(related):
                if place.path not in uris:
                    uris[place.path] = relative_uri(place.path, root)
                result["relatedLocations"].append({
                    "id": number,
                    "physicalLocation": {
                        "artifactLocation": {"uri": uris[place.path], "uriBaseId": SRCROOT},
                        "region": {"startLine": max(place.line, 1)},
                    },
                    "message": {"text": place.message or "related location"},
                })  # fmt: skip
        if finding.fix is not None:
            result.setdefault("properties", {})["fix"] = {
                "applicability": finding.fix.applicability, "description": finding.fix.description,
            }  # fmt: skip
        results.append(result)
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "torchlint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": _uri_root(root)}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    # Indented while a person may read it; large logs compact (the C encoder is ~10x faster than indenting).
    return json.dumps(log, indent=2) if len(results) <= PRETTY_MAX_RESULTS else json.dumps(log, separators=(",", ":"))
