"""A small distributed image-classification training script with the quiet bugs torchlint finds.

Run `torchlint examples/train_buggy.py` to see them; `examples/train_fixed.py` is the
same script after `torchlint --fix --unsafe-fixes examples/train_buggy.py`.
"""

import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler


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
    def __init__(self, classes=10, dim=64, tokens=64):
        super().__init__()
        self.embed = PatchEmbed(dim=dim)
        self.head = nn.Linear(tokens * dim, classes)
        self.dropout = nn.Dropout(p=0.1)

    def forward(self, images):
        features = self.embed(images)
        features = self.dropout(features)  # regularise the patch features
        return self.head(features)


def evaluate(model, loader):
    correct = total = 0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for images, labels in loader:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            total += labels.numel()
    model.train(was_training)
    return correct / max(total, 1)


def train(dataset, val_loader, epochs=10, lr=1e-3):
    dist.init_process_group("gloo")
    model = DDP(Classifier())
    if os.path.exists("checkpoint.pt"):
        model.module.load_state_dict(torch.load("checkpoint.pt", map_location="cpu"))
    sampler = DistributedSampler(dataset)
    loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for images, labels in loader:
            loss = F.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: accuracy {evaluate(model, val_loader):.3f}")
    return model


def export(model, path):
    if torch.cuda.device_count() > 1:
        model = nn.DataParallel(model)
    torch.jit.script(model.module if isinstance(model, nn.DataParallel) else model).save(path)
