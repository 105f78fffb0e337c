import torch
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP

from models import Net


def build_model(num_classes):
    model = Net(num_classes).cuda()
    model = nn.DataParallel(model)
    return model


def wrap_ddp(model, local_rank):
    return DDP(model, device_ids=[local_rank])


def maybe_parallel(model):
    if torch.cuda.device_count() > 1:
        model = nn.DataParallel(model)
    return model
