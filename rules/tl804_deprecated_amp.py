"""TL804 deprecated-amp."""

from __future__ import annotations

from typing import Iterator, List, Tuple

import libcst as cst

from torchlint.context import FileContext
from torchlint.names import dotted_name
from torchlint.rule import Rule, Violation
from torchlint.rule_screens import APEX_CALLS, amp_table


def deprecated_amp_calls(ctx: FileContext) -> List[Tuple[cst.BaseExpression, str]]:
    """(node, deprecated qualified name): each `torch.cuda.amp.autocast(...)`-like call, and each
    bare decorator `@torch.cuda.amp.custom_fwd` (a Name or Attribute), in source order."""

    def compute():
        table = amp_table()
        found = [(call, name) for call in ctx.nodes(cst.Call) if (name := ctx.call_name(call)) in table]
        for decorator in ctx.nodes(cst.Decorator):
            bare = decorator.decorator
            if not isinstance(bare, cst.Call) and (name := ctx.qualified_name(bare)) in table:
                found.append((bare, name))
        return sorted(found, key=lambda pair: ctx.order(pair[0]))

    return ctx.memo("tl804.amp_calls", compute)


def _apex_amp_imports(ctx: FileContext) -> List[cst.CSTNode]:
    found = []
    for node in ctx.nodes(cst.ImportFrom):
        module = dotted_name(node.module) if node.module is not None and not node.relative else None
        if module == "apex.amp" or (
            module == "apex" and not isinstance(node.names, cst.ImportStar)
            and any(dotted_name(alias.name) == "amp" for alias in node.names)
        ):  # fmt: skip
            found.append(node)
    for node in ctx.nodes(cst.Import):
        if any((dotted_name(alias.name) or "").startswith("apex.amp") for alias in node.names):
            found.append(node)
    return found


class DeprecatedAmp(Rule):
    code = "TL804"
    name = "deprecated-amp"
    summary = "`torch.cuda.amp` autocast/GradScaler/custom_fwd (deprecated in torch 2.4) or apex amp: use `torch.amp`"
    why = """
        PyTorch 2.4 (July 2024) deprecated the device-specific AMP classes: every
        `torch.cuda.amp.autocast(...)` and `torch.cuda.amp.GradScaler(...)` now warns

            FutureWarning: `torch.cuda.amp.autocast(args...)` is deprecated.
            Please use `torch.amp.autocast('cuda', args...)` instead.

        (`torch.cpu.amp` likewise), once per construction -- so inside a training loop, a
        warning for every step's `with autocast():` until they are removed.  The replacements take
        the device as their first argument and otherwise behave the same.

        NVIDIA apex's `amp` (`amp.initialize(model, optimizer, opt_level="O1")`,
        `with amp.scale_loss(loss, optimizer)`) predates native mixed precision (PyTorch 1.6) and
        is deprecated by its authors in favour of it; it needs a compiled extension that often
        does not build for current CUDA/PyTorch releases.  The native recipe:

            scaler = torch.amp.GradScaler("cuda")
            for inputs, targets in loader:
                optimizer.zero_grad()
                with torch.amp.autocast("cuda", dtype=torch.float16):
                    loss = criterion(model(inputs), targets)
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()

        This is apex's `opt_level="O1"`; "O2" (an fp16 model with fp32 master weights) and "O3"
        (pure fp16) have no direct native counterpart, and autocast is the recommended replacement.
        Save and restore `scaler.state_dict()` with your checkpoints.
    """
    bad = """
        from torch.cuda.amp import GradScaler, autocast

        scaler = GradScaler()
        with autocast():
            loss = criterion(model(x), y)
    """
    good = """
        import torch

        scaler = torch.amp.GradScaler("cuda")
        with torch.amp.autocast("cuda"):
            loss = criterion(model(x), y)
    """
    fix_does = """
        `torch.cuda.amp.autocast(...)` -> `torch.amp.autocast("cuda", ...)` and
        `torch.cuda.amp.GradScaler(...)` -> `torch.amp.GradScaler("cuda", ...)` (`torch.cpu.amp`
        -> `"cpu"`), `@torch.cuda.amp.custom_fwd`/`custom_bwd` -> `@torch.amp.custom_fwd(device_type="cuda")`,
        however the old name was imported; positional arguments whose position
        changed (`autocast(True)`) are passed by keyword.  The old defaults are the new ones for
        that device (`dtype` float16 on CUDA, bfloat16 on CPU; cache on), unless the program changes
        them with `torch.set_autocast_dtype`.  `from torch.cuda.amp import ...` names that are no
        longer used are removed, and `import torch` is added if needed.  apex amp is reported only.
    """
    requires_text = (("amp",),)

    # Its screen is `tl804` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        table = amp_table()
        for node, name in deprecated_amp_calls(ctx):
            entry = table[name]
            if entry.get("device_keyword"):
                new = f'{entry["replacement"]}(..., device_type="{entry["device"]}")'
            else:
                new = f'{entry["replacement"]}("{entry["device"]}", ...)'
            yield self.violation(ctx, node, f"`{name}` is deprecated since torch 2.4: use `{new}`")
        apex_calls = [call for call in ctx.nodes(cst.Call) if ctx.call_name(call) in APEX_CALLS]
        for call in apex_calls:
            yield self.violation(ctx, call, APEX_MESSAGE)
        if not apex_calls:
            for node in _apex_amp_imports(ctx):
                yield self.violation(ctx, node, APEX_MESSAGE)


APEX_MESSAGE = ("apex amp is deprecated in favour of native mixed precision: use `torch.amp.autocast(\"cuda\")` "
                "with `torch.amp.GradScaler(\"cuda\")`")  # fmt: skip
