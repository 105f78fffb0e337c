import torch

from engine import finalize, train_one_epoch
from models import Classifier


def main(train_loader, val_loader, epochs):
    model = Classifier()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(epochs):
        train_one_epoch(model, train_loader, optimizer)
        finalize(model)
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x).argmax(1) == y).sum().item()
        print(epoch, correct)
