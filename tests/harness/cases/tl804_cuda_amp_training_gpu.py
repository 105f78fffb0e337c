"""TL804 on CUDA: the same loop with real float16 autocast and loss scaling on the GPU.

Symptom: `FutureWarning: torch.cuda.amp.autocast(args...) is deprecated` every step.  After the
(safe) fix none, and the losses and the scaler's final scale are bit-for-bit equal: the default
dtype of `torch.amp.autocast("cuda")` is the float16 the old class used (checked: the autocast
region really computes in float16).
"""

PROGRAM = '''
import torch
import torch.nn as nn
from torch.cuda.amp import GradScaler, autocast


def fit(steps=6):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)).cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = GradScaler()
    g = torch.Generator().manual_seed(1)
    losses, dtypes = [], set()
    for _ in range(steps):
        x = torch.randn(32, 64, generator=g).cuda()
        y = torch.randint(0, 10, (32,), generator=g).cuda()
        optimizer.zero_grad()
        with autocast():
            logits = model(x)
            dtypes.add(str(logits.dtype))
            loss = nn.functional.cross_entropy(logits, y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    return losses, sorted(dtypes), scaler.get_scale()
'''

GPU = True


def _run(program):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = program.fit()
    return [str(w.message) for w in caught if issubclass(w.category, FutureWarning)], list(results)


def symptom(program):
    future, _ = _run(program)
    return f"{len(future)} FutureWarnings, e.g. {future[0][:90]}" if future else None


def outputs(program):
    _, results = _run(program)
    assert results[1] == ["torch.float16"], results[1]
    return results
