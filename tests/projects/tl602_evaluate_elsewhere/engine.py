import torch


def evaluate(model, data_loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, target in data_loader:
            correct += (model(images).argmax(1) == target).sum().item()
    return correct


def evaluate_and_restore(model, data_loader):
    model.eval()
    with torch.no_grad():
        acc = sum((model(x).argmax(1) == y).sum().item() for x, y in data_loader)
    model.train()
    return acc


def count_parameters(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
