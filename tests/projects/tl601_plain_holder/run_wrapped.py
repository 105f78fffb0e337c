import torch
from scorers import Wrapped


def run(loader, checkpoint):
    scorer = Wrapped()
    scorer.load_state_dict(torch.load(checkpoint))
    results = []
    with torch.no_grad():
        for a, b in loader:
            results.append(scorer(a, b))
    return results
