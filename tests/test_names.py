"""Name resolution: rules see qualified names through every import spelling."""

import libcst as cst
import pytest

from torchlint.context import FileContext


def resolve(source, expression):
    module = cst.parse_module(source)
    ctx = FileContext("x.py", source, module)
    return ctx.qualified_name(cst.parse_expression(expression))


@pytest.mark.parametrize(
    "source, expression, expected",
    [
        ("import torch.nn as nn\n", "nn.Conv2d", "torch.nn.Conv2d"),
        ("from torch import nn\n", "nn.Conv2d", "torch.nn.Conv2d"),
        ("from torch.nn import Conv2d as C\n", "C", "torch.nn.Conv2d"),
        ("import torch as th\n", "th.nn.Conv2d", "torch.nn.Conv2d"),
        ("import torch\n", "torch.nn.modules.conv.Conv2d", "torch.nn.Conv2d"),
        ("import torch.nn\n", "torch.nn.Linear", "torch.nn.Linear"),
        (
            "from torch.nn.parallel import DistributedDataParallel as DDP\n",
            "DDP",
            "torch.nn.parallel.DistributedDataParallel",
        ),
        ("import torch.nn as nn\nDP = nn.DataParallel\n", "DP", "torch.nn.DataParallel"),
        ("import torch.nn as nn\nA = nn.DataParallel\nB = A\n", "B", "torch.nn.DataParallel"),
        ("def f():\n    import torch.distributed as dist\n", "dist.init_process_group",
         "torch.distributed.init_process_group"),
        ("import torch.utils.data as tud\n", "tud.distributed.DistributedSampler",
         "torch.utils.data.DistributedSampler"),
        ("import numpy as np\n", "np.random.rand", "numpy.random.rand"),
    ],
)
def test_resolves(source, expression, expected):
    assert resolve(source, expression) == expected


@pytest.mark.parametrize(
    "source, expression",
    [
        ("", "nn.Conv2d"),  # never imported
        ("import torch.nn as nn\nnn = make_namespace()\n", "nn.Conv2d"),  # rebound to something else
        ("import torch.nn as nn\ndef f(nn):\n    pass\n", "nn.Conv2d"),  # shadowed by a parameter
        ("from . import nn\n", "nn.Conv2d"),  # project-local
        ("try:\n    from apex import DDP\nexcept ImportError:\n    from torch.nn.parallel import"
         " DistributedDataParallel as DDP\n", "DDP"),  # two different things: stay silent
        ("from torch.nn import *\n", "Conv2d"),
        ("import torch\n", "x.view"),
    ],
)
def test_unknown_or_ambiguous_names_resolve_to_nothing(source, expression):
    assert resolve(source, expression) is None
