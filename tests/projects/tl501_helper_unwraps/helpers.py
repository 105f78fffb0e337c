import torch.nn as nn

from net import Net


def unwrap(model):
    return model.module if isinstance(model, nn.DataParallel) else model


def bare_model(model):
    return model.module


def build_model():
    model = Net()
    return model


def train_parallel(model):
    model = nn.DataParallel(model)
    model(None)
    return model.module
