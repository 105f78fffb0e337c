import torch
from torch import nn


class ConvBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return torch.relu(self.conv(x))


class Shuffle(nn.Module):  # no parameters: building it per call costs nothing but time
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        return x


class Config:  # not a module
    def __init__(self, depth):
        self.depth = depth
