from torch.utils.data import DataLoader, DistributedSampler

train_sampler = None


def make_sampler(dataset):
    return DistributedSampler(dataset, shuffle=True, drop_last=True)


def make_loader(dataset, sampler):
    return DataLoader(dataset, batch_size=16, sampler=sampler)
