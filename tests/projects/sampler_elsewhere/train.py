import torch

from data import build_loader


def main(args, dataset, model, optimizer):
    loader, sampler = build_loader(dataset, args.batch_size)
    for epoch in range(args.epochs):
        for images, target in loader:
            loss = torch.nn.functional.cross_entropy(model(images), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
