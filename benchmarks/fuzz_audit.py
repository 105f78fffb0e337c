"""Re-runnable reliability audit (issue 14): hostile and fuzzed programs through lint and --fix.

    python benchmarks/fuzz_audit.py --seconds 300 [--corpus /work/corpus] [--save-failures DIR]

Two sources of programs, each for half the time:
  * hypothesmith programs (valid Python from the grammar, with odd layout: comments,
    form feeds, backslash continuations), each joined to a rule's `bad` example so that
    some fix applies next to the odd layout;
  * mutations of real training files under --corpus (line endings, form feeds, U+2028,
    dedented comments, noqa comments, truncation, duplicated blocks, deep nesting).

Each program is linted and fixed (safe and unsafe fixes) in a supervised worker process
(torchlint/supervisor.py) with a time budget, and must pass:
  no crash / no hang       the worker neither dies nor overruns --budget seconds
  no internal error        no TL000 "internal error" (a rule or the engine raised)
  kept outside the fix     no comment, form feed, backslash continuation or blank line lost
                           (counted over the whole file: fixes may move code, never drop these)
  compiles                 the fixed text compiles if the input did
  idempotent               fixing the fixed text changes nothing
A fix torchlint withholds itself (TL000 "fix withheld") is counted, not a failure.
Needs the `fuzz` extra: pip install -e .[fuzz]
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import random
import re
import sys
import textwrap
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from torchlint import registry, supervisor  # noqa: E402
from torchlint.engine import lint_source  # noqa: E402
from torchlint.fixing import fix_source  # noqa: E402

# Lint where the CLI under test lints: deep-stack supervised workers where its runner has them
# (issue 14), the main thread of a plain process before (so a C-stack overflow shows as a crash).
DEEP = hasattr(__import__("torchlint.runner").runner, "DEFAULT_TIMEOUT")
_COMMENT = re.compile(r"#[^\r\n]*")
_BLANK = re.compile(r"^[ \t\x0c]*$", re.MULTILINE)


def _compiles(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(text, "<audit>", "exec", dont_inherit=True)
            return True
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False


def _lost(before: str, after: str) -> list:
    """What `after` lost of `before` (counted): comments, form feeds, continuations, blank lines."""
    lost = []
    comments = collections.Counter(c.rstrip() for c in _COMMENT.findall(before))
    comments.subtract(c.rstrip() for c in _COMMENT.findall(after))
    if any(n > 0 for n in comments.values()):
        lost.append("comment")
    if after.count("\x0c") < before.count("\x0c"):
        lost.append("form feed")
    if after.count("\\\n") + after.count("\\\r") < before.count("\\\n") + before.count("\\\r"):
        lost.append("backslash continuation")
    if len(_BLANK.findall(after)) < len(_BLANK.findall(before)):
        lost.append("blank line")
    if before.endswith(("\r", "\n")) and not after.endswith(("\r", "\n")):
        lost.append("final line break")
    return lost


def check_program(rules, program: str) -> dict:
    """Lint and fix one program; the problems found (empty: all promises kept)."""
    problems, notes = [], []
    findings = lint_source("audit.py", program, rules)
    if any(f.code == "TL000" and "internal error" in f.message for f in findings):
        problems.append("internal error (lint)")
    fixed = fix_source("audit.py", program, rules, unsafe=True)
    if any(f.code == "TL000" and "internal error" in f.message for f in fixed.findings):
        problems.append("internal error (fix)")
    for finding in fixed.findings:
        if "fix withheld" in finding.message:
            notes.append("withheld")
            reason = re.sub(r"TL\d+|line \d+|`.*`|\(.*\)", "...", finding.message.split("fix withheld: ")[1])
            notes.append("withheld: " + reason[:80])
    if fixed.source != program:
        notes.append("fixed")
        problems.extend(f"lost {what}" for what in _lost(program, fixed.source))
        if _compiles(program) and not _compiles(fixed.source):
            problems.append("fixed text does not compile")
        again = fix_source("audit.py", fixed.source, rules, unsafe=True)
        if again.source != fixed.source:
            problems.append("not idempotent")
    return {"problems": problems, "notes": notes}


# -- program sources -------------------------------------------------------------------------
def _bad_examples(rules) -> list:
    return [textwrap.dedent(r.bad).strip("\n") + "\n" for r in rules if getattr(r, "bad", None)]


def hypothesmith_programs(seed: int, count: int, bad: list) -> list:
    import hypothesmith
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    programs: list = []
    rng = random.Random(seed)

    @settings(max_examples=count, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node()))
    def collect(source):
        example = rng.choice(bad)
        programs.append(example + "\n" + source if rng.random() < 0.5 else source.rstrip("\n") + "\n\n" + example)

    collect()
    return programs


_SEPARATORS = ["\u2028", "\u2029", "\x1c", "\x1d", "\x1e", "\x0c", "\x85", "\x0b"]


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True) or ["\n"]
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(10)
        at = rng.randrange(len(lines) + 1)
        if kind == 0:
            ending = rng.choice(["\r\n", "\r"])
            lines = [re.sub(r"\r\n|\r|\n", ending, line) for line in lines]
        elif kind == 1:
            lines.insert(at, "\x0c\n")
        elif kind == 2:
            lines.insert(at, " " * rng.choice([0, 2, 4, 8]) + "# audit note\n")
        elif kind == 3:
            lines.insert(at, "# odd separator " + rng.choice(_SEPARATORS) + " here\n")
        elif kind == 4 and lines:
            line = lines[at - 1] if at else lines[0]
            lines[max(at - 1, 0)] = line.rstrip("\r\n") + "  # noqa\n"
        elif kind == 5:
            text = "".join(lines)
            return text[: rng.randrange(len(text) + 1)]
        elif kind == 6 and len(lines) > 4:
            start = rng.randrange(len(lines) - 3)
            lines[start:start] = lines[start : start + 3]
        elif kind == 7:
            depth = rng.choice([50, 300, 2000])
            lines.insert(at, "x = " + "(" * depth + "1" + ")" * depth + "\n")
        elif kind == 8:
            lines = [line.replace(" = ", " = \\\n    ", 1) if rng.random() < 0.05 else line for line in lines]
        else:
            lines.append(rng.choice(["# trailing comment\n", "    # indented trailing comment\n", "\n\n"]))
    return "".join(lines)


def corpus_programs(corpus: str, seed: int, count: int) -> list:
    rng = random.Random(seed)
    files = sorted(glob.glob(os.path.join(corpus, "**", "*.py"), recursive=True))
    files = [f for f in files if os.path.getsize(f) < 200_000]
    programs: list = []
    while files and len(programs) < count:
        path = rng.choice(files)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError):
            continue
        if "torch" in text:
            programs.append(_mutate(text, rng))
    return programs


# -- the audit -------------------------------------------------------------------------------
def _one(rules, program):
    return check_program(rules, program)


def audit(programs: list, rules, budget: float, deadline: float, save: str, label: str) -> dict:
    tally = collections.Counter()
    failures = collections.Counter()
    examples = []
    batch = 32
    for start in range(0, len(programs), batch):
        if time.monotonic() > deadline:
            break
        chunk = programs[start : start + batch]

        def failed(program, how, code):
            return {"problems": ["crash" if how == supervisor.CRASHED else "hang"], "notes": []}

        results = supervisor.supervised_map(_one, rules, chunk, 1, budget, failed, deep=DEEP)
        for program, outcome in zip(chunk, results):
            tally["programs"] += 1
            for note in outcome["notes"]:
                tally[note] += 1
            if outcome["problems"]:
                tally["failed programs"] += 1
                for problem in set(outcome["problems"]):
                    failures[problem] += 1
                if save and len(examples) < 200:
                    name = os.path.join(save, f"{label}-{len(examples):03d}.py")
                    with open(name, "w", encoding="utf-8", newline="") as handle:
                        handle.write(program)
                    examples.append({"file": name, "problems": outcome["problems"]})
    return {"tally": dict(tally), "failures": dict(failures), "examples": examples}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300, help="total time (split between the sources)")
    parser.add_argument("--corpus", default="/work/corpus", help="real files to mutate")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--budget", type=float, default=20, help="per-program time budget (a hang beyond it)")
    parser.add_argument("--save-failures", metavar="DIR", help="write each failing program here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.save_failures:
        os.makedirs(args.save_failures, exist_ok=True)
    rules = list(registry.select_rules(["ALL"]))
    bad = _bad_examples(rules)
    report = {}
    for source, label in (("hypothesmith", "hyp"), ("corpus mutations", "mut")):
        deadline = time.monotonic() + args.seconds / 2
        combined = {"tally": collections.Counter(), "failures": collections.Counter(), "examples": []}
        rounds = 0
        while time.monotonic() < deadline:
            if source == "hypothesmith":
                programs = hypothesmith_programs(args.seed + rounds, 32, bad)
            else:
                programs = corpus_programs(args.corpus, args.seed + rounds, 32) if os.path.isdir(args.corpus) else []
            if not programs:
                break
            part = audit(programs, rules, args.budget, deadline, args.save_failures, f"{label}{rounds}-")
            combined["tally"].update(part["tally"])
            combined["failures"].update(part["failures"])
            combined["examples"].extend(part["examples"])
            rounds += 1
        report[source] = {"tally": dict(combined["tally"]), "failures": dict(combined["failures"]),
                          "examples": combined["examples"]}  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for source, part in report.items():
            tally = part["tally"]
            print(f"{source}: {tally.get('programs', 0)} programs, {tally.get('failed programs', 0)} failed "
                  f"({tally.get('fixed', 0)} fixed, {tally.get('withheld', 0)} fixes withheld)")
            for problem, count in sorted(part["failures"].items(), key=lambda kv: -kv[1]):
                print(f"  {count:5d}  {problem}")
            for note, count in sorted(tally.items()):
                if note.startswith("withheld: "):
                    print(f"  {count:5d}  {note}")
    return 1 if any(part["tally"].get("failed programs") for part in report.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
