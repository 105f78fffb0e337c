import torch


def _read(path):
    return torch.load(path)


def load_checkpoint(model, path):
    state = _read(path)
    model.load_state_dict(state["model"])
    return state.get("epoch", 0)
