"""Regenerate what is derived from the rule modules: the README's rules table and
torchlint/data/rule_index.json (which lets the flake8 plugin pre-check files without
importing libcst).  `--check` exits 1 when either is stale (tests/test_docs.py runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
INDEX = os.path.join(ROOT, "torchlint", "data", "rule_index.json")
START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"


def rules():
    sys.path.insert(0, ROOT)
    from torchlint import registry

    return list(registry.all_rules().values())


def rules_table() -> str:
    lines = ["| Code | Name | Summary | Default | Fix |", "| --- | --- | --- | --- | --- |"]
    for rule in rules():
        summary = rule.summary.replace("|", "\\|")
        lines.append(
            f"| {rule.code} | `{rule.name}` | {summary} | {'on' if rule.default else 'opt-in'} "
            f"| {rule.fix_applicability or '—'} |"
        )
    return "\n".join(lines)


def rule_index() -> str:
    index = {
        rule.code: {"default": rule.default, "requires_text": [list(g) for g in rule.requires_text]}
        for rule in rules()
    }
    return json.dumps(index, indent=1, sort_keys=True) + "\n"


def readme_with_table(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{rules_table()}\n{END}{tail}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    with open(README, encoding="utf-8") as handle:
        readme = handle.read()
    if START not in readme or END not in readme:
        print(f"README.md lacks the {START} / {END} markers", file=sys.stderr)
        return 1
    wanted = {README: readme_with_table(readme), INDEX: rule_index()}
    stale = []
    for path, text in wanted.items():
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current != text:
            stale.append(os.path.relpath(path, ROOT))
            if not args.check:
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(text)
    if stale and args.check:
        print("stale: " + ", ".join(stale) + " (run python scripts/generate_docs.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
