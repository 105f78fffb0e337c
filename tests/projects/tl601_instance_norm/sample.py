import torch
from networks import Translator


class Runner:
    def __init__(self, checkpoint):
        self.G = Translator()
        self.G.load_state_dict(torch.load(checkpoint))

    def translate(self, loader):
        outputs = []
        with torch.no_grad():
            for images in loader:
                outputs.append(self.G(images))
        return outputs
