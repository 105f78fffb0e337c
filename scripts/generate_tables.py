"""Regenerate torchlint/data/*.json from the installed torch.

Each module in scripts/tables/ produces one table: it defines `generate() -> dict`.
Run after upgrading the torch these tables describe:

    python scripts/generate_tables.py            # write all tables
    python scripts/generate_tables.py --check    # exit 1 if a committed table is stale
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(os.path.dirname(HERE), "torchlint", "data")


def table_names() -> list:
    return sorted(info.name for info in pkgutil.iter_modules([os.path.join(HERE, "tables")]))


def _generator(name: str):
    sys.path.insert(0, HERE)
    try:
        return importlib.import_module(f"tables.{name}")
    finally:
        sys.path.remove(HERE)


def missing_requirements(name: str) -> list:
    """Packages besides torch a generator needs (its `REQUIRES`, e.g. torchvision) that do not import."""
    missing = []
    for package in getattr(_generator(name), "REQUIRES", ()):
        try:
            importlib.import_module(package)
        except ImportError:
            missing.append(package)
    return missing


def render(name: str) -> str:
    import torch

    warnings.simplefilter("ignore")  # deprecation notices from walking torch's namespaces
    module = _generator(name)
    source = f"torch {torch.__version__.split('+')[0]}"
    for package in getattr(module, "REQUIRES", ()):
        source += f", {package} {importlib.import_module(package).__version__.split('+')[0]}"
    table = {"_generated_by": f"scripts/generate_tables.py from {source}"}
    table.update(module.generate())
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("names", nargs="*", help="tables to regenerate (default: all)")
    args = parser.parse_args(argv)
    stale = []
    for name in args.names or table_names():
        missing = missing_requirements(name)
        if missing:  # e.g. torchvision, needed only to generate and check its table
            print(f"skipped {name}: needs {', '.join(missing)}", file=sys.stderr)
            continue
        path = os.path.join(DATA_DIR, f"{name}.json")
        text = render(name)
        if args.check:
            with open(path, encoding="utf-8") as handle:
                if handle.read() != text:
                    stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
    if stale:
        print("stale tables: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
