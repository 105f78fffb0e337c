"""TL601: a classifier with BatchNorm and Dropout is validated every epoch by a `@torch.no_grad()`
function that never calls `model.eval()`.

Symptom: evaluating the same batches twice gives different logits (dropout is on) and the
batch-norm running statistics change during evaluation (validation data leaks into the model).
After the safe fix (`was_training = model.training; model.eval()` ... `model.train(was_training)`)
two evaluations agree exactly, the running statistics are untouched, and the model is back in
training mode afterwards, so the caller's next epoch trains in training mode (checked with a
forward hook over a whole `fit()`).  Equivalence: the first epoch's training losses, from the
same seed, are identical (evaluation only starts after it).
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
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.bn(self.fc1(x)))))


def make_batches(n_batches, seed):
    generator = torch.Generator().manual_seed(seed)
    return [(torch.randn(16, 8, generator=generator), torch.randint(0, 3, (16,), generator=generator))
            for _ in range(n_batches)]


def train_epoch(model, batches, optimizer):
    losses = []
    for x, y in batches:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def evaluate(model, batches):
    logits = []
    for x, y in batches:
        logits.append(model(x))
    return torch.cat(logits)


def fit(model, train_batches, val_batches, epochs=3):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    history = []
    for epoch in range(epochs):
        history.append(train_epoch(model, train_batches, optimizer))
        evaluate(model, val_batches)
    return history


def build():
    torch.manual_seed(0)
    return Classifier()
'''


def symptom(program):
    import torch

    model = program.build()
    model.train()
    val = program.make_batches(2, seed=1)
    stats_before = model.bn.running_mean.clone()
    first = program.evaluate(model, val)
    second = program.evaluate(model, val)
    problems = []
    if not torch.equal(first, second):
        problems.append(f"two evaluations differ by up to {(first - second).abs().max().item():.3g}")
    if not torch.equal(stats_before, model.bn.running_mean):
        problems.append("evaluation changed the batch-norm running mean")
    if problems:
        return "; ".join(problems)
    # Fixed: the evaluation must leave the model as it found it, and the caller's training
    # forwards (all epochs) must run in training mode.
    assert model.training, "evaluate() left the model in eval mode"
    modes = []
    model.register_forward_pre_hook(lambda m, args: modes.append(m.training) if torch.is_grad_enabled() else None)
    program.fit(model, program.make_batches(4, seed=2), val, epochs=3)
    assert modes and all(modes), f"{modes.count(False)} training forwards ran in eval mode"
    return None


def outputs(program):
    model = program.build()
    history = program.fit(model, program.make_batches(4, seed=2), program.make_batches(2, seed=1), epochs=1)
    return [round(v, 6) for v in history[0]]
