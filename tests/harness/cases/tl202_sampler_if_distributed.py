"""TL202: a loader factory that shards with a `DistributedSampler` when running distributed and
otherwise shuffles -- but passes `shuffle=True` on both paths.

Symptom: the distributed path raises `ValueError: sampler option is mutually exclusive with
shuffle`.  After the safe fix (`shuffle=(sampler is None)`) the distributed loader builds and
yields this rank's half of the data; the single-process path still shuffles exactly as before
(`outputs()`, with a seeded generator).
"""

PROGRAM = '''
import torch
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset


def make_loader(dataset, world_size=1, rank=0, seed=0):
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank) if world_size > 1 else None
    return DataLoader(
        dataset,
        batch_size=4,
        shuffle=True,
        sampler=sampler,
        generator=torch.Generator().manual_seed(seed),
    )


def dataset(n=16):
    return TensorDataset(torch.arange(n))
'''


def symptom(program):
    try:
        loader = program.make_loader(program.dataset(), world_size=2, rank=0)
    except ValueError as error:
        if "mutually exclusive" in str(error):
            return f"ValueError: {error}"
        raise
    seen = sorted(i for (batch,) in loader for i in batch.tolist())
    assert len(seen) == 8 and len(set(seen)) == 8, seen  # this rank's half, no repeats
    return None


def outputs(program):
    """Single-process: the shuffled order is unchanged by the fix."""
    return [batch.tolist() for (batch,) in program.make_loader(program.dataset(), seed=7)]
