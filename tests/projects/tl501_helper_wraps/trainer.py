import torch

from utils.dist import build_model


class Trainer:
    def __init__(self, num_classes):
        self.model = build_model(num_classes)

    def export(self, path):
        torch.jit.script(self.model).save(path)
