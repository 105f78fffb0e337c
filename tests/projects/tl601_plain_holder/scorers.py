import backend
import torch.nn as nn
from somelib import Engine


class Distance(nn.Module):
    """Holds a plain `Backend`: not a submodule, `.eval()` on this never reaches it."""

    def __init__(self):
        super().__init__()
        self.model = backend.Backend()
        self.model.setup()

    def forward(self, a, b):
        return self.model.forward(a, b)


class Wrapped(nn.Module):
    """Holds a `Head` (an nn.Module with dropout): a real submodule."""

    def __init__(self):
        super().__init__()
        self.head = backend.Head()

    def forward(self, x):
        return self.head(x)


class Opaque(nn.Module):
    """Holds an object of a class from a library we cannot see."""

    def __init__(self):
        super().__init__()
        self.engine = Engine()

    def forward(self, x):
        return self.engine(x)


class Unsure(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = backend.Mystery()

    def forward(self, x):
        return self.inner(x)
