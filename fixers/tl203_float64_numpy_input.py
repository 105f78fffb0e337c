"""Fix for TL203: convert the numpy array to a float32 tensor.

`torch.from_numpy(x)` -> `torch.from_numpy(x).float()`; `torch.tensor(x)` and
`torch.as_tensor(x)` -> `...(x, dtype=torch.float32)`.  Precision is deliberately reduced
to float32, the dtype of the model the tensor is fed to.
"""

from __future__ import annotations

from typing import Optional

import libcst as cst

from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE
_NOTE = "precision is deliberately reduced to float32 to match the model's weights"


def fix(ctx, violation) -> Optional[Fix]:
    call = violation.node
    if not isinstance(call, cst.Call):
        return None
    if ctx.is_name(call.func, "torch.from_numpy"):
        cast = cst.Call(func=cst.Attribute(value=call, attr=cst.Name("float")))
        return Fix(SAFE, f"append `.float()` ({_NOTE})", {call: cast})
    torch = torch_spelling(ctx, call)
    if torch is None:
        return None  # torch is not bound under a name we can write here
    dtype = cst.Arg(
        keyword=cst.Name("dtype"),
        value=cst.parse_expression(f"{torch}.float32"),
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )
    args = list(call.args)
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # `torch.tensor(\n    x,\n)`: keep the trailing comma last
        dtype = dtype.with_changes(comma=last.comma)
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return Fix(SAFE, f"pass `dtype={torch}.float32` ({_NOTE})", {call: call.with_changes(args=[*args, dtype])})


def torch_spelling(ctx, call: cst.Call) -> Optional[str]:
    """How `torch` is written where `call` is: the call's own prefix, or a module-level import."""
    root = call.func
    while isinstance(root, cst.Attribute):
        root = root.value
    if isinstance(root, cst.Name) and root is not call.func and ctx.qualified_name(root) == "torch":
        return root.value
    for node in ctx.nodes(cst.Import):
        if ctx.scope_of(node) is not ctx.module:
            continue
        for alias in node.names:
            if ctx.code(alias.name) != "torch":
                continue
            bound = alias.asname.name.value if alias.asname else "torch"
            if ctx.qualified_name(cst.Name(bound)) == "torch":
                return bound
    return None
