"""TL804: a mixed-precision training loop written for torch 1.x: `from torch.cuda.amp import
GradScaler, autocast, custom_bwd, custom_fwd`, `with autocast():` every step, a custom autograd
Function decorated with `@custom_fwd(cast_inputs=...)`/`@custom_bwd`, and a bfloat16 CPU
evaluation under `torch.cpu.amp.autocast()`.

Symptom: every step's `autocast()`/`GradScaler()` construction warns `FutureWarning:
torch.cuda.amp.autocast(args...) is deprecated` (and `torch.cpu.amp` likewise) -- on CPU too.
After the (safe) fix -- `torch.amp.autocast("cuda")`, `torch.amp.GradScaler("cuda")`,
`torch.amp.autocast("cpu")`, `@torch.amp.custom_fwd(..., device_type="cuda")`, the old import
removed -- no FutureWarning is emitted.  Equivalence: losses of four steps and the bfloat16 evaluation logits (real CPU autocast:
the old default dtype is the new one) are bit-for-bit equal.
"""

PROGRAM = '''
import torch
import torch.nn as nn
from torch.cuda.amp import GradScaler, autocast, custom_bwd, custom_fwd


def make_clamp():
    class StraightThroughClamp(torch.autograd.Function):
        @staticmethod
        @custom_fwd(cast_inputs=torch.float32)
        def forward(ctx, x):
            return x.clamp(-1.0, 1.0)

        @staticmethod
        @custom_bwd
        def backward(ctx, grad):
            return grad

    return StraightThroughClamp.apply


def fit(device="cpu", steps=4):
    torch.manual_seed(0)
    clamp = make_clamp()
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = GradScaler(enabled=device == "cuda")
    g = torch.Generator().manual_seed(1)
    losses = []
    for _ in range(steps):
        x = torch.randn(8, 16, generator=g).to(device)
        y = torch.randint(0, 4, (8,), generator=g).to(device)
        optimizer.zero_grad()
        with autocast(enabled=device == "cuda"):
            loss = nn.functional.cross_entropy(clamp(model(x)), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    return model, losses


def evaluate_bf16(model):
    model = model.cpu()
    with torch.no_grad(), torch.cpu.amp.autocast():
        out = model(torch.ones(2, 16))
    return out.dtype, out.float().tolist()
'''


def _run(program):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, losses = program.fit()
        dtype, logits = program.evaluate_bf16(model)
    future = [str(w.message) for w in caught if issubclass(w.category, FutureWarning)]
    return future, [losses, str(dtype), logits]


def symptom(program):
    future, _ = _run(program)
    if future:
        return f"{len(future)} FutureWarnings, e.g. {future[0][:90]}"
    return None


def outputs(program):
    _, results = _run(program)
    assert results[1] == "torch.bfloat16", results[1]  # CPU autocast really ran
    return results
