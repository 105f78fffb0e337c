import torch.nn as nn

from net import Net

model = nn.DataParallel(Net())
backbone = Net()
