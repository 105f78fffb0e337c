import torch

from models import Net
from utils.dist import maybe_parallel

# Wrapped only on a multi-GPU machine: a data-parallel wrapper on some paths.
model = maybe_parallel(Net())
torch.jit.script(model).save("model.pt")
