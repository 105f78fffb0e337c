"""TL501: the model is wrapped in `nn.DataParallel` only `if n_gpus > 1`, then scripted (unsafe fix).

Symptom: with n_gpus=2 (here on CPU, where DataParallel runs the model directly) the export
`torch.jit.script(model)` raises `torch.jit.frontend.NotSupportedError`.  The fix is unsafe
(the wrapper is there on some paths only) and writes
`model.module if isinstance(model, nn.DataParallel) else model`: after it, the n_gpus=2 export
succeeds and the archive computes what the eager model computes.  Equivalence: with n_gpus=1,
where the original works, the fixed program exports an archive with the same outputs.
"""

UNSAFE = True

PROGRAM = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Regressor(nn.Module):
    def __init__(self, features=6):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(features, 12), nn.Tanh(), nn.Linear(12, 1))

    def forward(self, x):
        return self.body(x).squeeze(-1)


def train(model, steps=20):
    generator = torch.Generator().manual_seed(0)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        x = torch.randn(32, 6, generator=generator)
        y = x.sum(dim=1)
        optimizer.zero_grad()
        F.mse_loss(model(x), y).backward()
        optimizer.step()
    model.eval()


def main(n_gpus=None, out="regressor.pt"):
    if n_gpus is None:
        n_gpus = torch.cuda.device_count()
    torch.manual_seed(0)
    model = Regressor()
    if n_gpus > 1:
        model = nn.DataParallel(model)
    train(model)
    torch.jit.script(model).save(out)
    return model


if __name__ == "__main__":
    main()
'''


def _probe_input():
    import torch

    return torch.randn(4, 6, generator=torch.Generator().manual_seed(7))


def symptom(program):
    import torch

    try:
        model = program.main(n_gpus=2, out="regressor.pt")
    except torch.jit.frontend.NotSupportedError as error:
        return f"NotSupportedError: {str(error).splitlines()[0]}"
    archive = torch.jit.load("regressor.pt")
    with torch.no_grad():
        torch.testing.assert_close(archive(_probe_input()), model(_probe_input()))
    return None


def outputs(program):
    import torch

    program.main(n_gpus=1, out="regressor-1gpu.pt")  # no wrapper: the original exports fine
    with torch.no_grad():
        return torch.jit.load("regressor-1gpu.pt")(_probe_input()).tolist()
