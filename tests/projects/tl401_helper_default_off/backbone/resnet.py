import torch
from torch import nn


def build_backbone(pretrain_path="", trainable_layers=3):
    body = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    if pretrain_path != "":
        body.load_state_dict(torch.load(pretrain_path), strict=False)
    return body
