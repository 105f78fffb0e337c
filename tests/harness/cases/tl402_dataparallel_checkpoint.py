"""TL402: a training script wraps its model in `nn.DataParallel`, trains, and saves the
wrapper's `state_dict()`; an inference script later loads the checkpoint into the bare model.

Symptom: `load_state_dict` raises `RuntimeError: Error(s) in loading state_dict for
Classifier: Missing key(s) ... Unexpected key(s) in state_dict: "module.net.0.weight", ...`
(DataParallel on CPU runs the model directly, but its state_dict still carries the prefix).
After the unsafe fix (`model.module.state_dict()`) the checkpoint loads strictly into the bare
model and reproduces the trained model's outputs.  Equivalence (`outputs()`): the training
itself, the trained model's outputs, are unchanged.
"""

UNSAFE = True

PROGRAM = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, features=8, classes=3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Linear(16, classes))

    def forward(self, x):
        return self.net(x)


def train(path="classifier.pt", steps=5):
    torch.manual_seed(0)
    model = nn.DataParallel(Classifier())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    generator = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x = torch.randn(16, 8, generator=generator)
        y = torch.randint(0, 3, (16,), generator=generator)
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    torch.save(model.state_dict(), path)
    return model


def load_for_inference(path="classifier.pt"):
    model = Classifier()
    model.load_state_dict(torch.load(path))
    return model.eval()
'''


def _inputs():
    import torch

    return torch.randn(4, 8, generator=torch.Generator().manual_seed(7))


def symptom(program):
    import torch

    trained = program.train()
    try:
        model = program.load_for_inference()
    except RuntimeError as error:
        if "Unexpected key(s) in state_dict" not in str(error):
            raise
        return str(error).strip().splitlines()[-1].strip()
    with torch.no_grad():
        torch.testing.assert_close(model(_inputs()), trained(_inputs()))
    return None


def outputs(program):
    import torch

    trained = program.train(path="again.pt")
    with torch.no_grad():
        return trained(_inputs()).tolist()
