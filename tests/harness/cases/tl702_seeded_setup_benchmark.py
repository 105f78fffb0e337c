"""TL702: a training script's setup seeds everything, asks cuDNN for deterministic algorithms and
turns benchmarking on "for speed".

Symptom: after the setup runs, `torch.backends.cudnn.benchmark` and
`torch.backends.cudnn.deterministic` are both True, so on a GPU cuDNN times candidate
convolution algorithms each run and may keep a different one (the flags can be read on a
CPU-only machine too).  After the (unsafe) fix (`cudnn.benchmark = not cudnn.deterministic`)
the setup leaves benchmarking off while deterministic stays on.  Equivalence: the seeded random draws are unchanged.
"""

UNSAFE = True

PROGRAM = '''
import random

import numpy as np
import torch
import torch.backends.cudnn as cudnn


def setup(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    cudnn.deterministic = True
    cudnn.benchmark = True  # faster convolutions
    return torch.randn(4)
'''


def symptom(program):
    import torch

    program.setup(0)
    flags = torch.backends.cudnn
    assert flags.deterministic is True
    if flags.benchmark:
        return "after setup(): torch.backends.cudnn.benchmark=True with deterministic=True"
    return None


def outputs(program):
    return [round(v, 6) for v in program.setup(1).tolist()]
