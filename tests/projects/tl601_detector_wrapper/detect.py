import torch

from models.yolo import YOLO


class Detector:
    def __init__(self, weights):
        self.model = YOLO()
        self.model.load_state_dict(torch.load(weights, map_location="cpu"))

    @torch.no_grad()
    def detect(self, img):
        return self.model(img[None])[0]
