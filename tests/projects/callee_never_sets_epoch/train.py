import torch
from torch.utils.data import DataLoader, DistributedSampler

import engine


def main(args, dataset, model, optimizer):
    train_sampler = DistributedSampler(dataset)
    train_loader = DataLoader(dataset, batch_size=args.batch_size, sampler=train_sampler)
    criterion = torch.nn.CrossEntropyLoss()
    for epoch in range(args.start_epoch, args.epochs):
        engine.train_one_epoch(model, criterion, train_loader, optimizer, epoch)
