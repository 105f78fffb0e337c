from torch.utils.data import DataLoader, DistributedSampler

from utils.train_utils import train_one_epoch


def main(args, dataset, model, optimizer):
    sampler = DistributedSampler(dataset)
    loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    for epoch in range(args.epochs):
        train_one_epoch(model, loader, optimizer, epoch)
