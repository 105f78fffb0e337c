import os

import torch


def restart_from_checkpoint(ckp_path, run_variables=None, **kwargs):
    if not os.path.isfile(ckp_path):
        return
    checkpoint = torch.load(ckp_path, map_location="cpu")
    for key, value in kwargs.items():
        if key in checkpoint and value is not None:
            value.load_state_dict(checkpoint[key])
    if run_variables is not None:
        for name in run_variables:
            run_variables[name] = checkpoint.get(name)


def load_weights(model, path):
    model.load_state_dict(torch.load(path, map_location="cpu"))


def log_modules(path, **kwargs):
    for key, value in kwargs.items():
        print(key, type(value).__name__, path)
