import torch
import torch.nn as nn

from src.utils import log_modules, restart_from_checkpoint


def main(net, optimizer):
    model = nn.DataParallel(net)
    restart_from_checkpoint("checkpoint.pth", optimizer=optimizer)  # the model is not resumed
    log_modules("log.txt", model=model)  # handed over, never loaded into
    torch.save({"state_dict": model.state_dict()}, "checkpoint.pth")
