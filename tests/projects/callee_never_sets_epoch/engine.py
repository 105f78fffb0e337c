import torch


def train_one_epoch(model, criterion, data_loader, optimizer, epoch, print_freq=10):
    model.train()
    for i, (images, target) in enumerate(data_loader):
        loss = criterion(model(images), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i % print_freq == 0:
            print(f"epoch {epoch} step {i} loss {loss.item():.3f}")
    torch.cuda.synchronize()
