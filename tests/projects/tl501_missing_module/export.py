import torch

from parallel_utils import build_parallel_model  # not in the project
from engine import wrapped_model  # engine.py cannot be parsed

model = build_parallel_model()
torch.jit.script(model)
torch.jit.script(wrapped_model)
