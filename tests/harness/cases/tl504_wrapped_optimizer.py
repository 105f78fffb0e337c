"""TL504: a training loop "parallelises" its optimizer, as in the notes:
`optimizer = nn.DataParallel(optimizer, device_ids=...)`, then `optimizer.module.step()`.

Symptom: the object the program holds as its optimizer is a `DataParallel` module, not an
optimizer: `.step()` on it raises `AttributeError: 'DataParallel' object has no attribute
'step'` (and an LR scheduler rejects it).  The probe records what the program wraps (a spy
subclass of `nn.DataParallel`) and uses it the way any code expecting an optimizer would.
After the safe fix (wrapper and `.module` hops dropped) nothing but modules is wrapped, and the
trained weights equal those of the same loop with a plain optimizer; `outputs()` (the trained
weights) are identical before and after.
"""

PROGRAM = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


def train(steps=5, device_ids=None):
    torch.manual_seed(0)
    model = nn.Linear(8, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    optimizer = nn.DataParallel(optimizer, device_ids=device_ids)
    generator = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x = torch.randn(16, 8, generator=generator)
        y = torch.randint(0, 3, (16,), generator=generator)
        optimizer.module.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.module.step()
    return model
'''


def _plain_training(steps=5):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(0)
    model = nn.Linear(8, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    generator = torch.Generator().manual_seed(1)
    for _ in range(steps):
        x = torch.randn(16, 8, generator=generator)
        y = torch.randint(0, 3, (16,), generator=generator)
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    return model


def symptom(program):
    import torch
    import torch.nn as nn

    wrapped = []
    original = nn.DataParallel

    class Spy(original):
        def __init__(self, module, *args, **kwargs):
            super().__init__(module, *args, **kwargs)
            wrapped.append(self)

    nn.DataParallel = Spy
    try:
        model = program.train()
    finally:
        nn.DataParallel = original
    for wrapper in wrapped:
        if not isinstance(wrapper.module, nn.Module):
            try:
                wrapper.step()
            except AttributeError as error:
                return f"AttributeError: {error}"
    torch.testing.assert_close(model.state_dict(), _plain_training().state_dict())
    return None


def outputs(program):
    return {k: v.tolist() for k, v in program.train().state_dict().items()}
