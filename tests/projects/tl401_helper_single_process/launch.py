import torch.multiprocessing as mp


def load_checkpoint(path):  # a local function of the same name, not checkpoint.load_checkpoint
    return path


def worker(rank):
    load_checkpoint("x.pt")


mp.spawn(worker, nprocs=2)
