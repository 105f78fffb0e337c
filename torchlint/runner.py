"""Linting (and fixing) many files, in supervised worker processes, with results in a stable order.

One hostile file costs only itself: a worker that crashes (libcst's native parser can
overflow the C stack) or overruns the per-file time budget is killed and replaced, and
that file alone is reported as TL000 (see torchlint/supervisor.py).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import asdict, dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

from torchlint import registry, supervisor
from torchlint.discovery import NOTEBOOK_SUFFIX, is_python_path, matches_any
from torchlint.engine import caused_by_recursion, describe_exception, fewer_collections, lint_source
from torchlint.findings import Finding, internal_finding
from torchlint.fixing import fix_source
from torchlint.source import (
    DEFAULT_MAX_FILE_SIZE,
    SourceChanged,
    SourceError,
    read_source,
    split_lines,
    write_atomically,
)

CHECK, FIX, DIFF = "check", "fix", "diff"
DEFAULT_TIMEOUT = supervisor.DEFAULT_TIMEOUT  # seconds per file; a file that takes longer is skipped (TL000)


@dataclass(frozen=True)
class Job:
    mode: str = CHECK
    rule_codes: Tuple[str, ...] = ()
    unsafe_fixes: bool = False
    per_file_ignores: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()
    root: str = "."
    project: bool = True  # see first-party imports through the project model (analysis/project.py)
    project_roots: Tuple[str, ...] = ()  # extra import roots (each file's own root is always one)
    cache_dir: Optional[str] = None  # torchlint/cache.py's folder; None: no cache
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes; larger files are skipped (TL000); 0: no cap
    timeout: float = DEFAULT_TIMEOUT  # seconds per file in worker processes; 0: no budget
    screen: bool = True  # screen files over Python's ast before the libcst parse (torchlint/screens.py)


@dataclass
class FileResult:
    path: str
    findings: List[Finding] = field(default_factory=list)
    fixed: int = 0
    diff: str = ""
    changed: bool = False
    deps: Optional[Dict[str, Optional[str]]] = None  # files the analysis consulted -> content hash


def _rules_for_file(job: Job, path: str):
    rules = registry.all_rules()
    ignored: List[str] = []
    for glob, codes in job.per_file_ignores:
        if matches_any(path, [glob], job.root):
            ignored.extend(codes)
    return [rules[c] for c in job.rule_codes if not any(c.startswith(i) for i in ignored)]


def _lint(job: Job, path: str, text: str, rules) -> FileResult:
    if not job.project:
        return FileResult(path, lint_source(path, text, rules))
    from torchlint.analysis.project import shared_project

    project = shared_project(job.project_roots, job.cache_dir)
    with project.recording() as deps:
        findings = lint_source(path, text, rules, project)
    return FileResult(path, findings, deps=dict(deps))


def process_file(job: Job, path: str) -> FileResult:
    """Lint or fix one file.  Never raises: every failure becomes a TL000 finding."""
    from torchlint import engine

    screening, engine.SCREENING = engine.SCREENING, job.screen
    try:
        return _process(job, path)
    except RecursionError:
        return FileResult(path, [internal_finding(path, "internal error: the file nests too deeply")])
    except Exception as exc:  # last line of defence: the run goes on
        if caused_by_recursion(exc):  # never format those: their chains hold deeply nested nodes
            return FileResult(path, [internal_finding(path, "internal error: the file nests too deeply")])
        return FileResult(path, [internal_finding(path, f"internal error: {describe_exception(exc)}")])
    finally:
        engine.SCREENING = screening


def _process(job: Job, path: str) -> FileResult:
    if not is_python_path(path):  # notebooks (torchlint/notebook.py) and files torchlint cannot lint
        return _process_other(job, path)
    try:
        source_file = read_source(path, job.max_file_size)
    except SourceError as exc:
        return FileResult(path, [internal_finding(path, str(exc))])
    rules = _rules_for_file(job, path)
    if job.mode == CHECK:
        return _lint(job, path, source_file.text, rules)
    for _ in range(FIX_ATTEMPTS):
        result = _fix(job, path, source_file, rules)
        if not isinstance(result, SourceChanged):
            return result
        try:  # an edit was saved while we fixed: fix the new text instead of losing it
            source_file = read_source(path, job.max_file_size)
        except SourceError as exc:
            return FileResult(path, [internal_finding(path, str(exc))])
    findings = _lint(job, path, source_file.text, rules).findings
    return FileResult(path, findings + [internal_finding(path, f"cannot write fixed file: {result}")])


FIX_ATTEMPTS = 3  # a file that keeps changing under us is reported, not fought over


def _fix(job: Job, path: str, source_file, rules):
    """Fix one read of the file: its FileResult, or SourceChanged if the file changed meanwhile."""
    project = None
    if job.project:  # the same cross-file findings as a check run (fixes stay within this file)
        from torchlint.analysis.project import shared_project

        project = shared_project(job.project_roots, job.cache_dir)
    fixed = fix_source(path, source_file.text, rules, unsafe=job.unsafe_fixes, project=project)
    result = FileResult(path, fixed.findings, fixed=fixed.fixed, changed=fixed.source != source_file.text)
    if not result.changed:
        return result
    if job.mode == DIFF:
        result.diff = "".join(
            difflib.unified_diff(
                split_lines(source_file.text),
                split_lines(fixed.source),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
        )
        return result
    try:
        write_atomically(path, source_file.encode(fixed.source), expected=source_file)
    except SourceChanged as exc:
        return exc
    except (OSError, UnicodeEncodeError, SourceError) as exc:
        # Nothing was written: what the file still has is what it had (fixable findings included).
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        findings = _lint(job, path, source_file.text, rules).findings
        return FileResult(path, findings + [internal_finding(path, f"cannot write fixed file: {reason}")])
    return result


def _process_other(job: Job, path: str) -> FileResult:
    if not path.endswith(NOTEBOOK_SUFFIX):
        return FileResult(path, [internal_finding(path, "not a Python file or notebook (.py, .pyi, .ipynb)")])
    from torchlint.notebook import check_notebook

    try:  # a notebook's size is mostly outputs: the cap is for its code
        source_file = read_source(path, job.max_file_size * 10)
    except SourceError as exc:
        return FileResult(path, [internal_finding(path, str(exc))])
    rules = _rules_for_file(job, path)
    outcome = check_notebook(path, source_file.text, rules, fix=job.mode != CHECK, unsafe=job.unsafe_fixes)
    # A notebook is linted on its own (no project model): its findings depend on its text alone, so
    # it is cached like any file (deps={}: nothing else consulted).
    result = FileResult(path, outcome.findings, fixed=outcome.fixed, changed=outcome.new_text is not None, deps={})
    if outcome.new_text is None:
        return result
    if job.mode == DIFF:
        result.diff = "".join(difflib.unified_diff(
            source_file.text.splitlines(keepends=True), outcome.new_text.splitlines(keepends=True),
            fromfile=f"a/{path}", tofile=f"b/{path}",
        ))  # fmt: skip
        return result
    try:
        write_atomically(path, outcome.new_text.encode("utf-8"), expected=source_file)  # unchanged since read?
    except (OSError, SourceError) as exc:
        result.changed, result.fixed = False, 0
        result.findings.append(internal_finding(path, f"cannot write fixed file: {exc}"))
    return result


# TL000 reasons that mean torchlint itself failed (not the file): the CLI exits 2 for them.
CRASH_REASON = "the parser crashed (nesting too deep?)"
_INTERNAL_PREFIXES = ("could not analyse: internal error", f"could not analyse: {CRASH_REASON}")


_TIMEOUT_PREFIX = "could not analyse: skipped: analysis took longer than"


def is_internal_error(finding: Finding) -> bool:
    return finding.code == "TL000" and finding.message.startswith(_INTERNAL_PREFIXES)


def is_transient(finding: Finding) -> bool:
    """A crash or an overrun: the next run may well succeed, so it is never cached."""
    return is_internal_error(finding) or (finding.code == "TL000" and finding.message.startswith(_TIMEOUT_PREFIX))


def _failed(job: Job, path: str, how: str, exitcode: Optional[int]) -> FileResult:
    if how == supervisor.TIMED_OUT:
        reason = f"skipped: analysis took longer than {job.timeout:g} s (the timeout setting)"
    else:
        reason = CRASH_REASON
    return FileResult(path, [internal_finding(path, reason)])


def run(job: Job, paths: Sequence[str], jobs: Optional[int] = None) -> List[FileResult]:
    """Process every path; results sorted by path whatever the number of processes.

    With `job.cache_dir`, unchanged files (and unchanged files they consulted) come from the cache
    and only the rest is linted (torchlint/cache.py)."""
    with fewer_collections():
        return _run_cached(job, paths, jobs)


def _run_cached(job: Job, paths: Sequence[str], jobs: Optional[int] = None) -> List[FileResult]:
    run_cache = None
    if os.environ.get("TORCHLINT_NO_PROJECT"):  # benchmarks: the per-file analysis alone
        job = replace(job, project=False)
    if job.cache_dir is not None and job.mode == CHECK:
        from torchlint.analysis.project import shared_project
        from torchlint.cache import Cache, RunCache

        settings = {k: v for k, v in asdict(job).items() if k not in ("cache_dir", "timeout")}
        run_cache = RunCache(Cache(job.cache_dir), settings, paths)
        project = shared_project(job.project_roots, job.cache_dir)  # before forking: workers inherit it
        for full, digest in run_cache.hashes.items():
            if digest is not None:
                project.set_hash(full, digest)
        paths = run_cache.misses
    results = _run(job, paths, jobs)
    if run_cache is not None:
        run_cache.store(results)
        results += [FileResult(path, findings) for path, findings in run_cache.hits.items()]
        for result in results:
            result.findings.sort(key=Finding.sort_key)
        results.sort(key=lambda r: r.path)
    return results


SMALL_RUN_FILES = 50
SMALL_RUN_BYTES = 800_000  # about 20k lines of Python


def _small_run(paths: Sequence[str]) -> bool:
    """At most SMALL_RUN_FILES files, or at most SMALL_RUN_BYTES of text: one process is faster."""
    if len(paths) <= SMALL_RUN_FILES:
        return True
    total = 0
    for path in paths:
        try:
            total += os.stat(path).st_size
        except OSError:
            continue
        if total > SMALL_RUN_BYTES:
            return False
    return True


def worker_count(paths: Sequence[str], jobs: Optional[int] = None) -> int:
    """How many worker processes lint `paths` (`-j`; None: one per CPU).  A small run gets one (still
    supervised): starting more workers and shipping results back would cost more than they save."""
    jobs = jobs or os.cpu_count() or 1
    jobs = min(jobs, max(1, len(paths) // 4))  # processes only pay off with several files each
    if jobs > 1 and _small_run(paths):
        jobs = 1
    return jobs


def _run(job: Job, paths: Sequence[str], jobs: Optional[int] = None) -> List[FileResult]:
    jobs = worker_count(paths, jobs)
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
