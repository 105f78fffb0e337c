"""TL602: a training loop calls `model.train()` once before the epoch loop and validates every
epoch with a helper that calls `model.eval()`.

Symptom: from the second epoch on, every training forward runs in eval mode -- a forward hook
sees `model.training == False` with gradients enabled, dropout is off and batch norm trains with
frozen running statistics.  After the safe fix (`model.train()` at the top of the epoch loop
body) every training forward of every epoch runs in training mode.  Equivalence: the first
epoch (before any evaluation) produces identical losses from the same seed.
"""

PROGRAM = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, features=8, hidden=32, classes=3):
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.bn(self.fc1(x)))))


def make_batches(n_batches, seed):
    generator = torch.Generator().manual_seed(seed)
    return [(torch.randn(16, 8, generator=generator), torch.randint(0, 3, (16,), generator=generator))
            for _ in range(n_batches)]


def validate(model, batches):
    model.eval()
    with torch.no_grad():
        return sum(F.cross_entropy(model(x), y).item() for x, y in batches) / len(batches)


def fit(model, train_batches, val_batches, epochs=3):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    history = []
    for epoch in range(epochs):
        losses = []
        for x, y in train_batches:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        history.append(losses)
        validate(model, val_batches)
    return history


def build():
    torch.manual_seed(0)
    return Classifier()
'''


def _run(program, epochs):
    import torch

    model = program.build()
    modes = []  # model.training at each training forward, in order

    def hook(module, args):
        if torch.is_grad_enabled():  # a training forward, not validation
            modes.append(module.training)

    model.register_forward_pre_hook(hook)
    history = program.fit(model, program.make_batches(4, seed=2), program.make_batches(2, seed=1), epochs=epochs)
    return modes, history


def symptom(program):
    modes, _ = _run(program, epochs=3)
    # 4 batches per epoch: forwards 0-3 are epoch 1, 4-7 epoch 2, 8-11 epoch 3.
    assert len(modes) == 12, modes
    in_eval = [i // 4 + 1 for i, training in enumerate(modes) if not training]
    if in_eval:
        return f"{len(in_eval)} training forwards ran in eval mode, in epochs {sorted(set(in_eval))}"
    return None


def outputs(program):
    _, history = _run(program, epochs=1)
    return [round(v, 6) for v in history[0]]
