"""Cold-run costs side by side (issue 15): parser floors, torchlint with and without screens, flake8
with and without the plugin, TorchFix when installed -- CPU seconds (user + system, children
included), each in a fresh process.  Also checks that screening changes no finding.

    python benchmarks/bench_cold.py TREE [TREE ...] [--no-flake8] [--torchfix /work/tfvenv/bin/torchfix]
        [--torchfix-max-lines 200000] [--repeat 3]

A TREE may be several folders joined by commas (`nn,utils,distributed`): one row for all of them.
Prints one table row per tree, then the files the screens admit, the floors (what any run that analyses
files on libcst must cost: the start-up, `ast.parse` of every file, libcst's parse of the admitted files
-- and of only the files with findings, what perfect screens would leave), and per rule the lines its
text pre-check and its screen admit and the lines only its screen admits.  Asserts nothing except that
the findings are identical with and without screens (a difference is printed and the exit status is 1).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable

FLOOR = r"""
import ast, os, sys, time
files = []
for tree in sys.argv[2:]:
    if tree.startswith("@"):  # a file that lists the files to parse, one per line
        files += open(tree[1:], encoding="utf-8").read().splitlines()
        continue
    for d, _, fs in os.walk(tree):
        files += [os.path.join(d, f) for f in fs if f.endswith(".py")]
texts = []
for f in files:
    try:
        texts.append(open(f, encoding="utf-8").read())
    except (OSError, UnicodeDecodeError):
        pass
start = time.process_time()
if sys.argv[1] == "ast":
    for t in texts:
        try:
            ast.parse(t)
        except Exception:
            pass
else:
    import libcst
    parse = libcst.parse_module
    if sys.argv[1] == "engine":  # the parse torchlint runs (engine.parse: no per-node validation)
        from torchlint.engine import parse
    start = time.process_time()
    for t in texts:
        try:
            parse(t)
        except Exception:
            pass
print(time.process_time() - start, len(texts), sum(t.count("\n") for t in texts))
"""


ADMISSION = r"""
import json, os, sys
from torchlint import engine, registry
from torchlint.rule import Rule
from torchlint.rule_screens import SCREENS
from torchlint.screens import parse_facts
from torchlint.analysis.project import shared_project
rules = registry.select_rules(["ALL"] if sys.argv[1] == "all" else None)
project = shared_project(())
text = {r.code: 0 for r in rules}
screened = dict(text)
alone = dict(text)  # lines of files this rule's screen alone admits (what a sharper screen could spare)
kept = out = 0
admitted_files = []  # files some screen admits (parsed with libcst)
for tree in sys.argv[2:]:
    for d, _, fs in os.walk(tree):
        for f in fs:
            if not f.endswith(".py"):
                continue
            try:
                source = open(os.path.join(d, f), encoding="utf-8").read()
            except (OSError, UnicodeDecodeError):
                continue
            lines = source.count("\n")
            candidates = engine.rules_for(source, rules)
            facts = parse_facts(source) if candidates else None
            if facts is not None:  # as the engine screens: told the file's path and project
                facts.path, facts.project = os.path.join(d, f), project
            admitted = []  # the codes whose screen fires here
            for rule in candidates:
                text[rule.code] += lines
                if facts is None or rule.screen(facts):
                    screened[rule.code] += lines
                    admitted.append(rule.code)
            if len(admitted) == 1:
                alone[admitted[0]] += lines
            any_kept = bool(admitted)
            if any_kept:
                admitted_files.append(os.path.join(d, f))
            kept += any_kept
            out += not any_kept
has = {r.code: r.code in SCREENS or type(r).screen is not Rule.screen for r in rules}
print(json.dumps({"text": text, "screened": screened, "alone": alone, "has": has, "kept": kept, "out": out,
                  "admitted": admitted_files}))
"""


def _admission(trees):
    """Per rule run: lines its text pre-check admits, lines its screen admits (files parsed for it)."""
    which = "all" if SELECT else "default"
    done = subprocess.run([PY, "-c", ADMISSION, which, *trees], capture_output=True, text=True)
    return json.loads(done.stdout)


def _cpu(command, env=None):
    """CPU seconds of a child process tree (and its output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, done


def _floor(kind, trees):
    out = subprocess.run([PY, "-c", FLOOR, kind, *trees], capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def _libcst_parse_of(paths, repeat):
    """CPU seconds of torchlint's libcst parse (`engine.parse`) of just these files (the minimum of `repeat` runs)."""
    if not paths:
        return 0.0
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(paths))
    try:
        return min(_floor("engine", ["@" + listing.name])[0] for _ in range(max(1, repeat)))
    finally:
        os.unlink(listing.name)


def _startup(repeat):
    """CPU seconds of an interpreter that imports torchlint's CLI and libcst and does nothing else."""
    return min(_cpu([PY, "-c", "import torchlint.cli, libcst"])[0] for _ in range(max(1, repeat)))


def _floors_line(row, admission, findings, repeat) -> str:
    """What any run that analyses files on libcst must cost on this tree: the start-up, `ast.parse` of every
    file (the screens' tier) and libcst's parse of the files it analyses -- those the screens admit
    today, and those with a finding (what perfect screens would leave)."""
    start = _startup(repeat)
    admitted = admission["admitted"]
    with_findings = sorted({f["path"] for f in findings if isinstance(f, dict) and "path" in f})
    today = start + row["ast"] + _libcst_parse_of(admitted, repeat)
    perfect = start + row["ast"] + _libcst_parse_of(with_findings, repeat)
    ast_cpu = max(row["ast"], 1e-9)
    return (f"floors: start-up (python + torchlint's and libcst's imports) {start:.2f}; + ast.parse + libcst parse of "
            f"the {len(admitted)} admitted files = {today:.2f} ({today / ast_cpu:.1f}x ast.parse); with only the "
            f"{len(with_findings)} files that have findings parsed (perfect screens) {perfect:.2f} "
            f"({perfect / ast_cpu:.1f}x)")


SELECT: list = []  # `--select ALL` with --all-rules; the default rules otherwise


def _torchlint(trees, screen):
    env = dict(os.environ)
    command = [PY, "-m", "torchlint", *SELECT, "--exit-zero", "--no-cache", "-j", "1", "--format", "json", *trees]
    if not screen:
        command.insert(3, "--no-screen")
    cpu, done = _cpu(command, env)
    try:
        findings = json.loads(done.stdout or "[]")
    except ValueError:
        findings = done.stdout.splitlines()
    return cpu, findings


# flake8 runs every installed plugin whatever --select says: "without the plugin" drops torchlint's
# entry point from flake8's plugin discovery.
FLAKE8 = r"""
import sys
import flake8.plugins.finder as finder
if sys.argv[1] == "without":
    found = finder._find_importlib_plugins
    finder._find_importlib_plugins = lambda: (p for p in found() if not p.entry_point.value.startswith("torchlint"))
from flake8.main.cli import main
sys.exit(main(sys.argv[2:]))
"""


# flake8's default selection (what a user with torchlint installed runs: its opt-in rules off), every
# plugin computing everything as usual; only the reports of pycodestyle and pyflakes but E9 are dropped,
# so that printing them does not weigh on both sides.  `--isolated`: the tree's own flake8 configuration
# is not read.
QUIET = ["--isolated", "--extend-ignore", "E1,E2,E3,E4,E5,E7,W,F,C9"]


def _flake8(trees, plugin):
    command = [PY, "-c", FLAKE8, "with" if plugin else "without", "-j", "1", *QUIET, "--exit-zero", *trees]
    cpu, done = _cpu(command)
    return cpu, done.stdout.count("\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--no-flake8", action="store_true")
    parser.add_argument("--torchfix", default=None, help="the torchfix executable of a scratch venv")
    parser.add_argument("--torchfix-max-lines", type=int, default=200_000,
                        help="skip TorchFix on larger trees (it takes ~1.7 CPU-ms a line)")
    parser.add_argument("--all-rules", action="store_true", help="torchlint --select ALL (default: the default rules)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the floors, torchlint and flake8 N times, alternating, and keep each one's minimum"
                             " (a shared machine's load swings between runs; TorchFix runs once)")
    args = parser.parse_args(argv)
    if args.all_rules:
        SELECT[:] = ["--select", "ALL"]
    rows = []
    status = 0
    for tree in args.trees:
        trees = tree.split(",")
        best: dict = {}
        for _ in range(max(1, args.repeat)):  # alternating: A B C D A B C D ..., each one's minimum kept
            measured = {"ast": _floor("ast", trees), "libcst": _floor("libcst", trees),
                        "screened": _torchlint(trees, True), "full": _torchlint(trees, False)}  # fmt: skip
            if not args.no_flake8:
                measured["flake8"] = _flake8(trees, False)
                measured["flake8_tl"] = _flake8(trees, True)
            for key, value in measured.items():
                if key not in best or value[0] < best[key][0]:
                    best[key] = value
        ast_cpu, files, lines = best["ast"]
        cst_cpu = best["libcst"][0]
        screened_cpu, screened = best["screened"]
        full_cpu, full = best["full"]
        same = screened == full
        if not same:
            status = 1
            print(f"DIFFERENCE in {tree}:", file=sys.stderr)
            for item in full:
                if item not in screened:
                    print("  lost:", item, file=sys.stderr)
            for item in screened:
                if item not in full:
                    print("  new:", item, file=sys.stderr)
        name = "+".join(os.path.basename(t.rstrip("/")) for t in trees)
        row = dict(tree=name, files=files, lines=lines, ast=ast_cpu, libcst=cst_cpu,
                   screened=screened_cpu, full=full_cpu, findings=len(full), same=same)  # fmt: skip
        if not args.no_flake8:
            row["flake8"], row["flake8_tl"] = best["flake8"][0], best["flake8_tl"][0]
        if args.torchfix and lines <= args.torchfix_max_lines:
            row["torchfix"], _ = _cpu([args.torchfix, "--select", "ALL", *trees])
        admission = _admission(trees)
        row["parsed"], row["screened_out"] = admission["kept"], admission["out"]
        rows.append(row)
        _print([row])
        print(f"files parsed with screens: {admission['kept']}, screened out (or no rule's text): {admission['out']}")
        print(_floors_line(row, admission, screened, args.repeat))
        print("lines admitted per rule (text pre-check -> screen; '(text)': no screen):")
        text, screened, has = admission["text"], admission["screened"], admission["has"]
        print("  " + ", ".join(
            f"{code} {text[code]:,}->{screened[code]:,}{'' if has[code] else ' (text)'}"
            for code in sorted(text, key=lambda c: -screened[c]) if text[code]
        ))  # fmt: skip
        alone = admission["alone"]
        print("lines of files only this rule's screen admits (what a sharper screen could spare):")
        print("  " + (", ".join(f"{code} {alone[code]:,}" for code in sorted(alone, key=lambda c: -alone[c])
                                if alone[code]) or "none"))  # fmt: skip
    print()
    _print(rows)
    return status


def _print(rows):
    print("| tree | files | lines | ast.parse | libcst parse | torchlint -j1 screens | torchlint -j1 --no-screen |"
          " x ast | flake8 | flake8+TL | x flake8 | TorchFix | x TorchFix | findings same |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        f8 = r.get("flake8")
        f8tl = r.get("flake8_tl")
        ratio = f"{f8tl / f8:.2f}" if f8 and f8tl else "-"
        f8, f8tl = _seconds(f8), _seconds(f8tl)
        times = f"{r['ast']:.2f} | {r['libcst']:.2f} | {r['screened']:.2f} | {r['full']:.2f}"
        print(f"| {r['tree']} | {r['files']} | {r['lines']:,} | {times} "
              f"| {r['screened'] / max(r['ast'], 1e-9):.1f} | {f8} | {f8tl} | {ratio} "
              f"| {_seconds(r.get('torchfix'))} | {_times(r.get('torchfix'), r['screened'])} "
              f"| {'yes' if r['same'] else 'NO'} ({r['findings']}) |")  # fmt: skip
    sys.stdout.flush()


def _seconds(cpu):
    return "-" if cpu is None else f"{cpu:.2f}"


def _times(cpu, torchlint_cpu):
    """`x TorchFix`: TorchFix's CPU over torchlint's (with screens)."""
    return "-" if cpu is None else f"{cpu / max(torchlint_cpu, 1e-9):.0f}x"


if __name__ == "__main__":
    tempfile.tempdir = None
    sys.exit(main())
