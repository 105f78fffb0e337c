"""Linting (and fixing) many files, in supervised worker processes, with results in a stable order.

One hostile file costs only itself: a worker that crashes (libcst's native parser can
overflow the C stack) or overruns the per-file time budget is killed and replaced, and
that file alone is reported as TL000 (see torchlint/supervisor.py).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

from torchlint import registry, supervisor
from torchlint.discovery import matches_any
from torchlint.engine import describe_exception, lint_source
from torchlint.findings import Finding, internal_finding
from torchlint.fixing import fix_source
from torchlint.source import DEFAULT_MAX_FILE_SIZE, SourceError, read_source, write_atomically

CHECK, FIX, DIFF = "check", "fix", "diff"
DEFAULT_TIMEOUT = 20.0  # seconds per file; a file that takes longer is skipped (TL000)


@dataclass(frozen=True)
class Job:
    mode: str = CHECK
    rule_codes: Tuple[str, ...] = ()
    unsafe_fixes: bool = False
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    root: str = "."
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes; larger files are skipped (TL000); 0: no cap
    timeout: float = DEFAULT_TIMEOUT  # seconds per file in worker processes; 0: no budget


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
    except RecursionError:
        return FileResult(path, [internal_finding(path, "internal error: the file nests too deeply")])
    except Exception as exc:  # last line of defence: the run goes on
        return FileResult(path, [internal_finding(path, f"internal error: {describe_exception(exc)}")])


def _process(job: Job, path: str) -> FileResult:
    try:
        source_file = read_source(path, job.max_file_size)
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


# TL000 reasons that mean torchlint itself failed (not the file): the CLI exits 2 for them.
CRASH_REASON = "the parser crashed (nesting too deep?)"
_INTERNAL_PREFIXES = ("could not analyse: internal error", f"could not analyse: {CRASH_REASON}")


def is_internal_error(finding: Finding) -> bool:
    return finding.code == "TL000" and finding.message.startswith(_INTERNAL_PREFIXES)


def _failed(job: Job, path: str, how: str, exitcode: Optional[int]) -> FileResult:
    if how == supervisor.TIMED_OUT:
        reason = f"skipped: analysis took longer than {job.timeout:g} s (the timeout setting)"
    else:
        reason = CRASH_REASON
    return FileResult(path, [internal_finding(path, reason)])


def run(job: Job, paths: Sequence[str], jobs: Optional[int] = None) -> List[FileResult]:
    """Process every path; results sorted by path whatever the number of processes."""
    jobs = jobs or os.cpu_count() or 1
    jobs = min(jobs, max(1, len(paths) // 4))  # processes only pay off with several files each
    if not paths:
        results: List[FileResult] = []
    elif jobs <= 1 and not supervisor.CAN_FORK:
        # Spawning a worker costs an interpreter start: a small run here goes unsupervised.
        results = [process_file(job, path) for path in paths]
    else:
        results = supervisor.supervised_map(
            process_file, job, list(paths), jobs, job.timeout or None,
            lambda path, how, code: _failed(job, path, how, code),
        )  # fmt: skip
    for result in results:
        result.findings.sort(key=Finding.sort_key)
    return sorted(results, key=lambda r: r.path)
