"""TL301 view-after-permute: positives, look-alikes that must stay silent, and the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL301"]

POSITIVES = {
    "merge-heads-chained": """
        import torch
        def merge_heads(x):
            B, H, T, D = x.shape
            return x.transpose(1, 2).view(B, T, H * D)
    """,
    "merge-heads-through-variable": """
        def merge_heads(x):
            B, H, T, D = x.size()
            x = x.transpose(1, 2)
            return x.view(B, T, H * D)
    """,
    "view-back-to-input-shape": """
        import torch.nn as nn
        class Mixer(nn.Module):
            def forward(self, x):
                B, T, C = x.shape
                y = x.transpose(1, 2)
                return y.view(B, T, C)
    """,
    "shape-from-earlier-view": """
        def attention_output(y, B, T, nh, hs):
            y = y.view(B, nh, T, hs).transpose(1, 2)
            return y.view(B, T, nh * hs)
    """,
    "permute-flatten": """
        def patches(img):
            out = img.permute(0, 2, 3, 1)
            return out.view(-1)
    """,
    "permute-literal-rank-every-reading-fails": """
        def f(x, b):
            return x.permute(0, 2, 1).view(b, -1)
    """,
    "nchw-to-nhwc-merge-channels": """
        def head(x):
            N, C, H, W = x.shape
            return x.permute(0, 2, 3, 1).view(N, -1)
    """,
    "torch-function-alias": """
        import torch as th
        def f(x):
            y = th.permute(x, (0, 2, 1))
            return y.view(-1)
    """,
    "from-import-function": """
        from torch import transpose as tr
        def f(x):
            return tr(x, 0, 1).view(-1)
    """,
    "property-T": """
        def f(w):
            return w.T.view(-1)
    """,
    "property-mT": """
        def f(w):
            return w.mT.view(-1)
    """,
    "swapaxes": """
        def f(x):
            return x.swapaxes(0, 1).view(-1)
    """,
    "movedim": """
        def f(y):
            return y.movedim(0, 2).view(-1)
    """,
    "t-method": """
        def f(w):
            return w.t().view(-1)
    """,
    "module-level": """
        import torch
        x = torch.randn(2, 3, 4).permute(2, 0, 1)
        flat = x.view(-1)
    """,
    "conditional-permute-some-path": """
        def f(x, channels_last):
            if channels_last:
                x = x.permute(0, 2, 3, 1)
            return x.view(-1)
    """,
    "size-method-arguments": """
        def f(x):
            y = x.permute(0, 2, 1)
            return y.view(y.size(0), y.size(1) * y.size(2))
    """,
}

NEGATIVES = {
    # Rank unknown and arguments unreadable: a pure split would work, so we cannot tell.
    "unknown-rank-transpose": """
        def f(x, b, t, c):
            return x.transpose(1, 2).view(b, t, c)
    """,
    "split-only-segformer-style": """
        def f(x, H, W):
            B, N, C = x.shape
            return x.transpose(1, 2).view(B, C, H, W)
    """,
    "nhwc-merge-of-adjacent-dims": """
        def f(x):
            return x.permute(0, 2, 3, 1).view(x.size(0), -1, x.size(1))
    """,
    "nhwc-merge-hw-named": """
        def f(x):
            N, C, H, W = x.shape
            return x.permute(0, 2, 3, 1).view(N, H * W, C)
    """,
    "shape-variable": """
        def f(x, out_shape):
            return x.transpose(0, 1).view(out_shape)
    """,
    "starred-list": """
        def f(x, b):
            return x.transpose(0, 1).view(*[b, -1])
    """,
    "split-transposed-dim": """
        def f(x, heads):
            B, T, C = x.shape
            return x.transpose(1, 2).view(B, heads, C // heads, T)
    """,
    "contiguous-between": """
        def f(x, b, t, c):
            return x.transpose(1, 2).contiguous().view(b, t, c)
    """,
    "contiguous-reassigned": """
        def f(x, b, t, c):
            y = x.transpose(1, 2)
            y = y.contiguous()
            return y.view(b, t, c)
    """,
    "rebound-to-fresh-tensor": """
        import torch
        def f(x, b):
            y = x.permute(0, 2, 1)
            y = torch.zeros(b, 3, 4)
            return y.view(b, -1)
    """,
    "reshape-already": """
        def f(x, b):
            return x.permute(0, 2, 1).reshape(b, -1)
    """,
    "numpy-transpose-then-dtype-view": """
        import numpy as np
        def f(arr):
            a = arr.transpose(1, 0)
            return a.view(np.uint8)
    """,
    "numpy-function-transpose": """
        import numpy as np
        def f(arr, n):
            return np.transpose(arr).view(n, -1)
    """,
    "dtype-keyword": """
        import torch
        def f(x):
            return x.transpose(0, 1).view(dtype=torch.int32)
    """,
    "dtype-positional": """
        import torch
        def f(x):
            return x.t().view(torch.int32)
    """,
    "dtype-name": """
        def f(x, dtype):
            return x.t().view(dtype)
    """,
    "unknown-single-name": """
        def f(x, n):
            return x.t().view(n)
    """,
    "identity-permute": """
        def f(x):
            return x.permute(0, 1, 2).view(-1)
    """,
    "identity-transpose": """
        def f(x):
            return x.transpose(1, 1).view(-1)
    """,
    "view-to-own-shape": """
        def f(x):
            y = x.permute(0, 2, 1)
            return y.view(y.shape)
    """,
    "split-last-dim-starred": """
        def f(x, heads):
            y = x.transpose(1, 2)
            return y.view(*y.shape[:-1], heads, -1)
    """,
    "split-last-dim-known-rank": """
        def f(x, heads):
            y = x.permute(0, 2, 1)
            return y.view(y.size(0), y.size(1), heads, -1)
    """,
    "assigned-after-view": """
        def f(x, b):
            z = x.view(b, -1)
            x = x.transpose(0, 1)
            return z, x
    """,
    "other-function-scope": """
        def g(x):
            y = x.transpose(0, 1)
            return y
        def f(y, b):
            return y.view(b, -1)
    """,
    "noqa": """
        def f(x, b):
            return x.transpose(0, 1).view(b, -1)  # noqa: TL301
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL301"]


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == []


def test_position_points_at_view():
    finding = lint("def f(x):\n    return x.permute(1, 0).view(-1)\n", SELECT)[0]
    assert (finding.line, finding.column, finding.end_column) == (2, 28, 32)
    assert finding.fix is not None and finding.fix.applicability == "safe"


def test_fix_replaces_view_with_reshape_and_keeps_comments():
    fixed = fix(
        """
        def merge_heads(x):
            B, H, T, D = x.shape
            # (B, H, T, D) -> (B, T, H, D)
            x = x.transpose(1, 2)
            return x.view(B, T, H * D)  # merge heads
        """,
        SELECT,
    )
    assert fixed == dedent(
        """
        def merge_heads(x):
            B, H, T, D = x.shape
            # (B, H, T, D) -> (B, T, H, D)
            x = x.transpose(1, 2)
            return x.reshape(B, T, H * D)  # merge heads
        """
    )


def test_fix_handles_several_views_in_one_expression():
    fixed = fix("def f(a, b):\n    return a.t().view(-1) + b.mT.view(-1)\n", SELECT)
    assert fixed == "def f(a, b):\n    return a.t().reshape(-1) + b.mT.reshape(-1)\n"


def test_sizes_unpacked_after_the_permute_describe_the_permuted_tensor():
    # B, H, W, C are the permuted tensor's sizes, not the input's: merging H, W, C fails.
    source = """
        def forward(self, images):
            x = self.proj(images)
            x = x.permute(0, 2, 3, 1)
            B, H, W, C = x.shape
            return x.view(B, H * W * C)
    """
    assert codes(source, SELECT) == ["TL301"]
    # ... and merging only H and W (adjacent in the input) works: silent.
    assert codes(source.replace("x.view(B, H * W * C)", "x.view(B, H * W, C)"), SELECT) == []


# Found on real code (fairseq, detectron2): one argument that is a whole shape.
@pytest.mark.parametrize(
    "code",
    [
        # fairseq multihead_attention: splits dim 0 and keeps the others.
        """
        def f(v, kv_bsz, heads, head_dim):
            v = v.contiguous().view(-1, kv_bsz * heads, head_dim).transpose(0, 1)
            return v.view((kv_bsz, heads) + v.size()[1:])
        """,
        # detectron2 ResizeTransform: a shape list built at run time.
        """
        def f(img, shape):
            return img.permute(2, 3, 0, 1).view(shape)
        """,
        # A tuple of sizes that only splits a dim (segformer style).
        """
        def f(x, H, W):
            B, N, C = x.shape
            return x.transpose(1, 2).view((B, C, H, W))
        """,
    ],
)
def test_silent_when_the_single_argument_is_a_whole_shape(code):
    assert codes(code, SELECT) == []


def test_a_tuple_argument_is_read_element_by_element():
    code = """
        def merge_heads(x):
            B, H, T, D = x.shape
            return x.transpose(1, 2).view((B, T, H * D))
    """
    assert codes(code, SELECT) == ["TL301"]


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_messages_fit_an_editor_line(name):
    assert all(len(f.message) <= 160 for f in lint(POSITIVES[name], SELECT))
