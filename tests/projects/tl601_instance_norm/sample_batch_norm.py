import torch
from networks import BatchTranslator


class Runner:
    def __init__(self, checkpoint):
        self.G = BatchTranslator()
        self.G.load_state_dict(torch.load(checkpoint))

    def translate(self, loader):
        outputs = []
        with torch.no_grad():
            for images in loader:
                outputs.append(self.G(images))
        return outputs
