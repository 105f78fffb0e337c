import torch
import torchvision

from engine import evaluate, train_one_epoch_in_train_mode as train_one_epoch


def main(args, train_loader, val_loader):
    model = torchvision.models.resnet18(num_classes=10)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    model.train()
    for epoch in range(args.epochs):
        train_one_epoch(model, train_loader, optimizer)
        acc = evaluate(model, val_loader)
        print(f"epoch {epoch}: {acc}")
