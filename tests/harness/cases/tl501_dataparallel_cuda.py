"""TL501, GPU form: the usual multi-GPU script, `nn.DataParallel(model.cuda())`, scripted for export.

Symptom: `torch.jit.script(model)` raises `torch.jit.frontend.NotSupportedError` on the
wrapper.  After the safe fix (`torch.jit.script(model.module)`) the export succeeds on the GPU,
and the archive, loaded back on the GPU, computes what the eager DataParallel model computes
(with more than one GPU the eager forward really scatters over the devices).  Skipped without CUDA.
"""

GPU = True

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


def main(out="classifier.pt", steps=10):
    torch.manual_seed(0)
    model = Classifier().cuda()
    model = nn.DataParallel(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        x = torch.randn(32, 8, device="cuda")
        y = torch.randint(0, 3, (32,), device="cuda")
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    model.eval()
    torch.jit.script(model).save(out)
    return model
'''


def symptom(program):
    import torch

    try:
        model = program.main(out="classifier.pt")
    except torch.jit.frontend.NotSupportedError as error:
        return f"NotSupportedError: {str(error).splitlines()[0]}"
    archive = torch.jit.load("classifier.pt", map_location="cuda")
    x = torch.randn(8, 8, device="cuda")
    with torch.no_grad():
        torch.testing.assert_close(archive(x), model(x))
    return None
