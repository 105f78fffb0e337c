"""TL501: a training script wraps its model in `nn.DataParallel` and scripts the wrapper for export.

Symptom: `torch.jit.script(model)` raises `torch.jit.frontend.NotSupportedError: Compiled
functions can't take variable number of arguments...` (DataParallel.forward(*inputs, **kwargs));
on a CPU-only machine DataParallel runs the model directly, so training works and only the
export fails.  After the safe fix (`torch.jit.script(model.module)`) the export succeeds, the
archive holds the model itself (no `module.` prefix in its state_dict), and it computes the
same outputs as the eager model.  Equivalence between original and fixed: not applicable,
the original never gets past the export.
"""

PROGRAM = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Classifier(nn.Module):
    def __init__(self, features=8, classes=3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Linear(16, classes))

    def forward(self, x):
        return self.net(x)


def make_loader():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 8, generator=generator)
    y = torch.randint(0, 3, (64,), generator=generator)
    return DataLoader(TensorDataset(x, y), batch_size=16)


def train(model, loader, epochs=2):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
    model.eval()


def main(out="classifier.pt"):
    torch.manual_seed(0)
    model = nn.DataParallel(Classifier())
    train(model, make_loader())
    scripted = torch.jit.script(model)
    scripted.save(out)
    return model


if __name__ == "__main__":
    main()
'''


def symptom(program):
    import torch

    try:
        model = program.main(out="classifier.pt")
    except torch.jit.frontend.NotSupportedError as error:
        return f"NotSupportedError: {str(error).splitlines()[0]}"
    archive = torch.jit.load("classifier.pt")
    assert not any(key.startswith("module.") for key in archive.state_dict()), "archive holds the wrapper"
    x = torch.randn(5, 8)
    with torch.no_grad():
        torch.testing.assert_close(archive(x), model(x))
    return None
