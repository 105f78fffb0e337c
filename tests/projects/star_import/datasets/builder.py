import torch
from torch.utils.data import DataLoader

__all__ = ["build_dataloader"]


def build_dataloader(dataset, batch_size, distributed=True):
    sampler = torch.utils.data.distributed.DistributedSampler(dataset) if distributed else None
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler, shuffle=False)


def _private_helper():
    return None
