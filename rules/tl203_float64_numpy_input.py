"""TL203 float64-numpy-input."""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.float_consumers import float32_consumer
from torchlint.analysis.numpy_dtypes import array_dtype
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation
from torchlint.rule_screens import CONVERTERS


class Float64NumpyInput(Rule):
    code = "TL203"
    name = "float64-numpy-input"
    summary = "A float64 numpy array becomes a float64 tensor that is fed to a float32 model"
    why = """
        numpy makes float64 arrays by default (`np.random.rand`, `np.zeros`, `np.loadtxt`,
        `np.linspace`, `np.array([0.5, ...])`), and `torch.from_numpy`, `torch.tensor` and
        `torch.as_tensor` keep that dtype.  PyTorch layers are float32, so the first layer
        that sees the tensor fails:

            RuntimeError: mat1 and mat2 must have the same dtype, but got Double and Float

        (or `expected scalar type Float but found Double`, `Input type (double) and bias type
        (float) should be the same` from convolutions).  Where the model was made float64 to
        match, training silently runs at float64 speed.

        torchlint reports only where it sees both ends: the array's float64 dtype (numpy's
        defaults, `dtype=np.float64`, `.astype(float)`, arithmetic on those, through local
        names, indexing and `self.attr` set in the class) and the float32 consumer the tensor
        reaches (a call of an nn layer or a model class of this file, a weighted
        `torch.nn.functional` op, the return value of a `Dataset.__getitem__`, or a function
        parameter such as `net` in `def score(net, path)` when every call of `score` in the
        file passes a float32 model).  A parameter's name alone (`model`, `net`) is not
        enough: scientific code builds float64 models on purpose, often in another file.
        Integer arrays, float32 arrays, `torch.Tensor(arr)`/`torch.FloatTensor(arr)` (which
        cast), a following `.float()` and models cast with `.double()` are fine.
    """
    bad = """
        import numpy as np
        import torch
        import torch.nn as nn

        x = np.random.rand(64, 10)
        model = nn.Linear(10, 1)
        out = model(torch.from_numpy(x))
    """
    good = """
        import numpy as np
        import torch
        import torch.nn as nn

        x = np.random.rand(64, 10)
        model = nn.Linear(10, 1)
        out = model(torch.from_numpy(x).float())
    """
    fix_does = """
        Casts the tensor to float32: `torch.from_numpy(x)` becomes `torch.from_numpy(x).float()`,
        and `torch.tensor(x)`/`torch.as_tensor(x)` get `dtype=torch.float32` (spelled the way the
        file spells torch).  This deliberately drops the data to float32 precision to match the
        model's weights, which is what the model would compute with anyway.
    """
    requires_text = (("from_numpy", "tensor"), ("numpy", "astype"))

    # Its screen is `tl203` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for call in ctx.nodes(cst.Call):
            data = float64_conversion(ctx, call)
            if data is None:
                continue
            consumer = float32_consumer(ctx, call)
            if consumer is None:
                continue
            converter = ctx.code(call.func).rsplit(".", 1)[-1]
            yield self.violation(
                ctx,
                call,
                f"`{converter}()` of a float64 array feeds {consumer}: \"mat1 and mat2 must have the same dtype\"; "
                f"cast with `.float()`",
            )


def float64_conversion(ctx: FileContext, call: cst.Call) -> Optional[cst.BaseExpression]:
    """The float64 numpy array that `call` (a dtype-keeping torch conversion) turns into a tensor."""
    if not ctx.is_name(call.func, *CONVERTERS):
        return None
    if any(a.star for a in call.args) or any(a.keyword is not None and a.keyword.value == "dtype"
                                             for a in call.args):  # fmt: skip
        return None
    positional = [a for a in call.args if a.keyword is None]
    if len(positional) != 1:
        return None  # `torch.as_tensor(x, torch.float32)`: dtype given positionally
    data = positional[0].value
    return data if array_dtype(ctx, data) == "float64" else None
