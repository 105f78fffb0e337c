import torch
import torch.nn.functional as F


def train_one_epoch(model, data_loader, optimizer):
    for images, target in data_loader:
        loss = F.cross_entropy(model(images), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def train_one_epoch_in_train_mode(model, data_loader, optimizer):
    model.train()
    train_one_epoch(model, data_loader, optimizer)


@torch.no_grad()
def evaluate(model, data_loader):
    model.eval()
    return sum((model(x).argmax(1) == y).sum().item() for x, y in data_loader)
