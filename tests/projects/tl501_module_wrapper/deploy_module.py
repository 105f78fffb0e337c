import torch

import config

traced = torch.jit.trace(config.model, torch.randn(1, 4))
unwrapped = torch.jit.trace(config.model.module, torch.randn(1, 4))
