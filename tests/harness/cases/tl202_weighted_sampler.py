"""TL202: class-balanced training with a `WeightedRandomSampler`, and `shuffle=True` left over from
the plain loader it replaced.

Symptom: building the loader raises `ValueError: sampler option is mutually exclusive with
shuffle`.  After the safe fix (`shuffle=True` removed) the loader draws from the sampler: with a
seeded generator, the minority class makes up about half of the samples.
"""

PROGRAM = '''
import torch
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler


def balanced_loader(seed=0):
    labels = torch.tensor([0] * 90 + [1] * 10)
    dataset = TensorDataset(torch.randn(100, 3, generator=torch.Generator().manual_seed(1)), labels)
    weights = torch.where(labels == 1, 9.0, 1.0)
    sampler = WeightedRandomSampler(weights, num_samples=1000, generator=torch.Generator().manual_seed(seed))
    return DataLoader(dataset, batch_size=50, shuffle=True, sampler=sampler)
'''


def symptom(program):
    try:
        loader = program.balanced_loader()
    except ValueError as error:
        if "mutually exclusive" in str(error):
            return f"ValueError: {error}"
        raise
    labels = torch_cat([y for _, y in loader])
    share = float(labels.float().mean())
    assert 0.4 < share < 0.6, f"minority share {share}: the sampler is not in use"
    return None


def torch_cat(tensors):
    import torch

    return torch.cat(tensors)
