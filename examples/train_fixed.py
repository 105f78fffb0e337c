"""A small image-classification training script with the quiet bugs torchlint finds.

Run `torchlint examples/train_buggy.py` to see them; `examples/train_fixed.py` is the
same script after `torchlint --fix --unsafe-fixes`.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class PatchEmbed(nn.Module):
    def __init__(self, channels=3, dim=64, patch=4):
        super().__init__()
        self.proj = nn.Conv2d(channels, dim, kernel_size=patch, stride=patch)

    def forward(self, images):
        x = self.proj(images)  # (B, dim, H/p, W/p)
        x = x.permute(0, 2, 3, 1)  # channels last
        B, H, W, C = x.shape
        return x.reshape(B, H * W * C)  # flatten patches


class Classifier(nn.Module):
    def __init__(self, classes=10, dim=64):
        super().__init__()
        self.embed = PatchEmbed(dim=dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, images):
        tokens = self.embed(images)
        return self.head(tokens.mean(dim=1))


def train(model, batches, epochs=2, lr=1e-3):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(epochs):
        for images, labels in batches:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def export(model, path):
    if torch.cuda.device_count() > 1:
        model = nn.DataParallel(model)
    torch.jit.script(model.module if isinstance(model, nn.DataParallel) else model).save(path)
