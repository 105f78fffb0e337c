"""Fix for TL804: `torch.cuda.amp.autocast(...)` -> `torch.amp.autocast("cuda", ...)` (and GradScaler, torch.cpu.amp).

One fix rewrites every such call of the file at once, with the imports: names of
`from torch.cuda.amp import ...` that nothing uses any more are removed, and `import torch`
is added where no `torch` is in reach.  Every finding carries that same set of edits (the
first one applied settles the file).  apex amp is reported only.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst
from torchlint.fixers.tl802_autograd_variable import (
    add_import,
    drop_unused_imports,
    is_module_binding,
    tidy_removed_lines,
)
from torchlint.rules.tl804_deprecated_amp import amp_table, deprecated_amp_calls

from torchlint.context import FileContext
from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE
_NO_SPACE = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))


def fix(ctx: FileContext, violation) -> Optional[Fix]:
    calls = dict((id(call), name) for call, name in deprecated_amp_calls(ctx))
    if id(violation.node) not in calls:
        return None  # apex: report only
    edits = ctx.memo("tl804.edits", lambda: _file_edits(ctx))
    if violation.node not in edits:
        return None
    entry = amp_table()[calls[id(violation.node)]]
    return Fix(SAFE, f'use `{entry["replacement"]}` with the device `"{entry["device"]}"`', edits)


def _file_edits(ctx: FileContext) -> Dict[cst.CSTNode, object]:
    table = amp_table()
    edits: Dict[cst.CSTNode, object] = {}
    going = set()
    need_torch = False
    spelling = _module_spelling(ctx)
    for call, name in deprecated_amp_calls(ctx):
        entry = table[name]
        attr = entry["replacement"].rpartition(".")[2]
        func = _same_torch_spelling(ctx, call.func if isinstance(call, cst.Call) else call, attr)
        if func is None:
            if spelling is None:
                continue
            func = cst.parse_expression(f"{spelling}.{attr}")
            need_torch = need_torch or spelling == "torch.amp" and not is_module_binding(ctx, "torch")
        if not isinstance(call, cst.Call):  # a bare `@custom_fwd`: becomes a call with the device
            edits[call] = cst.Call(func, [_device_keyword(entry)])
            going.update(id(node) for node in _names_in(call))
            continue
        args = _keyword_device_arguments(call, entry) if entry.get("device_keyword") else _arguments(call, entry)
        if args is None or "#" in ctx.code(call):
            continue
        edits[call] = call.with_changes(func=func, args=args)
        going.update(id(node) for node in _names_in(call.func))
    if not edits:
        return {}
    edits.update(drop_unused_imports(ctx, _old_import_names(ctx), going))
    if need_torch and not add_import(ctx, edits, "import torch"):
        return {}
    tidy_removed_lines(ctx, edits)
    return edits


def _same_torch_spelling(ctx: FileContext, func: cst.BaseExpression, attr: str) -> Optional[cst.BaseExpression]:
    """`th.cuda.amp.autocast` -> `th.amp.autocast`: keep the spelling of torch the call already uses."""
    if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Attribute)):
        return None
    device = func.value.value  # `th.cuda`
    if func.value.attr.value != "amp" or not isinstance(device, cst.Attribute):
        return None
    if ctx.qualified_name(device.value) != "torch":
        return None
    return cst.Attribute(cst.Attribute(device.value, cst.Name("amp")), cst.Name(attr))


def _module_spelling(ctx: FileContext) -> Optional[str]:
    """How to spell `torch.amp` from anywhere in the file (None: `torch` means something else here)."""
    for name in sorted(ctx.import_bindings()):
        if name != "*" and is_module_binding(ctx, name):
            if ctx.qualified_name(cst.Name(name)) == "torch.amp":
                return name
    for name in sorted(ctx.import_bindings()):
        if name != "*" and is_module_binding(ctx, name) and ctx.qualified_name(cst.Name(name)) == "torch":
            return f"{name}.amp"
    if ctx.names.is_bound("torch"):
        return None
    return "torch.amp"


def _arguments(call: cst.Call, entry: dict) -> Optional[List[cst.Arg]]:
    """`("cuda", *args)`, with positional arguments whose position moved passed by keyword."""
    old, new = entry["old_params"], entry["new_params"]
    args = []
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is None:
            if index >= len(old):
                return None
            if new[index + 1] != old[index] or any(a.keyword is not None for a in args):
                arg = arg.with_changes(keyword=cst.Name(old[index]), equal=_NO_SPACE)
        args.append(arg)
    device = cst.Arg(cst.SimpleString(f'"{entry["device"]}"'))
    if args:
        device = device.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return [device, *args]


def _device_keyword(entry: dict) -> cst.Arg:
    return cst.Arg(cst.SimpleString(f'"{entry["device"]}"'), keyword=cst.Name(entry["device_param"]), equal=_NO_SPACE)


def _keyword_device_arguments(call: cst.Call, entry: dict) -> Optional[List[cst.Arg]]:
    """`custom_fwd(fn, cast_inputs=...)` -> `(fn, cast_inputs=..., device_type="cuda")`."""
    if any(arg.star for arg in call.args) or len([a for a in call.args if a.keyword is None]) > 1:
        return None
    if not call.args:
        return [_device_keyword(entry)]
    last = call.args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return [*call.args[:-1], last, _device_keyword(entry)]


def _names_in(node: cst.CSTNode) -> List[cst.Name]:
    found = []
    while isinstance(node, cst.Attribute):
        node = node.value
    if isinstance(node, cst.Name):
        found.append(node)
    return found


def _old_import_names(ctx: FileContext) -> List[str]:
    """Local names that `from torch.cuda.amp import X` / `from torch.cuda import amp` bind."""
    found = []
    for name in ctx.import_bindings():
        qualified = ctx.qualified_name(cst.Name(name)) if name != "*" else None
        if qualified and qualified.startswith(("torch.cuda.amp", "torch.cpu.amp")):
            found.append(name)
    return found
