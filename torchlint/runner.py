"""Linting (and fixing) many files, in parallel processes, with results in a stable order."""

from __future__ import annotations

import difflib
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from torchlint import registry
from torchlint.discovery import matches_any
from torchlint.engine import lint_source
from torchlint.findings import Finding, internal_finding
from torchlint.fixing import fix_source
from torchlint.source import SourceError, read_source, write_atomically

CHECK, FIX, DIFF = "check", "fix", "diff"


@dataclass(frozen=True)
class Job:
    mode: str = CHECK
    rule_codes: Tuple[str, ...] = ()
    unsafe_fixes: bool = False
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    root: str = "."


@dataclass
class FileResult:
    path: str
    findings: List[Finding] = field(default_factory=list)
    fixed: int = 0
    diff: str = ""
    changed: bool = False


def _rules_for_file(job: Job, path: str):
    rules = registry.all_rules()
    ignored: List[str] = []
    for glob, codes in job.per_file_ignores:
        if matches_any(path, [glob], job.root):
            ignored.extend(codes)
    return [rules[c] for c in job.rule_codes if not any(c.startswith(i) for i in ignored)]


def process_file(job: Job, path: str) -> FileResult:
    """Lint or fix one file.  Never raises: every failure becomes a TL000 finding."""
    try:
        return _process(job, path)
    except Exception as exc:  # last line of defence: the run goes on
        return FileResult(path, [internal_finding(path, f"internal error: {type(exc).__name__}: {exc}")])


def _process(job: Job, path: str) -> FileResult:
    try:
        source_file = read_source(path)
    except SourceError as exc:
        return FileResult(path, [internal_finding(path, str(exc))])
    rules = _rules_for_file(job, path)
    if job.mode == CHECK:
        return FileResult(path, lint_source(path, source_file.text, rules))
    fixed = fix_source(path, source_file.text, rules, unsafe=job.unsafe_fixes)
    result = FileResult(path, fixed.findings, fixed=fixed.fixed, changed=fixed.source != source_file.text)
    if not result.changed:
        return result
    if job.mode == DIFF:
        result.diff = "".join(
            difflib.unified_diff(
                source_file.text.splitlines(keepends=True),
                fixed.source.splitlines(keepends=True),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
        )
    else:
        try:
            write_atomically(path, source_file.encode(fixed.source))
        except (OSError, UnicodeEncodeError) as exc:
            result.changed = False
            result.fixed = 0
            result.findings.append(internal_finding(path, f"cannot write fixed file: {exc}"))
    return result


def _process_chunk(job: Job, paths: Sequence[str]) -> List[FileResult]:
    return [process_file(job, path) for path in paths]


def run(job: Job, paths: Sequence[str], jobs: Optional[int] = None) -> List[FileResult]:
    """Process every path; results sorted by path whatever the number of processes."""
    jobs = jobs or os.cpu_count() or 1
    jobs = min(jobs, max(1, len(paths) // 4))  # processes only pay off with several files each
    if jobs <= 1:
        results = _process_chunk(job, paths)
    else:
        # Small chunks balance uneven file sizes; each worker imports torchlint once.
        size = max(1, min(16, len(paths) // (jobs * 8)))
        chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = [r for chunk in pool.map(_process_chunk, [job] * len(chunks), chunks) for r in chunk]
    for result in results:
        result.findings.sort(key=Finding.sort_key)
    return sorted(results, key=lambda r: r.path)
