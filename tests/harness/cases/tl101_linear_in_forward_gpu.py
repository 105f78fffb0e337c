"""TL101, GPU form: a model whose head is built inside `forward()` is moved with `.to("cuda")`.

Symptom: the first call raises a device mismatch -- `model.to("cuda")` could not move a layer
that does not exist yet, so the head's weights are created on the CPU while its input is on the
GPU.  After the (unsafe) fix the head is `self.head`, built in `__init__`, moved with the model:
the call runs on the GPU.  Skipped without CUDA.
"""

UNSAFE = True
GPU = True

PROGRAM = '''
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(4, 8)

    def forward(self, x):
        return nn.Linear(8, 2)(torch.relu(self.encoder(x)))


def build():
    torch.manual_seed(0)
    return Net().to("cuda")
'''


def symptom(program):
    import torch

    model = program.build()
    try:
        out = model(torch.randn(3, 4, device="cuda"))
    except RuntimeError as error:
        message = str(error)
        if "same device" in message or "expected" in message.lower() and "cpu" in message.lower():
            return message.splitlines()[0]
        raise
    assert out.device.type == "cuda" and out.shape == (3, 2)
    assert all(p.device.type == "cuda" for p in model.parameters())
    return None
