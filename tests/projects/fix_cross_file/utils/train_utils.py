def train_one_epoch(model, loader, optimizer, epoch):
    model.train()
    for step, (x, y) in enumerate(loader):
        loss = model(x, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return epoch
