"""TL205: a regression training loop calls `loss.backward()` and `optimizer.step()` per batch, never
`optimizer.zero_grad()`.

Symptom: from the second step on, the update uses the sum of all gradients so far -- the
parameters after step 2 differ from a reference that zeroes the gradients (computed by hand
in the probe).  After the (unsafe) fix (`optimizer.zero_grad()` before `backward()`) they match.
Equivalence: the first step, before any gradient has accumulated, is unchanged.
"""

UNSAFE = True

PROGRAM = '''
import torch
import torch.nn as nn


def make_batches(n_batches, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [(torch.randn(16, 4, generator=generator), torch.randn(16, 1, generator=generator))
            for _ in range(n_batches)]


def build():
    torch.manual_seed(0)
    return nn.Linear(4, 1)


def fit(model, batches, lr=0.1):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    criterion = nn.MSELoss()
    for x, y in batches:
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
    return model
'''


def _reference(program, steps):
    import torch

    model = program.build()
    for x, y in program.make_batches(steps):
        grads = torch.autograd.grad(torch.nn.functional.mse_loss(model(x), y), list(model.parameters()))
        with torch.no_grad():
            for p, g in zip(model.parameters(), grads):
                p -= 0.1 * g
    return model


def _params(model):
    return [v for p in model.parameters() for v in p.detach().flatten().tolist()]


def symptom(program):
    import torch

    trained = program.fit(program.build(), program.make_batches(2))
    reference = _reference(program, 2)
    gap = max(abs(a - b) for a, b in zip(_params(trained), _params(reference)))
    if gap > 1e-6:
        return f"after step 2 the parameters differ from the zero-grad reference by up to {gap:.4f}"
    assert torch.allclose(trained.weight, reference.weight)
    return None


def outputs(program):
    return [round(v, 6) for v in _params(program.fit(program.build(), program.make_batches(1)))]
