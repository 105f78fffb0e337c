"""TL102: a small CNN calls `nn.ReLU()`, `nn.Flatten()` and `nn.Softmax(dim=1)` built inside `forward()`.

Symptom: every forward call constructs new `nn.Module` objects (counted by wrapping
`nn.Module.__init__`): three per call here.  After the (safe) fix the functional forms
(`torch.nn.functional.relu`, `torch.flatten`, `torch.nn.functional.softmax`) are called and no
module is built in forward.  Equivalence: the outputs on the same input are bit-for-bit equal.
"""

PROGRAM = '''
import torch
import torch.nn as nn


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 6 * 6, 5)

    def forward(self, x):
        x = nn.ReLU()(self.conv(x))
        x = nn.Flatten()(x)
        return nn.Softmax(dim=1)(self.fc(x))


def build():
    torch.manual_seed(0)
    return SmallCNN()
'''


def symptom(program):
    import torch
    import torch.nn as nn

    model = program.build()
    built = []
    original_init = nn.Module.__init__

    def counting_init(self, *args, **kwargs):
        built.append(type(self).__name__)
        original_init(self, *args, **kwargs)

    nn.Module.__init__ = counting_init
    try:
        with torch.no_grad():
            model(torch.randn(2, 1, 6, 6))
    finally:
        nn.Module.__init__ = original_init
    if built:
        return f"one forward call built {len(built)} modules: {built}"
    return None


def outputs(program):
    import torch

    model = program.build()
    torch.manual_seed(1)
    with torch.no_grad():
        return model(torch.randn(3, 1, 6, 6)).tolist()
