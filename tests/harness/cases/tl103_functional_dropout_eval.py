"""TL103: a classifier applies `F.dropout(x, p)` in `forward()` and is evaluated after `model.eval()`.

Symptom: two eval-mode forwards of the same batch give different outputs -- the functional
dropout defaults to `training=True` and ignores `model.eval()`.  After the (unsafe) fix
(`training=self.training`) eval-mode forwards are deterministic.  Equivalence: training-mode
forwards from the same seed are unchanged.
"""

UNSAFE = True

PROGRAM = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, features=16, hidden=64, classes=4, p=0.5):
        super().__init__()
        self.fc1 = nn.Linear(features, hidden)
        self.fc2 = nn.Linear(hidden, classes)
        self.p = p

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = F.dropout(x, self.p)
        return self.fc2(x)


def build():
    torch.manual_seed(0)
    return Classifier()
'''


def symptom(program):
    import torch

    model = program.build()
    model.eval()
    x = torch.randn(8, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        first, second = model(x), model(x)
    if not torch.equal(first, second):
        return f"two eval-mode forwards of one batch differ by up to {(first - second).abs().max().item():.3f}"
    return None


def outputs(program):
    import torch

    model = program.build()
    model.train()
    x = torch.randn(8, 16, generator=torch.Generator().manual_seed(1))
    torch.manual_seed(123)
    out = model(x)
    return [round(v, 5) for v in out.flatten().tolist()]
