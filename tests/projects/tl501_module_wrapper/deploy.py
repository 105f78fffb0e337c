import torch

from config import backbone, model


def save_scripted(path):
    torch.jit.script(model).save(path)


def save_backbone(path):
    torch.jit.script(backbone).save(path)


def save_given(model, path):
    torch.jit.script(model).save(path)
