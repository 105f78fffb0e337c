"""TL501, tracing: `torch.jit.trace(model, example)` on an `nn.DataParallel` wrapper.

Tracing does not raise (on CPU DataParallel just calls the model), but it records the wrapper:
the archive is a traced `DataParallel` whose weights are all named `module.*`, so handing its
state_dict to the plain model (fine-tuning, serving without TorchScript) fails with
`RuntimeError: Error(s) in loading state_dict for Encoder: Missing key(s) ...`.  After the safe
fix (`torch.jit.trace(model.module, example)`) the archive is the model itself: its weights load
into `Encoder`, and it computes what the eager model computes.
"""

PROGRAM = '''
import torch
from torch import nn


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(4, 8, kernel_size=3, padding=1)
        self.norm = nn.LayerNorm(8)

    def forward(self, x):
        return self.norm(self.conv(x).relu().mean(dim=-1))


def main(out="encoder.pt"):
    torch.manual_seed(0)
    model = nn.DataParallel(Encoder())
    model.eval()
    example = torch.randn(2, 4, 16)
    traced = torch.jit.trace(model, example)
    traced.save(out)
    return model
'''


def symptom(program):
    import torch

    model = program.main(out="encoder.pt")
    archive = torch.jit.load("encoder.pt")
    try:
        program.Encoder().load_state_dict(archive.state_dict())
    except RuntimeError as error:
        if "Missing key(s)" in str(error):
            return f"archive is a traced {archive.original_name}: {' '.join(str(error).split())[:150]}"
        raise
    x = torch.randn(3, 4, 16)
    with torch.no_grad():
        torch.testing.assert_close(archive(x), model(x))
    return None
