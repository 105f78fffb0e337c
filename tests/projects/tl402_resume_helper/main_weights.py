import torch
import torch.nn as nn

from src import utils


def main(net, resume):
    model = nn.DataParallel(net)
    if resume:
        utils.load_weights(model, resume)
    torch.save(model.state_dict(), "last.pth")
