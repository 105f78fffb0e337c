"""TL802: a 0.3-era training script wraps every batch in `Variable(...)`, builds a learnable
input with `Variable(torch.zeros(...), requires_grad=True)` and a saliency input with
`Variable(images, requires_grad=True)`.

Symptom: the program constructs legacy `torch.autograd.Variable` objects (counted by wrapping
`torch.autograd.Variable` and the program's own `Variable` binding) -- a no-op wrapper that only
detaches.  After the (unsafe, because `Variable(images)` becomes `images`) fix no `Variable` is
built, the `Variable` import is gone, and running the program emits no warning at all.
Equivalence: the losses of three SGD steps, the learned offset and the saliency gradient are
bit-for-bit equal.
"""

PROGRAM = '''
import torch
import torch.nn as nn
from torch.autograd import Variable


def batches():
    g = torch.Generator().manual_seed(0)
    for _ in range(3):
        yield torch.randn(8, 4, generator=g), torch.randint(0, 3, (8,), generator=g)


def train():
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    offset = Variable(torch.zeros(1, 4), requires_grad=True)
    optimizer = torch.optim.SGD(list(model.parameters()) + [offset], lr=0.1)
    losses = []
    for images, labels in batches():
        images = Variable(images)
        labels = Variable(labels.data)
        loss = nn.functional.cross_entropy(model(images + offset), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    probe = Variable(images, requires_grad=True)
    model(probe).sum().backward()
    return losses, offset.detach().tolist(), probe.grad.tolist()
'''

UNSAFE = True


def symptom(program):
    import warnings

    import torch

    built = []
    original = torch.autograd.Variable

    def counting(*args, **kwargs):
        built.append(1)
        return original(*args, **kwargs)

    torch.autograd.Variable = counting
    had_binding = hasattr(program, "Variable")
    if had_binding:
        program.Variable = counting
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            program.train()
    finally:
        torch.autograd.Variable = original
        if had_binding:
            program.Variable = original
    if built:
        return f"one run built {len(built)} legacy torch.autograd.Variable objects"
    assert not had_binding, "the unused Variable import should be gone"
    assert not caught, [str(w.message) for w in caught]
    return None


def outputs(program):
    return program.train()
