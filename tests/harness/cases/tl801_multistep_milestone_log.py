"""TL801: a training loop logs `scheduler.get_lr()[0]` after each `scheduler.step()` of a
`MultiStepLR(milestones=[2, 4], gamma=0.1)`.

Symptom: at the milestones the logged lr is 10x smaller than the optimizer's real lr
(`get_lr()` applies the decay a second time), and each call warns.  After the (unsafe) fix,
`get_last_lr()`, every logged value equals `optimizer.param_groups[0]["lr"]` and nothing warns.
Equivalence: the training itself (the optimizer's lrs and the final weights) is unchanged.
"""

PROGRAM = '''
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import MultiStepLR


def train(epochs=6):
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = MultiStepLR(optimizer, milestones=[2, 4], gamma=0.1)
    logged, real = [], []
    for epoch in range(epochs):
        loss = model(torch.ones(4, 3)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        logged.append(scheduler.get_lr()[0])
        real.append(optimizer.param_groups[0]["lr"])
    return logged, real, model.weight.detach().tolist()
'''

UNSAFE = True


def symptom(program):
    import math
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logged, real, _ = program.train()
    wrong = [(epoch, got, want) for epoch, (got, want) in enumerate(zip(logged, real)) if not math.isclose(got, want)]
    if wrong:
        epoch, got, want = wrong[0]
        return f"after epoch {epoch} the log says lr={got:g}, the optimizer uses {want:g}"
    assert not [w for w in caught if "get_last_lr" in str(w.message)], "get_lr() still warns"
    return None


def outputs(program):
    _, real, weights = program.train()
    return [real, weights]
