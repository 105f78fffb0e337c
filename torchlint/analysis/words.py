"""Words of names and code text (libcst-free: the screens in torchlint/rule_screens.py read them too)."""

from __future__ import annotations

import re
from typing import List

_EVAL_WORDS = {"val", "vali", "valid", "validate", "validation", "eval", "evaluate", "evaluation", "test", "testing",
               "predict", "prediction", "predictions", "infer", "inference", "dev", "holdout"}  # fmt: skip
_ROLE_WORDS = _EVAL_WORDS | {"sample", "sampling"}
# Names a training step's code spells (analysis/modes.py `is_training_call`: `.backward()`, an optimizer's
# or scaler's `.step()`/`.zero_grad()`, `torch.autograd.grad/backward` under any alias): a file without
# any of them as text runs none.
TRAINING_WORDS = frozenset({"backward", "step", "grad"})
_WORD_SPLIT = re.compile(r"[^a-z0-9]+|(?<=[a-z])(?=[0-9])")


def words(text: str) -> List[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1_\2", text)
    return [w for w in _WORD_SPLIT.split(spaced.lower()) if w]


def eval_role_name(name: str) -> bool:
    """`validate`, `evaluate_model`, `run_test`, `predict`, `sample_images`..."""
    parts = words(name)
    return any(w in _ROLE_WORDS or w.startswith("sample") for w in parts)
