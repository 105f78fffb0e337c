"""Which tensor methods and torch functions return a non-contiguous view, measured on torch.

A candidate counts when, applied to a contiguous tensor, it returns a tensor that shares
storage with the input and is not contiguous: `.view()` on such a result raises
"view size is not compatible with input tensor's size and stride".
"""

import torch

# name -> how to call it on a contiguous (2, 3, 4) tensor.  Attributes are properties.
CANDIDATES = {
    "permute": lambda t: t.permute(2, 0, 1),
    "transpose": lambda t: t.transpose(0, 1),
    "t": lambda t: t[0].t(),
    "swapaxes": lambda t: t.swapaxes(0, 2),
    "swapdims": lambda t: t.swapdims(0, 2),
    "movedim": lambda t: t.movedim(0, 2),
    "moveaxis": lambda t: t.moveaxis(0, 2),
    "T": lambda t: t[0].T,
    "mT": lambda t: t.mT,
    "mH": lambda t: t.mH,
    "adjoint": lambda t: t.adjoint(),
    # Look-alikes that stay contiguous: listed to show they were measured and excluded.
    "unsqueeze": lambda t: t.unsqueeze(0),
    "contiguous": lambda t: t.permute(2, 0, 1).contiguous(),
    "reshape": lambda t: t.reshape(6, 4),
    "flatten": lambda t: t.flatten(),
}
PROPERTIES = {"T", "mT", "mH"}


def generate():
    base = torch.arange(24.0).reshape(2, 3, 4)
    methods, properties, functions = [], [], []
    for name, call in CANDIDATES.items():
        out = call(base)
        if out.is_contiguous() or out.untyped_storage().data_ptr() != base.untyped_storage().data_ptr():
            continue
        (properties if name in PROPERTIES else methods).append(name)
        if name not in PROPERTIES and callable(getattr(torch, name, None)):
            functions.append(f"torch.{name}")
    return {
        "noncontiguous_view_methods": sorted(methods),
        "noncontiguous_view_properties": sorted(properties),
        "noncontiguous_view_functions": sorted(functions),
    }
