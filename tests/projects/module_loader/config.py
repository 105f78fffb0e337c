import torch
from torch.utils.data import DataLoader, DistributedSampler

dataset = torch.utils.data.TensorDataset(torch.zeros(8, 2))
sampler = DistributedSampler(dataset)
loader = DataLoader(dataset, batch_size=2, sampler=sampler)
