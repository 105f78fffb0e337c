"""TL301: multi-head self-attention merges its heads: `x = x.transpose(1, 2)`, then `x.view(...)`.

Symptom: on any input with more than one token, the forward pass raises
`RuntimeError: view size is not compatible with input tensor's size and stride`.
Equivalence: on single-token inputs (incremental decoding), where the original runs, the
fixed module returns exactly the same tensor.
"""

PROGRAM = '''
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class SelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def split_heads(self, x, batch, seq):
        return x.view(batch, seq, self.heads, self.head_dim).transpose(1, 2)

    def merge_heads(self, x):
        batch, heads, seq, head_dim = x.shape
        x = x.transpose(1, 2)  # (batch, seq, heads, head_dim)
        return x.view(batch, seq, heads * head_dim)

    def forward(self, x):
        batch, seq, dim = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q, k, v = (self.split_heads(t, batch, seq) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        out = F.softmax(scores, dim=-1) @ v
        return self.proj(self.merge_heads(out))


def build(dim=32, heads=4):
    torch.manual_seed(0)
    return SelfAttention(dim, heads).eval()
'''


def symptom(program):
    import torch

    model = program.build()
    try:
        with torch.no_grad():
            model(torch.randn(2, 5, 32))
    except RuntimeError as error:
        if "view size is not compatible" in str(error):
            return str(error).splitlines()[0]
        raise
    return None


def outputs(program):
    import torch

    model = program.build()
    torch.manual_seed(1)
    with torch.no_grad():
        out = model(torch.randn(3, 1, 32))  # one token: the view happens to be legal
    return out.tolist()
