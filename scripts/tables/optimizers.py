"""torch.optim's optimizer classes: the names `torch.optim` exports that subclass `torch.optim.Optimizer`.

`{"classes": ["ASGD", "Adadelta", ..., "SGD", "SparseAdam"]}` (sorted; `Optimizer` itself included).
objects.py reads it (through `torchlint.tables.optimizer_classes()`) to tell an optimizer from other
objects (TL402/TL404/TL504).
"""

import inspect


def generate() -> dict:
    import torch.optim

    found = {
        name for name, value in vars(torch.optim).items()
        if inspect.isclass(value) and issubclass(value, torch.optim.Optimizer)
    }  # fmt: skip
    return {"classes": sorted(found)}
