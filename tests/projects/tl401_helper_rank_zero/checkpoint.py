import torch


def load_checkpoint(model, path):
    model.load_state_dict(torch.load(path))
