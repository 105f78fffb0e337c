import torch.nn as nn


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.InstanceNorm2d(channels, affine=True, track_running_stats=True),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return x + self.body(x)


class Translator(nn.Module):
    """Instance norm only: its training-mode forward is what inference wants."""

    def __init__(self, channels=32, blocks=3):
        super().__init__()
        layers = [nn.Conv2d(3, channels, 7, padding=3), nn.InstanceNorm2d(channels, track_running_stats=True)]
        for _ in range(blocks):
            layers.append(ResidualBlock(channels))
        layers.append(nn.Conv2d(channels, 3, 7, padding=3))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class BatchTranslator(nn.Module):
    def __init__(self, channels=32):
        super().__init__()
        self.block = ResidualBlock(channels)
        self.norm = nn.BatchNorm2d(channels)

    def forward(self, x):
        return self.norm(self.block(x))
