import torch

from checkpoint import load_checkpoint


def main(args, model):
    load_checkpoint(model, args.weights)  # one process: no spawn, no process group
    model.eval()
    with torch.no_grad():
        return model(torch.zeros(1, 3, 224, 224))
