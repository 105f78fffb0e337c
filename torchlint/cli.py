"""`torchlint [OPTIONS] [PATH ...]`, `torchlint rules`, `torchlint explain CODE`.

Exit codes: 0 nothing found (after fixes), 1 findings remain (or --diff has changes),
2 usage or internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List, Optional, Sequence

from torchlint import __version__, registry
from torchlint.cache import default_directory as cache_directory
from torchlint.config import ConfigError, load_config
from torchlint.discovery import find_files
from torchlint.output import plural, render_json, text_line
from torchlint.runner import CHECK, DIFF, FIX, Job, is_internal_error, run

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SUBCOMMANDS = ("check", "rules", "explain")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one clear line on stderr and exit code 2."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message)


def _codes(value: str) -> List[str]:
    return [code.strip().upper() for code in value.split(",") if code.strip()]


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
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    parser.add_argument("--select", type=_codes, help="only these codes or prefixes (e.g. TL3,TL501, or ALL)")
    parser.add_argument("--extend-select", type=_codes, default=None, help="add codes to the selection")
    parser.add_argument("--ignore", type=_codes, help="skip these codes or prefixes")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    parser.add_argument("--unsafe-fixes", action="store_true", default=None,
                        help="also apply fixes that may change behaviour (with --fix or --diff)")
    parser.add_argument("--diff", action="store_true", help="print the diff --fix would apply; write nothing")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    parser.add_argument("-j", "--jobs", type=_jobs, default=None, help="processes (default: CPU count)")
    parser.add_argument("--config", metavar="FILE", help="pyproject.toml to read instead of searching upward")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    parser.add_argument("--max-file-size", type=_amount(int), default=None, metavar="BYTES",
                        help="skip larger files, reporting TL000 (default 5000000; 0: no cap)")
    parser.add_argument("--timeout", type=_amount(float), default=None, metavar="SECONDS",
                        help="per-file time budget; a slower file is skipped, reporting TL000 (default 20; 0: none)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
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
    except (UsageError, ConfigError, registry.UnknownCodeError) as exc:
        print(f"torchlint: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in torchlint: say so, and never exit 1 ("findings") for it
        print(f"torchlint: internal error: {type(exc).__name__}: {str(exc)[:500]}", file=sys.stderr)
        return EXIT_ERROR


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
    for r in rules:
        default = "on " if r.default else "off"
        fix = f"fix: {r.fix_applicability}" if r.fix_applicability else "no fix"
        print(f"{r.code}  {r.name:<32} {default}  {fix:<15} {r.summary}")
    return EXIT_CLEAN


def explain_text(rule) -> str:
    from textwrap import dedent, indent

    def block(code: str) -> str:
        return indent(dedent(code).strip("\n"), "    ")

    parts = [
        f"{rule.code} {rule.name}",
        "",
        rule.summary,
        "",
        f"On by default: {'yes' if rule.default else 'no (enable with --select ' + rule.code + ')'}",
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


def _explain(argv: Sequence[str]) -> int:
    parser = _Parser(prog="torchlint explain", description="Document one rule.")
    parser.add_argument("code")
    args = parser.parse_args(argv)
    rule = registry.all_rules().get(args.code.upper())
    if rule is None:
        raise UsageError(f"unknown rule code {args.code!r} (see `torchlint rules`)")
    print(explain_text(rule))
    return EXIT_CLEAN


def _check(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.fix and args.diff:
        raise UsageError("--fix and --diff cannot be used together")
    config = load_config(args.config)
    select = args.select if args.select is not None else config.select
    ignore = args.ignore if args.ignore is not None else config.ignore
    extend_select = args.extend_select if args.extend_select is not None else config.extend_select
    for option, selectors in (("--select", select or []), ("--ignore", ignore),
                              ("--extend-select", extend_select)):  # fmt: skip
        registry.check_selectors(selectors, option)
    for codes in config.per_file_ignores.values():
        registry.check_selectors(codes, "per-file-ignores")
    rules = registry.select_rules(select, extend_select, ignore)
    unsafe = config.unsafe_fixes if args.unsafe_fixes is None else args.unsafe_fixes

    paths = args.paths or ["."]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise UsageError(f"no such file or directory: {missing[0]}")
    files = find_files(paths, config.exclude, config.root)

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
    )
    results = run(job, files, args.jobs)
    findings = [f for r in results for f in r.findings]
    errors = [f for f in findings if f.code == "TL000"]

    if mode == DIFF:
        diff = "".join(r.diff for r in results)
        sys.stdout.write(diff)
        for error in errors:
            print(text_line(error), file=sys.stderr)
        if not args.quiet:
            changed = sum(1 for r in results if r.diff)
            print(f"{plural(changed, 'file')} would be changed by --fix", file=sys.stderr)
        return EXIT_FINDINGS if (diff or errors) and not args.exit_zero else EXIT_CLEAN

    if args.format == "json":
        print(render_json(findings))
    else:
        for finding in findings:
            print(text_line(finding))
        if not args.quiet:
            _print_summary(results, findings, unsafe)
    if any(is_internal_error(f) for f in findings):
        return EXIT_ERROR  # torchlint itself failed on some file (a crash, a rule's bug): exit 2, like ruff
    if findings and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _print_summary(results, findings, unsafe: bool) -> None:
    fixed = sum(r.fixed for r in results)
    if fixed:
        changed = sum(1 for r in results if r.changed)
        print(f"Fixed {plural(fixed, 'finding')} in {plural(changed, 'file')}.")
    safe = sum(1 for f in findings if f.fix and f.fix.applicability == "safe")
    risky = sum(1 for f in findings if f.fix and f.fix.applicability == "unsafe")
    fixable = safe + risky if unsafe else safe
    line = f"{plural(len(findings), 'finding')} ({fixable} fixable) in {plural(len(results), 'file')}"
    if risky and not unsafe:
        line += f"; {risky} more fixable with --unsafe-fixes"
    print(line + ".")
