import torch
from scorers import Opaque


def run(loader, checkpoint):
    scorer = Opaque()
    scorer.load_state_dict(torch.load(checkpoint))
    results = []
    with torch.no_grad():
        for a, b in loader:
            results.append(scorer(a, b))
    return results
