"""Symbolic shapes behind TL301: every view torchlint proves to fail is run on real torch.

Each case is a small program with a function `run()` that builds concrete tensors and calls
the code torchlint reads.  For `PROOFS`, TL301 must report exactly one view and `run()` must
raise torch's "view size is not compatible" error; for `LOOK_ALIKES`, TL301 stays silent
and `run()` returns normally (they are views that work, or that torchlint cannot prove).
"""

import textwrap

import libcst as cst
import pytest

from tests.helpers import codes
from torchlint.analysis.shapes import propagated_shape
from torchlint.context import FileContext

torch = pytest.importorskip("torch")

SELECT = ["TL301"]

ATTENTION_INIT = """
    import math
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Attention(nn.Module):
        def __init__(self, dim, num_heads=4, qk_scale=None):
            super().__init__()
            self.num_heads = num_heads
            head_dim = dim // num_heads
            self.head_dim = head_dim
            self.scale = qk_scale or head_dim ** -0.5
            self.qkv = nn.Linear(dim, dim * 3)
            self.q = nn.Linear(dim, dim)
            self.k = nn.Linear(dim, dim)
            self.v = nn.Linear(dim, dim)
            self.attn_drop = nn.Dropout(0.1)
            self.proj = nn.Linear(dim, dim)
"""
RUN_ATTENTION = """
    def run():
        return Attention(32).eval()(torch.randn(2, 5, 32))
"""


def attention(forward: str) -> str:
    return (
        textwrap.dedent(ATTENTION_INIT)
        + textwrap.indent(textwrap.dedent(forward), "    ")
        + textwrap.dedent(RUN_ATTENTION)
    )


PROOFS = {
    # timm's Attention, with `.view` where timm has `.reshape`.
    "timm-head-merge-unbind": attention("""
        def forward(self, x):
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)
            attn = (q @ k.transpose(-2, -1)) * self.scale
            attn = attn.softmax(dim=-1)
            attn = self.attn_drop(attn)
            x = (attn @ v).transpose(1, 2).view(B, N, C)
            return self.proj(x)
    """),
    "vit-head-merge-indexing": attention("""
        def forward(self, x):
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            attn = q @ k.transpose(-2, -1) * self.scale
            attn = self.attn_drop(attn.softmax(dim=-1))
            x = attn @ v
            x = x.transpose(1, 2)
            x = x.view(B, N, C)
            return self.proj(x)
    """),
    "hand-written-matmul-merge-heads-product": attention("""
        def forward(self, x):
            B, N, _ = x.shape
            q = self.q(x).view(B, N, self.num_heads, self.head_dim).transpose(1, 2)
            k = self.k(x).view(B, N, self.num_heads, self.head_dim).transpose(1, 2)
            v = self.v(x).view(B, N, self.num_heads, self.head_dim).transpose(1, 2)
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
            probs = F.softmax(scores, dim=-1)
            out = torch.matmul(probs, v)
            out = out.transpose(1, 2).view(B, N, self.num_heads * self.head_dim)
            return self.proj(out)
    """),
    "chunk-qkv-then-flatten-heads": attention("""
        def forward(self, x):
            B, N, C = x.shape
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            q = q.view(B, N, self.num_heads, -1).transpose(1, 2)
            k = k.view(B, N, self.num_heads, -1).transpose(1, 2)
            v = v.view(B, N, self.num_heads, -1).transpose(1, 2)
            attn = (q * self.scale) @ k.transpose(-2, -1)
            out = attn.softmax(-1) @ v
            out = out.permute(0, 2, 1, 3).view(B, N, -1)
            return self.proj(out)
    """),
    "bmm-heads-folded-into-batch": attention("""
        def forward(self, x):
            B, N, C = x.shape
            q = self.q(x).view(B, N, self.num_heads, self.head_dim).transpose(1, 2).reshape(B * self.num_heads, N, -1)
            k = self.k(x).view(B, N, self.num_heads, self.head_dim).transpose(1, 2).reshape(B * self.num_heads, N, -1)
            v = self.v(x).view(B, N, self.num_heads, self.head_dim).transpose(1, 2).reshape(B * self.num_heads, N, -1)
            attn = torch.bmm(q, k.transpose(1, 2)).softmax(dim=-1)
            out = torch.bmm(attn, v).view(B, self.num_heads, N, self.head_dim)
            return self.proj(out.permute(0, 2, 1, 3).view(B, N, C))
    """),
    "causal-mask-buffer-and-masked-fill": """
        import math
        import torch
        import torch.nn as nn
        import torch.nn.functional as F

        class CausalSelfAttention(nn.Module):
            def __init__(self, dim, heads, max_len):
                super().__init__()
                self.heads = heads
                self.attn = nn.Linear(dim, 3 * dim)
                self.register_buffer("causal", torch.tril(torch.ones(max_len, max_len)).view(1, 1, max_len, max_len))

            def forward(self, x):
                B, T, C = x.size()
                q, k, v = self.attn(x).split(C, dim=2)
                q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
                k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
                v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
                scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
                scores = scores.masked_fill(self.causal[:, :, :T, :T] == 0, float("-inf"))
                y = F.softmax(scores, dim=-1) @ v
                return y.transpose(1, 2).view(B, T, C)

        def run():
            return CausalSelfAttention(16, 4, 8)(torch.randn(2, 5, 16))
    """,
    "blend-with-an-expanded-mask": """
        import torch
        def blend(points, fallback, scores, thresh):
            b, j, k, _ = points.shape
            mask = (scores < thresh).float().expand(b, j, k, 2)
            out = (1 - mask) * points + mask * fallback
            return out.permute(0, 2, 1, 3).view(b, k, j * 2)
        def run():
            return blend(torch.randn(2, 3, 4, 2), torch.randn(2, 3, 4, 2), torch.rand(2, 3, 4, 1), 0.5)
    """,
    "permute-keeps-batch-then-flatten": """
        import torch
        def head(feat):
            return feat.permute(0, 2, 3, 1).view(feat.shape[0], -1)
        def run():
            return head(torch.randn(2, 3, 4, 5))
    """,
    "batch-read-before-transpose-any-rank": """
        import torch
        def flatten(y):
            n = y.size(0)
            return y.transpose(2, 3).view(n, -1)
        def run():
            return flatten(torch.randn(2, 3, 4, 5, 6))
    """,
    "leading-sizes-unpacked-from-a-slice": """
        import torch
        def flatten(y):
            n, c = y.shape[:2]
            return y.transpose(2, 3).view(n, c, -1)
        def run():
            return flatten(torch.randn(2, 3, 4, 5))
    """,
    "size-of-the-permuted-name": """
        import torch
        def head(x):
            x = x.permute(0, 2, 3, 1)
            return x.view(x.shape[0], -1)
        def run():
            return head(torch.randn(2, 3, 4, 5))
    """,
    "movedim-keeps-batch": """
        import torch
        def head(x):
            b = x.shape[0]
            return x.movedim(1, 3).view(b, -1)
        def run():
            return head(torch.randn(2, 3, 4, 5))
    """,
    "flatten-any-permuted": """
        import torch
        def flat(x):
            return x.transpose(2, 3).view(-1)
        def run():
            return flat(torch.randn(2, 3, 4, 5))
    """,
}

LOOK_ALIKES = {
    "timm-reshape": attention("""
        def forward(self, x):
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)
            attn = (q @ k.transpose(-2, -1)) * self.scale
            x = (attn.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, N, C)
            return self.proj(x)
    """),
    "contiguous-before-view": attention("""
        def forward(self, x):
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)
            attn = (q @ k.transpose(-2, -1)) * self.scale
            x = (attn.softmax(dim=-1) @ v).transpose(1, 2).contiguous().view(B, N, C)
            return self.proj(x)
    """),
    "split-only-keeps-heads": attention("""
        def forward(self, x):
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)
            x = ((q @ k.transpose(-2, -1)).softmax(dim=-1) @ v).transpose(1, 2)
            x = x.view(B, N, self.num_heads, -1)
            return self.proj(x.reshape(B, N, C))
    """),
    "output-of-unknown-function": attention("""
        def forward(self, x):
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)
            x = F.scaled_dot_product_attention(q, k, v)
            return self.proj(x.transpose(1, 2).reshape(B, N, C))
    """),
    "sdpa-output-has-its-own-layout": attention("""
        # SDPA on CPU returns (B, H, N, D) laid out as (B, N, H, D): this view works.
        def forward(self, x):
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)
            x = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0)
            x = x.transpose(1, 2).view(B, N, C)
            return self.proj(x)
    """),
    "value-sliced-from-permuted-qkv": attention("""
        def forward(self, x):
            B, N, C = x.shape
            qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
            q, k, v = qkv.unbind(0)
            return self.proj(v.transpose(1, 2).view(B, N, C))  # v is (B, H, N, D) laid out as (B, N, H, D)
    """),
    "permuted-back": """
        import torch
        def roundtrip(x):
            y = x.permute(0, 2, 1)
            return y.permute(0, 2, 1).view(-1)  # the two permutations cancel out
        def run():
            return roundtrip(torch.randn(2, 3, 4))
    """,
    "elementwise-of-a-transposed-tensor-transposed-back": """
        import torch
        def roundtrip(x):
            z = x.transpose(1, 2) * 2.0  # laid out like its transposed input
            return z.transpose(1, 2).view(-1)
        def run():
            return roundtrip(torch.randn(2, 3, 4))
    """,
    "adjacent-merge-nhwc": """
        import torch
        def tokens(x):
            N, C, H, W = x.shape
            return x.permute(0, 2, 3, 1).view(N, H * W, C)
        def run():
            return tokens(torch.randn(2, 3, 4, 5))
    """,
    "adjacent-merge-keeps-batch": """
        import torch
        def tokens(x):
            return x.permute(0, 2, 3, 1).view(x.size(0), -1, x.size(1))
        def run():
            return tokens(torch.randn(2, 3, 4, 5))
    """,
    "split-only-segformer": """
        import torch
        def to_image(x, H, W):
            B, N, C = x.shape
            return x.transpose(1, 2).view(B, C, H, W)
        def run():
            return to_image(torch.randn(2, 12, 3), 3, 4)
    """,
    "rank-unknown-last-dims-swapped": """
        import torch
        def flatten(y):
            n = y.size(0)
            return y.transpose(-2, -1).view(n, -1)  # rank 2 and square: the same shape, works
        def run():
            return flatten(torch.randn(3, 3))
    """,
    "batch-read-before-the-tensor-changed": """
        import torch
        def flatten(y):
            n = y.size(0)
            y = y.mean(1, keepdim=True)
            return y.transpose(1, 2).view(n, -1)  # n was read from another tensor (here: it works)
        def run():
            return flatten(torch.randn(2, 3, 4, 5))
    """,
    "unpacked-from-the-input-after-a-transpose-of-dim-0": """
        import torch
        def g(y):
            n = y.size(0)
            return y.transpose(0, 1).view(n, -1)  # dim 0 moved: n is not the result's dim 0
        def run():
            return g(torch.randn(3, 1, 2))
    """,
    "reshape-after-permute": """
        import torch
        def head(feat):
            return feat.permute(0, 2, 3, 1).reshape(feat.shape[0], -1)
        def run():
            return head(torch.randn(2, 3, 4, 5))
    """,
}


def _exec(source: str):
    namespace = {"__name__": "shapes_case"}
    exec(compile(textwrap.dedent(source), "<case>", "exec"), namespace)
    return namespace["run"]


@pytest.mark.parametrize("name", sorted(PROOFS))
def test_proof_is_reported_and_raises_on_real_torch(name):
    source = PROOFS[name]
    assert codes(source, SELECT) == ["TL301"]
    run = _exec(source)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        run()


@pytest.mark.parametrize("name", sorted(LOOK_ALIKES))
def test_look_alike_is_silent_and_runs(name):
    source = LOOK_ALIKES[name]
    assert codes(source, SELECT) == []
    _exec(source)()


def _shape_at(source: str, marker: str):
    """The propagated shape of the expression assigned on the line ending in `# <marker>`."""
    source = textwrap.dedent(source)
    ctx = FileContext("example.py", source, cst.parse_module(source))
    for assign in ctx.nodes(cst.Assign):
        line = ctx.code(ctx.parent(assign))
        if line.rstrip().endswith(f"# {marker}"):
            shape = propagated_shape(ctx, assign.value)
            return None if shape is None else [sorted(d) for d in shape]
    raise AssertionError(marker)


def test_a_size_name_bound_again_is_another_symbol():
    from torchlint.analysis.shapes import _factors

    source = textwrap.dedent("""
        def f(x):
            B, N, C = x.shape
            y = x.reshape(B, N, 4, C // 4)  # here
            N = N // 2
            z = y.view(N, -1)
    """)
    ctx = FileContext("example.py", source, cst.parse_module(source))
    dims = _shape_at(source, "here")
    assert len(dims) == 4
    shape = propagated_shape(
        ctx, next(a.value for a in ctx.nodes(cst.Assign) if ctx.code(a.value).startswith("x.reshape"))
    )
    later_n = next(c for c in ctx.nodes(cst.Call) if ctx.code(c).startswith("y.view")).args[0].value
    (factor,) = _factors(ctx, later_n)
    assert not factor & shape[1]  # the N of the view is not the N of the reshape


def test_shapes_follow_linear_reshape_permute_unbind_and_matmul():
    source = attention("""
        def forward(self, x):
            B, N, C = x.shape
            h = self.qkv(x)  # linear
            qkv = h.reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)  # qkv
            q, k, v = qkv.unbind(0)
            attn = (q @ k.transpose(-2, -1)) * self.scale  # scores
            out = self.attn_drop(attn.softmax(dim=-1)) @ v  # out
            return out
    """)

    def named(marker):  # without the aliases `x.shape[0]`, `x.size(0)` of `B`...
        dims = _shape_at(source, marker)
        return [sorted(s.split("@")[0] for s in dim if not s.startswith("x.")) for dim in dims]

    assert named("linear") == [["B"], ["N"], []]
    assert named("qkv") == [["3"], ["B"], ["self.num_heads"], ["N"], ["C//self.num_heads"]]
    assert named("scores") == [["B"], ["self.num_heads"], ["N"], ["N"]]
    assert named("out") == [["B"], ["self.num_heads"], ["N"], ["C//self.num_heads"]]


@pytest.mark.parametrize(
    "expression",
    [
        "unknown(x) @ x",  # an unknown operand
        "x + mask",  # broadcasting with a tensor of unknown rank may add dims
        "x.masked_fill(mask, 0.0)",  # out-of-place masked_fill broadcasts with the mask too
        "x.view(shape)",  # one argument that may be a whole shape
        "x.transpose(a, b)",  # dims not literal
        "x.squeeze()",  # drops an unknown number of dims
        "x[idx]",  # a tensor index
        "x @ w",  # `w` unknown
    ],
)
def test_unknown_stays_unknown(expression):
    source = f"""
        def f(x, mask, shape, a, b, idx, w):
            B, N, C = x.shape
            y = {expression}  # here
    """
    assert _shape_at(source, "here") is None


def test_shape_keeping_modules_keep_the_shape_on_real_torch():
    from torchlint.analysis.shapes import SHAPE_KEEPING_MODULES

    x = torch.randn(2, 3, 8)
    for qualified in sorted(SHAPE_KEEPING_MODULES):
        cls = getattr(torch.nn, qualified.rsplit(".", 1)[1])
        module = cls(8) if qualified == "torch.nn.LayerNorm" else cls()
        assert module(x).shape == x.shape, qualified
