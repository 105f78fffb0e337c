"""Throughput of torchlint on a large real tree, next to libcst's bare parser.

    python benchmarks/run_benchmark.py                 # nn/, utils/, distributed/ of the installed torch
    python benchmarks/run_benchmark.py --tree DIR ...  # any other tree
    python benchmarks/run_benchmark.py --profile       # also: where the single-process time goes

Each measurement runs in a fresh interpreter (a child process of this script), so that its
peak memory is its own and its wall time includes what a user pays: interpreter start,
importing torchlint and libcst, discovering the rules and the files, and writing the output.
The bare-parse baseline reads the same files and calls `libcst.parse_module` on each, in one
process.  Numbers only: nothing here asserts, and CI does not run it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from typing import Dict, List

SELF = os.path.abspath(__file__)


def default_tree() -> List[str]:
    """nn/, utils/ and distributed/ of the installed torch, located without importing torch."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("torch is not installed here: pass --tree PATH")
    root = list(spec.submodule_search_locations)[0]
    return [os.path.join(root, sub) for sub in ("nn", "utils", "distributed")]


def _usage() -> Dict[str, float]:
    """Peak memory and CPU seconds of this process and of its (waited-for) children."""
    # ru_maxrss is KiB on Linux (bytes on macOS); RUSAGE_CHILDREN is the largest single child.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "self_mib": own.ru_maxrss / scale,
        "children_mib": children.ru_maxrss / scale,
        "cpu_s": own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime,
    }


# -- the child side: one measurement, reported as one JSON line on stderr ---------------
def _files(tree: List[str]) -> List[str]:
    from torchlint.discovery import find_files

    return find_files(tree)


def measure_parse(tree: List[str]) -> dict:
    import libcst as cst

    files = _files(tree)
    lines = parse_seconds = parse_cpu_s = 0.0
    failures = 0
    start = time.perf_counter()
    for path in files:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        lines += text.count("\n")
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            cst.parse_module(text)
        except Exception:  # count, don't stop: torchlint reports these as TL000
            failures += 1
        parse_seconds += time.perf_counter() - t0
        parse_cpu_s += time.process_time() - c0
    return {"files": len(files), "lines": int(lines), "parse_s": parse_seconds, "parse_cpu_s": parse_cpu_s,
            "read_and_parse_s": time.perf_counter() - start, "failures": failures}  # fmt: skip


def measure_torchlint(tree: List[str], jobs: int) -> dict:
    from torchlint import cli, registry

    argv = ["--select", "ALL", "--exit-zero", "-j", str(jobs), *tree]
    saved = sys.stdout
    sys.stdout = open(os.devnull, "w")  # findings are printed, as for a user, but not shown
    try:
        start = time.perf_counter()
        code = cli.main(argv)
        seconds = time.perf_counter() - start
    finally:
        sys.stdout.close()
        sys.stdout = saved
    return {"exit": code, "cli_s": seconds, "rules": len(registry.all_rules())}


def child(kind: str, tree: List[str], jobs: int) -> None:
    result = measure_parse(tree) if kind == "parse" else measure_torchlint(tree, jobs)
    result.update(_usage())
    print(json.dumps(result), file=sys.stderr)


# -- the parent side --------------------------------------------------------------------
def spawn(kind: str, tree: List[str], jobs: int = 1) -> dict:
    command = [sys.executable, SELF, "--_child", kind, "-j", str(jobs), "--tree", *tree]
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    lines = [line for line in done.stderr.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        sys.exit(f"{kind} run failed:\n{done.stderr}")
    result = json.loads(lines[-1])
    result["wall_s"] = wall
    return result


def best(kind: str, tree: List[str], jobs: int, repeat: int) -> dict:
    runs = [spawn(kind, tree, jobs) for _ in range(repeat)]
    return min(runs, key=lambda r: r["wall_s"])


def profile(tree: List[str], limit: int) -> None:
    """cProfile of a single-process run (in this process), sorted by own time and by cumulative."""
    import cProfile
    import pstats

    from torchlint import registry
    from torchlint.runner import Job, run

    files = _files(tree)
    job = Job(rule_codes=tuple(registry.all_rules()))
    profiler = cProfile.Profile()
    profiler.enable()
    run(job, files, jobs=1)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=sys.stdout)
    for order in ("tottime", "cumulative"):
        print(f"\n--- profile, top {limit} by {order} ---")
        stats.sort_stats(order).print_stats(limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", nargs="+", metavar="PATH", help="directories/files to lint")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, help="processes for the parallel run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest is reported")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of a single-process run")
    parser.add_argument("--profile-limit", type=int, default=30)
    parser.add_argument("--_child", choices=("parse", "torchlint"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    tree = [os.path.abspath(p) for p in (args.tree or default_tree())]
    if args._child:
        child(args._child, tree, args.jobs)
        return

    print("tree:", *tree, sep="\n  ")
    parse = best("parse", tree, 1, args.repeat)
    lines, files = parse["lines"], parse["files"]
    print(f"files: {files}   lines: {lines}   cpus: {os.cpu_count()}   python: {sys.version.split()[0]}")
    parse_rate, parse_cpu_rate = lines / parse["parse_s"], lines / parse["parse_cpu_s"]
    print(f"\nlibcst parse_module, 1 process, parse calls only: {parse['parse_s']:.2f}s wall, "
          f"{parse['parse_cpu_s']:.2f}s CPU -> {parse_rate:,.0f} lines/s wall, {parse_cpu_rate:,.0f} lines/CPU-s"
          f"\n  (whole process: {parse['wall_s']:.2f}s wall, {parse['cpu_s']:.2f}s CPU; "
          f"peak {parse['self_mib']:.0f} MiB)"
          + (f"  ({parse['failures']} files failed to parse)" if parse["failures"] else ""))  # fmt: skip

    runs = [(1, best("torchlint", tree, 1, args.repeat))]
    if args.jobs > 1:
        runs.append((args.jobs, best("torchlint", tree, args.jobs, args.repeat)))
    print(f"\ntorchlint --select ALL ({runs[0][1]['rules']} rules), "
          "whole process (start-up, discovery, output included):")
    print(f"  {'-j':>3} {'wall s':>8} {'CPU s':>8} {'lines/s':>9} {'lines/CPU-s':>12} {'vs parse':>9} "
          f"{'peak MiB':>9} {'worker MiB':>11}")  # fmt: skip
    for jobs, run in runs:
        rate, cpu_rate = lines / run["wall_s"], lines / run["cpu_s"]
        ratio = rate / parse_rate if jobs == 1 else cpu_rate / parse_cpu_rate
        workers = f"{run['children_mib']:.0f}" if jobs > 1 else "-"
        print(f"  {jobs:>3} {run['wall_s']:8.2f} {run['cpu_s']:8.2f} {rate:9,.0f} {cpu_rate:12,.0f} "
              f"{ratio:8.0%} {run['self_mib']:9.0f} {workers:>11}")  # fmt: skip
    if len(runs) > 1:
        print(f"  speed-up -j{runs[1][0]} over -j1 (wall): {runs[0][1]['wall_s'] / runs[1][1]['wall_s']:.2f}x")
    single = runs[0][1]
    print(f"\nsingle-process throughput vs bare parse_module: "
          f"{lines / single['wall_s'] / parse_rate:.0%} by wall time, "
          f"{lines / single['cpu_s'] / parse_cpu_rate:.0%} by CPU time (the fairer number on a busy machine)")
    if args.profile:
        profile(tree, args.profile_limit)


if __name__ == "__main__":
    main()
