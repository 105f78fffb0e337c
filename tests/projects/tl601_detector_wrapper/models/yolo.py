import torch.nn as nn


class Conv(nn.Module):
    def __init__(self, c1, c2):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c2)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class YOLO(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(Conv(3, 16), Conv(16, 32))
        self.head = nn.Conv2d(32, 85, 1)

    def forward(self, x):
        return self.head(self.backbone(x))
