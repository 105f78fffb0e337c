"""TL501 under real DDP: every rank of a 2-process gloo job trains a `DistributedDataParallel`
model, then scripts the wrapper to validate the export.

Symptom: on every rank `torch.jit.script(model)` raises `torch.jit.frontend.NotSupportedError`
(DistributedDataParallel.forward takes *inputs, **kwargs).  After the safe fix
(`torch.jit.script(model.module)`) every rank exports; each archive computes what its eager
model computes, and the ranks' archives agree with each other (DDP kept the replicas in sync
while each rank trained on its own data).
"""

WORLD_SIZE = 2
TIMEOUT = 180

PROGRAM = '''
import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP


class Classifier(nn.Module):
    def __init__(self, features=8, classes=3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Linear(16, classes))

    def forward(self, x):
        return self.net(x)


def train_and_export(steps=5, out_dir="."):
    rank = dist.get_rank()
    torch.manual_seed(1234 + rank)  # replicas start different: DDP broadcasts rank 0's weights
    model = DDP(Classifier())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    shard = torch.Generator().manual_seed(rank)  # every rank trains on its own data
    for _ in range(steps):
        x = torch.randn(16, 8, generator=shard)
        y = torch.randint(0, 3, (16,), generator=shard)
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
    model.eval()
    scripted = torch.jit.script(model)
    scripted.save(os.path.join(out_dir, f"classifier-rank{rank}.pt"))
    return model
'''


def symptom(program):
    import torch
    import torch.distributed as dist

    try:
        model = program.train_and_export()
    except torch.jit.frontend.NotSupportedError as error:
        return f"NotSupportedError: {str(error).splitlines()[0]}"
    rank = dist.get_rank()
    archive = torch.jit.load(f"classifier-rank{rank}.pt")
    x = torch.randn(5, 8, generator=torch.Generator().manual_seed(99))
    with torch.no_grad():
        scripted_out = archive(x)
        torch.testing.assert_close(scripted_out, model(x))
    every_rank = [None] * dist.get_world_size()
    dist.all_gather_object(every_rank, scripted_out.tolist())
    assert all(out == every_rank[0] for out in every_rank), f"ranks disagree: {every_rank}"
    return None


def judge(ranks):
    """DDP runs every rank through the same code: the symptom shows on all ranks or on none."""
    shown = [bool(r["symptom"]) for r in ranks]
    assert all(shown) or not any(shown), f"the symptom shows on some ranks only: {ranks}"
