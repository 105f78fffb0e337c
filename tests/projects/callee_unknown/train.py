from torch.utils.data import DataLoader, DistributedSampler

from timm.engine import train_one_epoch
from helpers.loops import run_epoch  # helpers/ is not in this project: unknown


def main(args, dataset, model, optimizer):
    sampler = DistributedSampler(dataset)
    loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    for epoch in range(args.epochs):
        train_one_epoch(model, loader, optimizer, epoch)
    for epoch in range(args.epochs):
        run_epoch(model, loader, optimizer, epoch)
