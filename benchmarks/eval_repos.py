"""Lint a corpus of fetched public training repositories and print per-rule counts.

    python benchmarks/eval_repos.py CORPUS_DIR                 # every repo folder under CORPUS_DIR
    python benchmarks/eval_repos.py CORPUS_DIR --select TL401  # only some rules
    python benchmarks/eval_repos.py CORPUS_DIR --findings      # also print every finding (to read and judge)
    python benchmarks/eval_repos.py CORPUS_DIR --repos benchmarks/repos.txt

CORPUS_DIR holds one folder per repository (e.g. `facebookresearch+moco/`), exported from
the fetched snapshots; their code is never committed here.  `benchmarks/repos.txt` lists the
repositories used in the closing notes.  Numbers only: nothing asserts, CI does not run it.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--select", default="ALL")
    parser.add_argument("--repos", help="file with one owner/name (or owner+name) per line")
    parser.add_argument("--findings", action="store_true", help="print every finding")
    parser.add_argument("-j", "--jobs", default="2")
    args = parser.parse_args()

    names = sorted(n for n in os.listdir(args.corpus) if os.path.isdir(os.path.join(args.corpus, n)))
    if args.repos:
        with open(args.repos, encoding="utf-8") as handle:
            wanted = {line.split("#")[0].strip().replace("/", "+") for line in handle} - {""}
        names = [n for n in names if n in wanted]
    per_rule: collections.Counter = collections.Counter()
    per_repo_rule: dict = {}
    for name in names:
        repo = os.path.join(args.corpus, name)
        proc = subprocess.run(
            [sys.executable, "-m", "torchlint", "--select", args.select, "--format", "json", "--exit-zero",
             "-j", args.jobs, "--no-cache", repo],
            capture_output=True, text=True,
        )
        if proc.returncode != 0 and "--no-cache" in proc.stderr:  # an older torchlint without a cache
            proc = subprocess.run(
                [sys.executable, "-m", "torchlint", "--select", args.select, "--format", "json", "--exit-zero",
                 "-j", args.jobs, repo],
                capture_output=True, text=True,
            )
        try:
            findings = json.loads(proc.stdout or "[]")
        except json.JSONDecodeError:
            print(f"{name}: torchlint failed (exit {proc.returncode}): {proc.stderr.strip()[:300]}")
            continue
        counts = collections.Counter(f["code"] for f in findings)
        per_repo_rule[name] = counts
        per_rule.update(counts)
        if args.findings:
            for f in findings:
                path = os.path.relpath(f["path"], args.corpus)
                cell = f"cell {f['cell']}:" if f.get("cell") else ""
                print(f"{path}:{cell}{f['line']}:{f['column']}: {f['code']} {f['message']}")
    print()
    print(f"{len(names)} repositories")
    for name in names:
        counts = per_repo_rule.get(name)
        if counts:
            print(f"  {name}: " + ", ".join(f"{c} {n}" for c, n in sorted(counts.items())))
    print("per rule: " + (", ".join(f"{c} {n}" for c, n in sorted(per_rule.items())) or "no findings"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
