"""What the project model changes on real repositories: findings per rule, per-file analysis against project.

    python benchmarks/eval_project.py REPO [REPO ...]                        # each path is one repository
    python benchmarks/eval_project.py --corpus /work/corpus --corpus /work/corpus_extra --repos LIST
    python benchmarks/eval_project.py REPO --diff                            # list every gained/lost finding
    python benchmarks/eval_project.py REPO --select TL201,TL601 -j 1

Each repository is linted twice, in fresh `python -m torchlint` processes with `--no-cache --format json`:
once with the project model off (`TORCHLINT_NO_PROJECT=1`: the per-file analysis, "before") and once with
it (the default, "after").  Findings are matched on (file, line, column, code):

- gained: only the project run reports it (a cross-file fact made it visible),
- lost:   only the per-file run reports it (a cross-file fact cleared it, e.g. the callee calls set_epoch),
- reworded: both report it with a different message (e.g. the project run names the other file).

`--repos FILE` lists repositories one a line (`owner/name`, `owner+name` or a path; `#` starts a comment);
names are looked up in the `--corpus` folders, as `benchmarks/eval_repos.py` names them.  The default
selection is the rules that read cross-file facts.  Numbers only: nothing asserts, CI does not run it;
judging each difference is the reader's job (open the file at the line, and the other file it names).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

CROSS_FILE_RULES = "TL101,TL201,TL203,TL401,TL402,TL501,TL601,TL602"

Key = Tuple[str, int, int, str]  # relative path, line, column, code


def read_list(path: str) -> List[str]:
    with open(path, encoding="utf-8") as handle:
        return [entry for entry in (line.split("#")[0].strip() for line in handle) if entry]


def resolve(entry: str, corpora: List[str]) -> Optional[str]:
    """A repository folder from a path, or from `owner/name` / `owner+name` under one of the corpora."""
    if os.path.isdir(entry):
        return os.path.abspath(entry)
    name = entry.replace("/", "+")
    for corpus in corpora:
        candidate = os.path.join(corpus, name)
        if os.path.isdir(candidate):
            return os.path.abspath(candidate)
    return None


def count_lines(repo: str) -> Tuple[int, int]:
    files = lines = 0
    for folder, dirs, names in os.walk(repo):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        for name in names:
            if name.endswith(".py"):
                files += 1
                with open(os.path.join(folder, name), "rb") as handle:
                    lines += handle.read().count(b"\n")
    return files, lines


def lint(repo: str, select: str, jobs: str, project: bool) -> Tuple[Dict[Key, dict], float, str]:
    """Findings keyed by (path relative to the repo, line, column, code); CPU seconds; an error or ''."""
    env = dict(os.environ)
    env.pop("TORCHLINT_NO_PROJECT", None)
    if not project:
        env["TORCHLINT_NO_PROJECT"] = "1"
    before = os.times()
    proc = subprocess.run(
        [sys.executable, "-m", "torchlint", "--select", select, "--format", "json", "--exit-zero",
         "--no-cache", "-j", jobs, repo],
        capture_output=True, text=True, env=env,
    )
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    try:
        findings = json.loads(proc.stdout or "[]")
    except json.JSONDecodeError:
        return {}, cpu, f"torchlint failed (exit {proc.returncode}): {proc.stderr.strip()[:300]}"
    keyed: Dict[Key, dict] = {}
    for finding in findings:
        path = os.path.relpath(finding["path"], repo)
        line = finding["line"] if not finding.get("cell") else f"cell {finding['cell']}:{finding['line']}"
        keyed[(path, line, finding["column"], finding["code"])] = finding
    return keyed, cpu, ""


def describe(key: Key, finding: dict, repo: str) -> str:
    path, line, column, code = key
    text = f"{path}:{line}:{column}: {code} {finding['message']}"
    for related in finding.get("related", ()):
        text += f"\n        related: {os.path.relpath(related['path'], repo)}:{related['line']}: {related['message']}"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repos", nargs="*", help="repository folders")
    parser.add_argument("--repos", dest="repo_list", help="file with one repository a line")
    parser.add_argument("--corpus", action="append", default=[], help="folder of owner+name repositories")
    parser.add_argument("--select", default=CROSS_FILE_RULES)
    parser.add_argument("--diff", action="store_true", help="list every gained, lost and reworded finding")
    parser.add_argument("--all", action="store_true", help="also list every project-run finding")
    parser.add_argument("-j", "--jobs", default="2")
    args = parser.parse_args()

    entries = list(args.repos) + (read_list(args.repo_list) if args.repo_list else [])
    if not entries:
        for corpus in args.corpus:  # no list: every repository of the corpora
            entries += sorted(os.path.join(corpus, n) for n in os.listdir(corpus)
                              if not n.startswith(".") and os.path.isdir(os.path.join(corpus, n)))
    repos = []
    for entry in entries:
        repo = resolve(entry, args.corpus)
        if repo is None:
            print(f"not found: {entry}", file=sys.stderr)
        else:
            repos.append(repo)
    if not repos:
        parser.error("no repositories")

    codes = [c.strip() for c in args.select.split(",") if c.strip()]
    totals: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    cpu_totals = collections.Counter()
    rows = []
    for repo in repos:
        name = os.path.basename(repo.rstrip(os.sep))
        files, lines = count_lines(repo)
        start = time.time()
        before, cpu_before, error_before = lint(repo, args.select, args.jobs, project=False)
        after, cpu_after, error_after = lint(repo, args.select, args.jobs, project=True)
        cpu_totals.update(per_file=cpu_before, project=cpu_after)
        if error_before or error_after:
            print(f"{name}: {error_before or error_after}")
            continue
        gained = sorted(set(after) - set(before), key=str)
        lost = sorted(set(before) - set(after), key=str)
        reworded = sorted((k for k in set(after) & set(before) if after[k]["message"] != before[k]["message"]),
                          key=str)
        per_rule: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        for key in before:
            per_rule[key[3]]["per_file"] += 1
        for key in after:
            per_rule[key[3]]["project"] += 1
        for label, keys in (("gained", gained), ("lost", lost), ("reworded", reworded)):
            for key in keys:
                per_rule[key[3]][label] += 1
        for code, counts in per_rule.items():
            totals[code].update(counts)
            codes += [code] if code not in codes else []
        rows.append((name, files, lines, per_rule))
        print(f"== {name}: {files} files, {lines:,} lines; per-file {len(before)}, project {len(after)}, "
              f"+{len(gained)} -{len(lost)} ~{len(reworded)} "
              f"(CPU {cpu_before:.1f} s / {cpu_after:.1f} s, {time.time() - start:.0f} s wall)", flush=True)
        if args.diff:
            for label, keys, source in (("+", gained, after), ("-", lost, before), ("~", reworded, after)):
                for key in keys:
                    print(f"  {label} {describe(key, source[key], repo)}")
                    if label == "~":
                        print(f"      was: {before[key]['message']}")
        if args.all:
            for key in sorted(after, key=str):
                print(f"  = {describe(key, after[key], repo)}")

    print()
    print(f"{len(rows)} repositories, {sum(r[1] for r in rows):,} files, {sum(r[2] for r in rows):,} lines; "
          f"CPU s per-file {cpu_totals['per_file']:.1f}, project {cpu_totals['project']:.1f}")
    header = f"{'repository':44} " + " ".join(f"{c:>15}" for c in codes)
    print("per repository, per rule: per-file/project (+gained -lost)")
    print(header)
    for name, _, _, per_rule in rows:
        cells = []
        for code in codes:
            c = per_rule.get(code, collections.Counter())
            cells.append(f"{c['per_file']}/{c['project']} +{c['gained']}-{c['lost']}" if c else "-")
        print(f"{name[:44]:44} " + " ".join(f"{cell:>15}" for cell in cells))
    print()
    print(f"{'rule':6} {'per-file':>9} {'project':>8} {'gained':>7} {'lost':>5} {'reworded':>9}")
    for code in codes:
        c = totals.get(code, collections.Counter())
        print(f"{code:6} {c['per_file']:9} {c['project']:8} {c['gained']:7} {c['lost']:5} {c['reworded']:9}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
