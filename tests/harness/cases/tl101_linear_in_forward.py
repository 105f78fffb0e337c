"""TL101: a classifier builds its output projection inside `forward()` and is trained with SGD.

Symptom: the projection's weights are not in `model.parameters()` or `state_dict()` (the
optimizer never sees them, a checkpoint never saves them) and two calls on the same input give
different outputs, because the layer is re-initialised on every call.  After the (unsafe) fix
the projection is `self.proj`, built once in `__init__`: its parameters are registered and
saved, repeated calls agree, and training lowers the loss.  Equivalence: the output shape and
the layer's input width are unchanged (the weights are random in both programs).
"""

UNSAFE = True

PROGRAM = '''
import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, features=6, hidden=8, classes=3):
        super().__init__()
        self.hidden = hidden
        self.classes = classes
        self.body = nn.Sequential(nn.Linear(features, hidden), nn.Tanh())

    def forward(self, x):
        proj = nn.Linear(self.hidden, self.classes)
        return proj(self.body(x))


def build():
    torch.manual_seed(0)
    return Classifier()


def train(model, steps=60):
    torch.manual_seed(1)
    x = torch.randn(32, 6)
    y = torch.randint(0, 3, (32,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses
'''


def symptom(program):
    import torch

    model = program.build()
    keys = sorted(model.state_dict())
    x = torch.randn(4, 6)
    with torch.no_grad():
        same = torch.equal(model(x), model(x))
    if not any(key.endswith("weight") and key.count(".") == 1 and not key.startswith("body") for key in keys):
        return f"the projection is missing from state_dict() (keys: {keys}); repeated calls agree: {same}"
    # The fixed program: the layer is registered, deterministic and trained.
    assert same, "repeated calls on the same input differ"
    assert len(list(model.parameters())) == 4
    losses = program.train(model)
    assert losses[-1] < 0.7 * losses[0], losses
    return None


def outputs(program):
    import torch

    model = program.build()
    with torch.no_grad():
        out = model(torch.randn(5, 6))
    return list(out.shape)
