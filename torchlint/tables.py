"""Facts about torch's API, generated ahead of time from an installed torch.

The lint path never imports torch (that costs seconds per process): the facts live
as JSON in torchlint/data/, written by `python scripts/generate_tables.py` and checked
against the installed torch by tests/test_tables.py.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any, Dict, FrozenSet

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")


@cache
def load(name: str) -> Dict[str, Any]:
    """The table `data/<name>.json` (without its `_generated_by` header)."""
    with open(os.path.join(DATA_DIR, f"{name}.json"), encoding="utf-8") as handle:
        table = json.load(handle)
    table.pop("_generated_by", None)
    return table


def canonical_name(qualified: str) -> str:
    """`torch.nn.modules.conv.Conv2d` -> `torch.nn.Conv2d`: one spelling per torch object."""
    return load("aliases").get(qualified, qualified)


@cache
def optimizer_classes() -> FrozenSet[str]:
    """The optimizer classes `torch.optim` exports (`SGD`, `AdamW`..., and `Optimizer`)."""
    return frozenset(load("optimizers")["classes"])
