import torch
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from backbone import build_backbone


def main(args, dataset):
    sampler = DistributedSampler(dataset)
    loader = DataLoader(dataset, sampler=sampler, batch_size=4)
    model = build_backbone(trainable_layers=5)  # no pretrain_path: the load never runs
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        for x in loader:
            model(x).sum().backward()
    torch.save(model.state_dict(), "last.pt")
