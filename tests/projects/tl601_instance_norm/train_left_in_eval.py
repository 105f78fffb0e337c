import torch
import torch.nn.functional as F
from networks import Translator


def main(train_loader, val_loader, epochs):
    model = Translator()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    model.train()
    for epoch in range(epochs):
        for images, target in train_loader:
            loss = F.l1_loss(model(images), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            score = sum(F.l1_loss(model(x), y).item() for x, y in val_loader)
        print(epoch, score)
