"""Finding positions statement by statement (engine.StatementPositions) against libcst's whole-module pass.

    python benchmarks/bench_positions.py TREE [TREE ...] [--sample N]

Every `.py` file of the trees is analysed with every rule and no screens (so that as many files as
possible have violations); for each file with violations, the violations' and fix edits' positions are
computed both ways and must be identical, and N nodes of the file spread over it (default 50; 0: none)
are compared as well.  Prints CPU seconds of both ways, the statements generated, the fallbacks to the
whole-module pass and every mismatch (exit status 1 if any).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from torchlint import engine, registry


def _files(trees):
    for tree in trees:
        for directory, dirs, names in os.walk(tree):
            dirs.sort()
            for name in sorted(names):
                if name.endswith(".py"):
                    yield os.path.join(directory, name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--sample", type=int, default=50, help="nodes per file compared besides the violations")
    args = parser.parse_args(argv)
    rules = registry.select_rules(["ALL"])
    whole = statements = 0.0
    files = asked = generated = fallbacks = mismatches = 0
    for path in _files(args.trees):
        try:
            with open(path, encoding="utf-8") as handle:
                source = handle.read()
        except (OSError, UnicodeDecodeError):
            continue
        analysis = engine.analyse(path, source, rules, screen=False)
        if analysis.module is None or not analysis.violations:
            continue
        nodes = [v.node for v in analysis.violations]
        nodes += [node for v in analysis.violations if v.fix is not None for node in v.fix.edits]
        every = list(analysis.context.all_nodes()) if args.sample else []
        sample = every[:: max(1, len(every) // args.sample)] if every else []
        files += 1
        start = time.process_time()
        reference = engine.module_positions(analysis.module)
        expected = [reference[n] for n in nodes]
        whole += time.process_time() - start
        start = time.process_time()
        positions = engine.node_positions(analysis)
        got = [positions[n] for n in nodes]
        statements += time.process_time() - start
        asked += len(nodes)
        generated += positions.statements_generated
        fallbacks += positions.full_used
        sampled = engine.StatementPositions(analysis.module, source, analysis.context)
        for node, want, have in [*zip(nodes, expected, got), *((n, reference[n], sampled[n]) for n in sample)]:
            if want != have:
                mismatches += 1
                print(f"MISMATCH {path}: {type(node).__name__} {have} != {want}", flush=True)
    print(
        f"{files} files with violations, {asked} positions asked: whole-module pass {whole:.2f} CPU-s, "
        f"statement by statement {statements:.2f} CPU-s ({generated} statements generated, {fallbacks} files "
        f"fell back to the whole-module pass); {mismatches} mismatches (sampled {args.sample} nodes a file too)"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
