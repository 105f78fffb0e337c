"""TL201 under real DDP: a 2-process gloo job trains a `DistributedDataParallel` model for three
epochs on a `DataLoader` over a shuffling `DistributedSampler`, recording each rank's sample order
per epoch.

Symptom: without `sampler.set_epoch(epoch)` every epoch replays the same order on every rank.
After the safe fix (`sampler.set_epoch(epoch)` first in the epoch loop) the order changes from
epoch to epoch.  Both before and after, the ranks see disjoint shards that together cover the
dataset each epoch (checked with collectives), and `outputs()` -- the union of the shards per
epoch -- is the same.
"""

WORLD_SIZE = 2
TIMEOUT = 180

PROGRAM = '''
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset


def make_dataset(n=32):
    x = torch.arange(n, dtype=torch.float32).unsqueeze(1)
    return TensorDataset(torch.arange(n), x, 3 * x + 1)


def train(epochs=3, batch_size=4):
    """Train; return the sample indices this rank saw, per epoch, in order."""
    torch.manual_seed(0)
    dataset = make_dataset()
    sampler = DistributedSampler(dataset)  # shuffles; rank and world size from the process group
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler)
    model = DDP(nn.Linear(1, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    seen = []
    for epoch in range(epochs):
        order = []
        for index, x, y in loader:
            optimizer.zero_grad()
            F.mse_loss(model(x), y).backward()
            optimizer.step()
            order.extend(index.tolist())
        seen.append(order)
    return seen
'''


def _every_rank(value):
    import torch.distributed as dist

    gathered = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, value)
    return gathered


def symptom(program):
    import torch.distributed as dist

    seen = program.train()
    shards = _every_rank(seen)
    n = len(program.make_dataset())
    for epoch in range(len(seen)):
        per_rank = [set(rank_seen[epoch]) for rank_seen in shards]
        assert not set.intersection(*per_rank), f"epoch {epoch}: ranks overlap: {per_rank}"
        assert set.union(*per_rank) == set(range(n)), f"epoch {epoch}: shards miss samples: {per_rank}"
    if all(order == seen[0] for order in seen[1:]):
        return f"rank {dist.get_rank()} replays the order {seen[0]} in all {len(seen)} epochs"
    return None


def outputs(program):
    """Per epoch, the union of every rank's samples: the whole dataset, fix or no fix."""
    shards = _every_rank(program.train())
    return [sorted(i for rank_seen in shards for i in rank_seen[epoch]) for epoch in range(len(shards[0]))]


def judge(ranks):
    """The same code runs on both ranks: the symptom shows on all ranks or on none."""
    shown = [bool(r["symptom"]) for r in ranks]
    assert all(shown) or not any(shown), f"the symptom shows on some ranks only: {ranks}"
