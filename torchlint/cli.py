"""`torchlint [OPTIONS] [PATH ...]`, `torchlint rules`, `torchlint explain CODE`.

Exit codes: 0 nothing found (after fixes), 1 findings remain (or --diff has changes),
2 usage or internal error.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

from torchlint import __version__, baseline, registry
from torchlint.cache import default_directory as cache_directory
from torchlint.config import ConfigError, common_start, load_config
from torchlint.discovery import NOTEBOOK_SUFFIX, find_files, is_force_excluded, matches_any
from torchlint.engine import lint_source
from torchlint.findings import Finding, internal_finding
from torchlint.fixing import fix_source
from torchlint.notebook import Notebook, NotebookError, cell_lines, check_notebook, split_cells
from torchlint.output import (
    FORMATS,
    Style,
    is_fixable,
    plural,
    render_github,
    render_grouped,
    render_json,
    render_statistics,
    render_text,
    text_line,
)
from torchlint.runner import CHECK, DIFF, FIX, FileResult, Job, is_internal_error, run
from torchlint.sarif import project_root, render_sarif
from torchlint.source import SourceError, decode_source, read_source, split_lines, write_atomically
from torchlint.suppress import add_noqa

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
TEXT_FORMATS = ("text", "concise", "full", "grouped")
PROGRESS_MIN_FILES = 300  # a progress bar (on a terminal) for runs over this many files
SUBCOMMANDS = ("check", "rules", "explain")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one clear line on stderr and exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message)


def _codes(value: str) -> List[str]:
    codes = [code.strip().upper() for code in value.split(",") if code.strip()]
    if not codes:
        raise argparse.ArgumentTypeError("expected at least one rule code or prefix")
    return codes


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {value!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return jobs


def _amount(kind):
    def parse(value: str):
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {value!r}") from None
        if number < 0:
            raise argparse.ArgumentTypeError("must not be negative")
        return number

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="torchlint",
        description="Find (and fix) the quiet bugs of PyTorch training code.",
        epilog="Subcommands: `torchlint rules` lists the rules, `torchlint explain CODE` documents one.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories (default: .); `-` reads the source from stdin")  # fmt: skip
    selection = parser.add_argument_group("rule selection (repeating an option adds to it)")
    selection.add_argument("--select", type=_codes, action="append",
                           help="only these codes or prefixes (e.g. TL3,TL501, or ALL)")
    selection.add_argument("--extend-select", type=_codes, action="append", help="add codes to the selection")
    selection.add_argument("--ignore", type=_codes, action="append", help="skip these codes or prefixes")
    fixing = parser.add_argument_group("fixing")
    fixing.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    fixing.add_argument("--unsafe-fixes", action="store_true", default=None,
                        help="also apply fixes that may change behaviour (with --fix or --diff)")
    fixing.add_argument("--diff", action="store_true", help="print the diff --fix would apply; write nothing")
    fixing.add_argument("--add-noqa", action="store_true",
                        help="append `# noqa: CODE` to every line with a finding (keeps existing comments)")
    output = parser.add_argument_group("output")
    output.add_argument("--format", "--output-format", dest="format", choices=FORMATS, default="text",
                        help="text (= concise), full (with source), grouped, json, github, sarif")
    output.add_argument("--output-file", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    output.add_argument("--statistics", action="store_true", help="count findings per code instead of listing them")
    output.add_argument("--show-source", action="store_true", help="show the offending line with a caret")
    output.add_argument("--show-fixes", action="store_true", help="describe each finding's fix")
    output.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour (auto: on a terminal without NO_COLOR)")
    output.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    output.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    files = parser.add_argument_group("files")
    files.add_argument("--force-exclude", action="store_true",
                       help="apply `exclude` (and the default excludes) to files named on the command line")
    files.add_argument("--stdin-filename", metavar="PATH",
                       help="the name of the file read from stdin (for config, per-file-ignores and messages)")
    files.add_argument("--config", metavar="FILE",
                       help="pyproject.toml to read instead of searching upward from the linted paths")
    files.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in FILE")
    files.add_argument("--baseline-write", metavar="FILE", help="record the current findings in FILE and exit 0")
    parser.add_argument("-j", "--jobs", type=_jobs, default=None, help="processes (default: CPU count)")
    parser.add_argument("--max-file-size", type=_amount(int), default=None, metavar="BYTES",
                        help="skip larger files, reporting TL000 (default 5000000; 0: no cap)")
    parser.add_argument("--timeout", type=_amount(float), default=None, metavar="SECONDS",
                        help="per-file time budget; a slower file is skipped, reporting TL000 (default 20; 0: none)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--no-screen", action="store_true",
                        help="parse and analyse every file with libcst (no screening over Python's ast first)")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="cache folder (default: $TORCHLINT_CACHE_DIR, else .torchlint_cache at the project root)")
    parser.add_argument("--version", action="version", version=f"torchlint {__version__}")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "rules":
            return _list_rules(argv[1:])
        if argv and argv[0] == "explain":
            return _explain(argv[1:])
        if argv and argv[0] == "server":
            from torchlint.server import main as server_main

            return server_main(argv[1:])
        if argv and argv[0] == "check":
            argv = argv[1:]
        return _check(argv)
    except BrokenPipeError:
        # `torchlint . | head -1`: the reader left; stop quietly (ruff's habit), exit 1 like a findings run.
        _silence_stdout()
        return EXIT_FINDINGS
    except (UsageError, ConfigError, registry.UnknownCodeError) as exc:
        print(f"torchlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in torchlint: say so, and never exit 1 ("findings") for it
        print(f"torchlint: internal error: {type(exc).__name__}: {str(exc)[:500]}", file=sys.stderr)
        return EXIT_ERROR


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _list_rules(argv: Sequence[str]) -> int:
    parser = _Parser(prog="torchlint rules", description="List every rule.")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    rules = registry.all_rules().values()
    if args.format == "json":
        print(json.dumps([
            {"code": r.code, "name": r.name, "summary": r.summary, "default": r.default,
             "fix": r.fix_applicability}
            for r in rules
        ], indent=2))  # fmt: skip
        return EXIT_CLEAN
    width = max((len(r.name) for r in rules), default=0)  # the columns line up whatever the longest name
    for r in rules:
        default = "on" if r.default else "opt-in"
        fix = f"fix: {r.fix_applicability}" if r.fix_applicability else "no fix"
        print(f"{r.code}  {r.name:<{width}}  {default:<6}  {fix:<15} {r.summary}")
    return EXIT_CLEAN


def explain_markdown(rule) -> str:
    """The rule's page as Markdown: SARIF's `help.markdown` and the language server's hover."""
    from textwrap import dedent

    def text(value) -> str:
        return dedent(value or "").strip()

    fix = f"({rule.fix_applicability}) {text(rule.fix_does)}" if rule.fix_does else "No automatic fix."
    return "\n\n".join([
        f"**{rule.code} {rule.name}**: {rule.summary}",
        "### Why it matters", text(rule.why),
        "### Example", f"```python\n{text(rule.bad)}\n```",
        "### Use instead", f"```python\n{text(rule.good)}\n```",
        "### Fix", fix,
    ])  # fmt: skip


def explain_text(rule) -> str:
    from textwrap import dedent, indent

    def block(code: str) -> str:
        return indent(dedent(code).strip("\n"), "    ")

    parts = [
        f"{rule.code} {rule.name}",
        "",
        rule.summary,
        "",
        f"On by default: {'yes' if rule.default else 'no, opt-in (enable with --extend-select ' + rule.code + ')'}",
        "",
        "Why it matters",
        indent(dedent(rule.why).strip(), "  "),
        "",
        "Example",
        block(rule.bad),
        "",
        "Use instead",
        block(rule.good),
        "",
        "Fix",
    ]
    if rule.fix_does:
        parts.append(indent(f"({rule.fix_applicability}) " + dedent(rule.fix_does).strip(), "  "))
    else:
        parts.append("  No automatic fix.")
    return "\n".join(parts)


TL000_PAGE = """TL000 could-not-analyse

A file could not be analysed, so no rule checked it (it is never written by --fix)

Not a rule: neither `--ignore` nor a baseline hides it (a file that was not checked must not pass silently)

Why it matters
  The reason follows "could not analyse:": a syntax error or a file Python rejects, a file that is
  not UTF-8 or not a regular file (a FIFO, a link to a device), not Python (`notes.txt`), a notebook
  whose JSON cannot be read, a file over `max-file-size` or over the `timeout` budget ("skipped: ..."),
  the parser crashing on deep nesting, or an internal error (exit code 2; please report it).  "fix
  withheld: ..." means a fix would have changed text outside the code it fixes, so it was not applied.

Fix
  Fix the reported problem (often a syntax error), or raise `--max-file-size`/`--timeout`
  (0: no limit).  A timeout or crash is never cached: the next run tries the file again."""


def _explain(argv: Sequence[str]) -> int:
    parser = _Parser(prog="torchlint explain", description="Document one rule.")
    parser.add_argument("code")
    args = parser.parse_args(argv)
    if args.code.upper() == "TL000":  # not a rule, but users meet it in reports and ask
        print(TL000_PAGE)
        return EXIT_CLEAN
    rule = registry.all_rules().get(args.code.upper())
    if rule is None:
        raise UsageError(f"unknown rule code {args.code!r} (see `torchlint rules`)")
    print(explain_text(rule))
    return EXIT_CLEAN


def _union(values: Optional[List[List[str]]]) -> Optional[List[str]]:
    """Repeated options add up (`--select TL3 --select TL5` is `--select TL3,TL5`)."""
    if values is None:
        return None
    merged: List[str] = []
    for codes in values:
        merged.extend(c for c in codes if c not in merged)
    return merged


def _selection(args, config):
    cli_select, cli_ignore, cli_extend = _union(args.select), _union(args.ignore), _union(args.extend_select)
    choices = (
        ("select", cli_select, "--select", config.select),
        ("ignore", cli_ignore, "--ignore", config.ignore),
        ("extend-select", cli_extend, "--extend-select", config.extend_select),
    )
    chosen = {}
    for key, from_cli, option, from_config in choices:
        value, label = (from_cli, option) if from_cli is not None else (from_config, config.where(key))
        registry.check_selectors(value or [], label)
        chosen[key] = value
    for glob, codes in config.per_file_ignores.items():
        registry.check_selectors(codes, config.where(f"per-file-ignores.{glob!r}"))
    return registry.select_rules(chosen["select"], chosen["extend-select"] or [], chosen["ignore"] or [])


def _use_color(args) -> bool:
    if args.color != "auto":
        return args.color == "always"
    if args.output_file or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


class _Sources:
    """The text lines of linted files, read on demand (for --show-source, baselines, SARIF fingerprints)."""

    def __init__(self, texts: Optional[Dict[str, str]] = None) -> None:
        self.texts: Dict[str, Optional[str]] = dict(texts or {})
        self.lines: Dict[tuple, Optional[List[str]]] = {}

    def text(self, path: str) -> Optional[str]:
        if path not in self.texts:
            try:
                self.texts[path] = read_source(path, 0).text
            except SourceError:
                self.texts[path] = None
        return self.texts[path]

    def __call__(self, finding: Finding) -> Optional[List[str]]:
        key = (finding.path, finding.cell)
        if key not in self.lines:
            text = self.text(finding.path)
            if text is None:
                self.lines[key] = None
            elif finding.cell is not None:
                self.lines[key] = cell_lines(text, finding.cell)
            else:
                self.lines[key] = [line.rstrip("\r\n") for line in split_lines(text)]  # as positions count
        return self.lines[key]


def _progress_run(job: Job, files: List[str], jobs: Optional[int], show: bool) -> List[FileResult]:
    """`run`, in batches that let a progress bar on stderr count files done (only on a terminal)."""
    if not show:
        return run(job, files, jobs)
    total = len(files)
    size = max(64, total // 50)
    results: List[FileResult] = []
    width = 30
    try:
        for start in range(0, total, size):
            done = min(start, total)
            bar = "#" * (width * done // total)
            sys.stderr.write(f"\r[{bar:<{width}}] {done}/{total} files")
            sys.stderr.flush()
            results.extend(run(job, files[start : start + size], jobs))
    finally:
        sys.stderr.write("\r" + " " * (width + 30) + "\r")
        sys.stderr.flush()
    return sorted(results, key=lambda r: r.path)


def _stdin_result(job: Job, filename: str, data: bytes) -> Tuple[FileResult, str, Optional[str]]:
    """Lint (or fix) the source read from stdin: (result, the text read, the fixed text or None)."""
    rules = [r for r in _rules_for_path(job, filename)]
    if filename.endswith(NOTEBOOK_SUFFIX):
        text = data.decode("utf-8", "replace")
        outcome = check_notebook(filename, text, rules, fix=job.mode != CHECK, unsafe=job.unsafe_fixes)
        result = FileResult(filename, outcome.findings, fixed=outcome.fixed, changed=outcome.new_text is not None)
        return result, text, outcome.new_text
    try:
        source = decode_source(filename, data)
    except SourceError as exc:
        return FileResult(filename, [internal_finding(filename, str(exc))]), "", None
    if job.mode == CHECK:
        project = None
        if job.project:  # see first-party imports, as a run on the file would
            from torchlint.analysis.project import shared_project

            project = shared_project(job.project_roots, job.cache_dir)
        return FileResult(filename, lint_source(filename, source.text, rules, project)), source.text, None
    fixed = fix_source(filename, source.text, rules, unsafe=job.unsafe_fixes)
    changed = fixed.source != source.text
    result = FileResult(filename, fixed.findings, fixed=fixed.fixed, changed=changed)
    return result, source.text, fixed.source if changed else None


def _rules_for_path(job: Job, path: str):
    rules = registry.all_rules()
    ignored = [c for glob, codes in job.per_file_ignores if matches_any(path, [glob], job.root) for c in codes]
    return [rules[c] for c in job.rule_codes if not any(c.startswith(i) for i in ignored)]


def _check(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.fix and args.diff:
        raise UsageError("--fix and --diff cannot be used together")
    if args.add_noqa and (args.fix or args.diff):
        raise UsageError("--add-noqa cannot be used with --fix or --diff")
    if args.baseline and args.baseline_write:
        raise UsageError("--baseline and --baseline-write cannot be used together")
    stdin = args.paths == ["-"]
    if "-" in args.paths and not stdin:
        raise UsageError("`-` (stdin) cannot be combined with other paths")
    if args.stdin_filename and not stdin:
        if args.paths:
            raise UsageError("--stdin-filename needs `-` as the only path")
        stdin = True  # ruff's habit: --stdin-filename alone reads stdin
    if stdin and args.add_noqa:
        raise UsageError("--add-noqa cannot be used on stdin")
    paths = args.paths or ["."]
    stdin_name = args.stdin_filename or "-"

    start = common_start([stdin_name] if stdin and args.stdin_filename else [] if stdin else paths)
    config = load_config(args.config, start=start)
    rules = _selection(args, config)
    unsafe = config.unsafe_fixes if args.unsafe_fixes is None else args.unsafe_fixes

    if not stdin:
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            raise UsageError(f"no such file or directory: {missing[0]}")
    if args.output_file:  # before the run: a --fix must not rewrite files and then fail to report
        _check_output_file(args.output_file)

    mode = FIX if args.fix else DIFF if args.diff else CHECK
    job = Job(
        mode=mode,
        rule_codes=tuple(r.code for r in rules),
        unsafe_fixes=bool(unsafe),
        per_file_ignores=tuple((g, tuple(c)) for g, c in config.per_file_ignores.items()),
        root=config.root,
        cache_dir=None if args.no_cache else cache_directory(config.root, args.cache_dir),
        max_file_size=config.max_file_size if args.max_file_size is None else args.max_file_size,
        timeout=config.timeout if args.timeout is None else args.timeout,
        screen=not args.no_screen,
    )
    sources = _Sources()
    fixed_stdin: Optional[str] = None
    if stdin:
        data = sys.stdin.buffer.read()
        if args.force_exclude and args.stdin_filename and is_force_excluded(stdin_name, config.exclude, config.root):
            results: List[FileResult] = []
            if mode == FIX:
                sys.stdout.buffer.write(data)
            return EXIT_CLEAN
        result, text, fixed_stdin = _stdin_result(job, stdin_name, data)
        sources.texts[stdin_name] = text
        results = [result]
        result.findings.sort(key=Finding.sort_key)
    else:
        files = find_files(paths, config.exclude, config.root, force_exclude=args.force_exclude)
        if not files:
            why = "every path given is excluded" if args.force_exclude else "no .py, .pyi or .ipynb files"
            print(f"torchlint: warning: no files linted ({why}): {' '.join(paths)}", file=sys.stderr)
        progress = (
            len(files) > PROGRESS_MIN_FILES and sys.stderr.isatty() and sys.stdout.isatty()
            and not args.output_file and args.format in TEXT_FORMATS and not os.environ.get("CI")
        )  # fmt: skip
        results = _progress_run(job, files, args.jobs, progress)
    findings = [f for r in results for f in r.findings]

    if args.add_noqa:
        return _add_noqa(results, sources)
    if args.baseline_write:
        count = baseline.write(args.baseline_write, findings, sources)
        print(f"torchlint: wrote a baseline of {plural(count, 'finding')} to {args.baseline_write}", file=sys.stderr)
        errors = [f for f in findings if f.code == "TL000"]
        for error in errors:
            print(text_line(error), file=sys.stderr)
        return EXIT_FINDINGS if errors and not args.exit_zero else EXIT_CLEAN
    hidden = 0
    baseline_file = args.baseline or config.baseline
    if baseline_file:
        try:
            findings, hidden = baseline.filter_new(baseline_file, findings, sources)
        except baseline.BaselineError as exc:
            raise UsageError(str(exc)) from None
    status = EXIT_FINDINGS if findings and not args.exit_zero else EXIT_CLEAN
    if any(is_internal_error(f) for f in findings):
        status = EXIT_ERROR  # torchlint itself failed on some file (a crash, a rule's bug): exit 2, like ruff

    if stdin and mode == FIX:
        # Editors read the fixed source from stdout; what remains goes to stderr.
        sys.stdout.buffer.write(fixed_stdin.encode("utf-8") if fixed_stdin is not None else data)
        sys.stdout.flush()
        for finding in findings:
            print(text_line(finding, unsafe=bool(unsafe)), file=sys.stderr)
        return status
    if mode == DIFF:
        if stdin and fixed_stdin is not None:
            results[0].diff = "".join(difflib.unified_diff(
                sources.texts[stdin_name].splitlines(keepends=True), fixed_stdin.splitlines(keepends=True),
                fromfile=f"a/{stdin_name}", tofile=f"b/{stdin_name}",
            ))  # fmt: skip
        diff = "".join(r.diff for r in results)
        errors = [f for f in findings if f.code == "TL000"]
        sys.stdout.write(diff)
        for error in errors:
            print(text_line(error), file=sys.stderr)
        if not args.quiet:
            changed = sum(1 for r in results if r.diff)
            print(f"{plural(changed, 'file')} would be changed by --fix", file=sys.stderr)
        return EXIT_FINDINGS if (diff or errors) and not args.exit_zero else EXIT_CLEAN

    report = _render(args, findings, results, rules, config, sources, bool(unsafe), hidden)
    if args.output_file:
        try:
            with open(args.output_file, "w", encoding="utf-8") as handle:
                handle.write(report)
        except OSError as exc:
            raise UsageError(f"--output-file {args.output_file}: cannot write: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(report)
        sys.stdout.flush()
    return status


def _check_output_file(path: str) -> None:
    """Create the report's folder (ruff's habit) and refuse an output file that cannot be written."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--output-file {path}: cannot create its folder: {exc.strerror or exc}") from None
    if os.path.isdir(path) or not os.access(path if os.path.exists(path) else folder, os.W_OK):
        raise UsageError(f"--output-file {path}: cannot write there")


def _render(args, findings, results, rules, config, sources, unsafe: bool, hidden: int) -> str:
    style = Style(_use_color(args))
    fmt = args.format
    if args.statistics:
        if fmt == "json":
            counts = {}
            for f in findings:
                entry = counts.setdefault(f.code, {"code": f.code, "name": f.name, "count": 0, "fixable": 0})
                entry["count"] += 1
                entry["fixable"] += is_fixable(f, unsafe)
            ordered = sorted(counts.values(), key=lambda e: (-e["count"], e["code"]))
            return json.dumps(ordered, indent=2) + "\n"
        return "".join(line + "\n" for line in render_statistics(findings, unsafe))
    if fmt == "json":
        return render_json(findings) + "\n"
    if fmt == "sarif":
        return render_sarif(findings, rules, project_root(config.root), sources) + "\n"
    if fmt == "github":
        return "".join(line + "\n" for line in render_github(findings, project_root(config.root)))
    show_source = args.show_source or fmt == "full"
    render = render_grouped if fmt == "grouped" else render_text
    lines = render(findings, style, unsafe, args.show_fixes, show_source, sources)
    if not args.quiet:
        if lines and fmt == "grouped":
            lines.append("")
        lines.append(_summary(results, findings, unsafe, hidden))
    return "".join(line + "\n" for line in lines)


def _add_noqa(results, sources: _Sources) -> int:
    added = 0
    for result in results:
        wanted: Dict[tuple, set] = {}
        for f in result.findings:
            if f.code not in ("TL000", "TL001"):
                wanted.setdefault((f.cell, f.line), set()).add(f.code)
        if not wanted:
            continue
        try:
            source_file = read_source(result.path, 0)
        except SourceError:
            continue
        if result.path.endswith(NOTEBOOK_SUFFIX):
            try:
                notebook = Notebook.parse(source_file.text)
            except NotebookError:
                continue
            text, cell_map = notebook.join()
            by_line = {cell_map.joined_line(cell, line): codes for (cell, line), codes in wanted.items() if cell}
            new_text, changed = add_noqa(text, by_line)
            if not changed:
                continue
            try:
                data = notebook.dumps(split_cells(new_text, cell_map)).encode("utf-8")
            except NotebookError:
                continue
        else:
            new_text, changed = add_noqa(source_file.text, {line: codes for (_, line), codes in wanted.items()})
            if not changed:
                continue
            data = source_file.encode(new_text)
        write_atomically(result.path, data)
        added += changed
    files = sum(1 for r in results if any(f.code not in ("TL000", "TL001") for f in r.findings))
    print(f"Added {plural(added, 'noqa directive')} in {plural(files, 'file')}.")
    return EXIT_CLEAN


def _summary(results, findings, unsafe: bool, hidden: int = 0) -> str:
    fixed = sum(r.fixed for r in results)
    parts = []
    if fixed:
        changed = sum(1 for r in results if r.changed)
        parts.append(f"Fixed {plural(fixed, 'finding')} in {plural(changed, 'file')}.")
    safe = sum(1 for f in findings if f.fix and f.fix.applicability == "safe")
    risky = sum(1 for f in findings if f.fix and f.fix.applicability == "unsafe")
    fixable = safe + risky if unsafe else safe
    line = f"{plural(len(findings), 'finding')} ({fixable} fixable) in {plural(len(results), 'file')}"
    if risky and not unsafe:
        line += f"; {risky} more fixable with --unsafe-fixes"
    if hidden:
        line += f"; {hidden} in the baseline not shown"
    parts.append(line + ".")
    return "\n".join(parts)
