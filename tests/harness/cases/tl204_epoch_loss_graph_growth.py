"""TL204: a training epoch sums `total_loss += loss` to report the mean loss.

Symptom: `total_loss` is a tensor whose autograd graph contains every iteration's graph --
the number of graph nodes reachable from it grows with the number of steps (and so does the
memory it pins).  After the (unsafe) fix (`loss.item()`) the accumulator is a float that
references no graph, whatever the number of steps.  Equivalence: the reported mean loss and
the trained parameters are unchanged.
"""

UNSAFE = True

PROGRAM = '''
import torch
import torch.nn as nn


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.body(x)


def make_batches(n_batches, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [(torch.randn(16, 8, generator=generator), torch.randn(16, 1, generator=generator))
            for _ in range(n_batches)]


def train_epoch(model, batches, optimizer, criterion):
    model.train()
    total_loss = 0.0
    for x, y in batches:
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss
    return total_loss


def run(n_batches):
    torch.manual_seed(0)
    model = Regressor()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    total = train_epoch(model, make_batches(n_batches), optimizer, nn.MSELoss())
    return model, total
'''


def _graph_nodes(value):
    """Autograd nodes reachable from `value` (0 for a float or a tensor without history)."""
    fn = getattr(value, "grad_fn", None)
    seen, pending = set(), [fn] if fn is not None else []
    while pending:
        node = pending.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        pending.extend(next_fn for next_fn, _ in node.next_functions)
    return len(seen)


def symptom(program):
    small = _graph_nodes(program.run(3)[1])
    large = _graph_nodes(program.run(12)[1])
    if large > small or large > 0:
        return f"graph nodes reachable from total_loss: {small} after 3 steps, {large} after 12 steps"
    return None


def outputs(program):
    model, total = program.run(5)
    return {
        "mean_loss": round(float(total) / 5, 6),
        "params": [round(v, 6) for p in model.parameters() for v in p.detach().flatten().tolist()[:4]],
    }
