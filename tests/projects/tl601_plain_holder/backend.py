import torch.nn as nn
from somelib import LibBase


class BaseBackend:
    def name(self):
        return type(self).__name__


class Backend(BaseBackend):
    """A plain object that builds its own network and puts it in eval mode itself."""

    def setup(self, channels=16):
        self.net = nn.Sequential(nn.Conv2d(3, channels, 3), nn.Dropout(0.5), nn.BatchNorm2d(channels))
        self.net.eval()

    def forward(self, a, b):
        return (self.net(a) - self.net(b)).pow(2).mean()


class Head(nn.Module):
    def __init__(self, channels=16):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, channels, 3), nn.Dropout(0.5))

    def forward(self, x):
        return self.net(x)


class Mystery(LibBase):
    """Derives from a library class we cannot see: a module or not, unknown."""

    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
