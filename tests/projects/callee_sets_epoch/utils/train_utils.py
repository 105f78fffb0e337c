def train_one_epoch(model, loader, optimizer, epoch):
    loader.sampler.set_epoch(epoch)
    model.train()
    for images, target in loader:
        loss = model(images).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
