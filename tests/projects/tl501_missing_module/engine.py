import torch.nn as nn

wrapped_model = nn.DataParallel(Net()
