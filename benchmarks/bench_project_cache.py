"""Cost of the project model and the content cache on a large real tree.

    python benchmarks/bench_project_cache.py                  # /work/corpus (the fetched training repos)
    python benchmarks/bench_project_cache.py --tree DIR -j 2

Works on a copy of the tree's .py files in a temporary folder (the edit step changes one file) and
times fresh `python -m torchlint` processes, each including interpreter start, imports, discovery
and output, as a user pays them:

- per-file:   `--no-cache` with the project model off (TORCHLINT_NO_PROJECT=1): today's analysis
- project:    `--no-cache` with the project model (cross-file summaries on demand)
- cold cache: an empty cache folder (project model, cache written)
- warm:       the same again, nothing changed
- one edit:   one leaf module (a file no other file imports) gets a comment line appended

`--in-process` measures instead the project model's cold overhead alone, without process start-up
or discovery: every file linted twice in one process, per-file and with the project model, in
alternating order (CPU seconds of each; robust on a busy machine, where two separate runs differ
by more than the overhead), plus how many modules the project summarised and parsed.

Numbers only: nothing asserts, CI does not run it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time


def copy_tree(source: str, target: str) -> int:
    count = 0
    for folder, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                rel = os.path.relpath(os.path.join(folder, name), source)
                os.makedirs(os.path.join(target, os.path.dirname(rel)), exist_ok=True)
                shutil.copyfile(os.path.join(folder, name), os.path.join(target, rel))
                count += 1
    return count


def lines_in(tree: str) -> int:
    total = 0
    for folder, _, files in os.walk(tree):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                total += handle.read().count(b"\n")
    return total


CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKDIR = [None]  # the scratch folder the runs start in
CPU = {}  # wall seconds -> CPU seconds of that run (user + system, all its processes)


def timed(args, env=None) -> float:
    """Wall seconds of one torchlint run (its CPU seconds are kept in CPU: wall is noisy on a busy box)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # cwd: `python -m` puts the working directory first on sys.path, ahead of the code snapshot
    subprocess.run([sys.executable, "-m", "torchlint", "--exit-zero", "-q", "--format", "json", *args],
                   stdout=subprocess.DEVNULL, env=env, check=False, cwd=WORKDIR[0])  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU[wall] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall


def leaf_module(tree: str) -> str:
    """A sizeable module whose name no other file mentions (so nothing imports it)."""
    candidates = []
    for folder, _, files in os.walk(tree):
        for name in files:
            if name.endswith(".py") and name != "__init__.py":
                path = os.path.join(folder, name)
                candidates.append((os.path.getsize(path), path))
    candidates.sort(reverse=True)
    texts = []
    for folder, _, files in os.walk(tree):
        for name in files:
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as handle:
                texts.append(handle.read())
    blob = "\n".join(texts)
    for size, path in candidates[len(candidates) // 2:]:  # a middle-sized file: about one file's work
        stem = os.path.splitext(os.path.basename(path))[0]
        if blob.count(stem) <= 1 and size > 2000:
            return path
    return candidates[len(candidates) // 2][1]


def in_process(tree: str) -> int:
    """Per-file vs project model, file by file in one process (see the module docstring)."""
    sys.path.insert(0, CHECKOUT)
    from torchlint import registry
    from torchlint.analysis import project as P
    from torchlint.engine import lint_source

    paths = []
    for folder, dirs, names in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        paths += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".py")]
    rules = [r for c, r in sorted(registry.all_rules().items()) if c != "TL001" and getattr(r, "default", True)]
    project = P.Project.for_paths([tree])
    parses = [0]
    real_parse = P._parse

    def counting_parse(*args):
        parses[0] += 1
        return real_parse(*args)

    P._parse = counting_parse
    cpu = {False: 0.0, True: 0.0}
    findings = {False: 0, True: 0}
    for index, path in enumerate(paths):
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        for with_project in ((False, True) if index % 2 else (True, False)):
            start = time.process_time()
            if with_project:
                with project.recording():
                    found = lint_source(path, text, rules, project)
            else:
                found = lint_source(path, text, rules, None)
            cpu[with_project] += time.process_time() - start
            findings[with_project] += len(found)
    print(f"tree: {tree} ({len(paths)} .py files), in one process, default rules")
    print(f"per-file analysis   {cpu[False]:8.2f} CPU s  {findings[False]} findings")
    print(f"project model       {cpu[True]:8.2f} CPU s  {findings[True]} findings  "
          f"{(cpu[True] / max(cpu[False], 1e-9) - 1) * 100:+.1f} %")
    print(f"modules summarised by the project: {project.summarised}, libcst parses of modules not linted: {parses[0]}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", default="/work/corpus")
    parser.add_argument("-j", "--jobs", default="2")
    parser.add_argument("--repeat", type=int, default=1, help="take the best of N runs of each step")
    parser.add_argument("--in-process", action="store_true", help="the project model's cold overhead alone")
    args = parser.parse_args()
    if args.in_process:
        return in_process(args.tree)

    with tempfile.TemporaryDirectory(prefix="torchlint-bench-") as scratch:
        # A snapshot of torchlint's own code: the cache keys on it, so edits made to the checkout
        # while the benchmark runs must not change what is measured.
        code = os.path.join(scratch, "code")
        for part in ("torchlint", "rules", "fixers"):
            shutil.copytree(os.path.join(CHECKOUT, part), os.path.join(code, part),
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        os.environ["PYTHONPATH"] = code + os.pathsep + os.environ.get("PYTHONPATH", "")
        tree = os.path.join(scratch, "tree")
        files = copy_tree(args.tree, tree)
        print(f"tree: {args.tree} ({files} .py files, {lines_in(tree):,} lines), -j {args.jobs}")
        cache = os.path.join(scratch, "cache")
        WORKDIR[0] = scratch
        common = ["-j", args.jobs, tree]
        off = dict(os.environ, TORCHLINT_NO_PROJECT="1")

        def best(step):
            return min(step() for _ in range(max(1, args.repeat)))

        def show(label, wall, note=""):
            print(f"{label:34} {wall:8.2f} {CPU[wall]:8.2f}  {note}", flush=True)

        print(f"{'step':34} {'wall s':>8} {'CPU s':>8}", flush=True)

        def cold():
            shutil.rmtree(cache, ignore_errors=True)
            return timed(["--cache-dir", cache, *common])

        cold_cache = best(cold)
        show("project model, cold cache", cold_cache)
        warm = best(lambda: timed(["--cache-dir", cache, *common]))
        show("warm re-run, nothing changed", warm)
        leaf = leaf_module(tree)

        def edit():
            with open(leaf, "a", encoding="utf-8") as handle:
                handle.write("# edited by bench_project_cache\n")
            return timed(["--cache-dir", cache, *common])

        edited = best(edit)
        show("one leaf module edited", edited, os.path.relpath(leaf, tree))
        single = best(lambda: timed(["--no-cache", "-j", "1", leaf], env=off))
        show("  that one file alone, no cache", single)
        per_file = best(lambda: timed(["--no-cache", *common], env=off))
        show("per-file analysis, no cache", per_file)
        project = best(lambda: timed(["--no-cache", *common]))
        show("project model, no cache", project, f"{(project / per_file - 1) * 100:+.1f} % wall, "
                                                  f"{(CPU[project] / CPU[per_file] - 1) * 100:+.1f} % CPU vs per-file")
        print(f"cold cache vs per-file: {(CPU[cold_cache] / CPU[per_file] - 1) * 100:+.1f} % CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
