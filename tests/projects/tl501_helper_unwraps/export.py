import torch
import torch.nn as nn

from helpers import bare_model, build_model, fit, train_parallel, unwrap
from net import Net

wrapped = nn.DataParallel(Net())
a = torch.jit.script(unwrap(wrapped))
b = torch.jit.script(bare_model(wrapped))
c = torch.jit.script(build_model())
d = torch.jit.script(train_parallel(Net()))
e = torch.jit.script(fit(Net()))
