"""TL101: a regressor applies a `Dropout` that it builds inside `forward()`.

Symptom: after `model.eval()` two calls on the same input give different outputs -- the
Dropout built in forward is always in training mode, so evaluation is random.  After the
(unsafe) fix the Dropout is `self.dropout`, built in `__init__`, and `eval()` switches it off:
the two evaluation calls agree.  Equivalence: in training mode, from the same seed, both
programs draw the same dropout mask and return the same outputs.
"""

UNSAFE = True

PROGRAM = '''
import torch
from torch import nn


class Regressor(nn.Module):
    def __init__(self, features=8, hidden=16):
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)
        self.fc2 = nn.Linear(hidden, 1)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        h = nn.Dropout(p=0.5)(h)
        return self.fc2(h)


def build():
    torch.manual_seed(0)
    return Regressor()
'''


def symptom(program):
    import torch

    model = program.build()
    model.eval()
    x = torch.randn(16, 8)
    with torch.no_grad():
        first, second = model(x), model(x)
    if not torch.equal(first, second):
        diff = (first - second).abs().max().item()
        return f"model.eval(): two calls on the same input differ by up to {diff:.3g}"
    return None


def outputs(program):
    import torch

    model = program.build()
    model.train()
    x = torch.randn(16, 8)
    torch.manual_seed(3)
    with torch.no_grad():
        out = model(x)
    return out.flatten().tolist()
