"""What the project model reads from Python's `ast` equals what the libcst parse says, on real trees.

    python benchmarks/bench_summaries_ast.py /work/corpus
    python benchmarks/bench_summaries_ast.py /work/corpus --summaries   # also the kept-tree summaries

For every module under the tree: the bindings table from Python's parser
(`summaries.names_table_of_source`, what the project uses for modules whose names are looked up)
against the summary's own table from the libcst parse (`summaries.names_table`); with `--summaries`,
also the full summary computed with its statement lines read from the names' `ast` tree (as the
project does once a looked-up module's summary is asked for) against one computed from scratch.
Prints the count compared and every difference (there must be none) and the CPU time of each tier.
Numbers only: nothing asserts, CI does not run it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("tree")
    parser.add_argument("--summaries", action="store_true", help="also compare kept-tree summaries")
    args = parser.parse_args()
    sys.path.insert(0, CHECKOUT)
    sys.setrecursionlimit(10000)
    from torchlint.analysis import summaries as S
    from torchlint.analysis.project import _parse, _summarise_safely

    paths = []
    for folder, dirs, names in os.walk(args.tree):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        paths += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".py")]
    compared = unparsable = 0
    differences = []
    cpu = {"ast": 0.0, "libcst": 0.0}
    for path in paths:
        ctx = _parse(path)
        if ctx is None:
            unparsable += 1
            continue
        start = time.process_time()
        tree = S.python_tree(ctx.source)
        cheap = S.names_table_of_tree(tree) if tree is not None else None
        cpu["ast"] += time.process_time() - start
        start = time.process_time()
        full = S.names_table(ctx)
        cpu["libcst"] += time.process_time() - start
        compared += 1
        if cheap != full:
            differences.append((path, "names", cheap, full))
        if args.summaries and tree is not None:
            fresh = _summarise_safely(ctx)
            kept = _parse(path, (ctx.source, tree))
            if kept is not None and _summarise_safely(kept) != fresh:
                differences.append((path, "summary", None, None))
    print(f"tree: {args.tree}: {compared} modules compared ({unparsable} libcst cannot parse)")
    print(f"names tables: ast {cpu['ast']:.2f} CPU s (parse included), from the libcst parse {cpu['libcst']:.2f} CPU s")
    print(f"differences: {len(differences)}")
    for path, what, cheap, full in differences[:20]:
        print(f"  {path}: {what}")
        if what == "names":
            for key in ("names", "stars", "all"):
                if cheap is None or cheap[key] != full[key]:
                    print(f"    {key}: ast {None if cheap is None else cheap[key]!r}")
                    print(f"    {key}: libcst {full[key]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
