"""TL803 torchvision-pretrained."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

import libcst as cst

from torchlint import tables
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation
from torchlint.rule_screens import LEGACY


@dataclass
class PretrainedCall:
    call: cst.Call
    builder: Optional[str]  # canonical builder path; None for `models.__dict__[arch](...)`
    legacy: Dict[str, cst.Arg]  # "pretrained" -> its argument
    entry: Optional[dict]  # the table's entry for the builder


def builder_table() -> dict:
    return tables.load("torchvision_weights")


def canonical_builder(name: Optional[str]) -> Optional[str]:
    if name is None:
        return None
    table = builder_table()
    name = table["aliases"].get(name, name)
    return name if name in table["builders"] else None


def pretrained_calls(ctx: FileContext) -> List[PretrainedCall]:
    def compute():
        found = []
        for call in ctx.nodes(cst.Call):
            legacy = {a.keyword.value: a for a in call.args if a.keyword is not None and a.keyword.value in LEGACY}
            if not legacy:
                continue
            builder = canonical_builder(ctx.call_name(call))
            if builder is not None:
                found.append(PretrainedCall(call, builder, legacy, builder_table()["builders"][builder]))
            elif _is_models_dict_lookup(ctx, call.func):
                found.append(PretrainedCall(call, None, legacy, None))
        return found

    return ctx.memo("tl803.calls", compute)


def _is_models_dict_lookup(ctx: FileContext, func: cst.BaseExpression) -> bool:
    """`models.__dict__[args.arch]` with `models` torchvision.models (the ImageNet example's idiom)."""
    if not (isinstance(func, cst.Subscript) and isinstance(func.value, cst.Attribute)):
        return False
    if func.value.attr.value != "__dict__":
        return False
    return (ctx.qualified_name(func.value.value) or "").startswith("torchvision.models")


def short_enum(path: str) -> str:
    return path.rpartition(".")[2]


class TorchvisionPretrained(Rule):
    code = "TL803"
    name = "torchvision-pretrained"
    summary = "torchvision `models.<arch>(pretrained=...)`: deprecated since torchvision 0.13; pass `weights=`"
    why = """
        torchvision 0.13 (June 2022) replaced the boolean `pretrained=` / `pretrained_backbone=`
        of every model builder with `weights=` / `weights_backbone=`, taking a weights enum
        (`ResNet50_Weights.IMAGENET1K_V2`, `.DEFAULT`) or `None`.  The old arguments still work
        through a compatibility shim that warns on every call:

            UserWarning: The parameter 'pretrained' is deprecated since 0.13 and may be removed in
            the future, please use 'weights' instead.
            UserWarning: Arguments other than a weight enum or `None` for 'weights' are deprecated
            since 0.13 and may be removed in the future. The current behavior is equivalent to
            passing `weights=ResNet50_Weights.IMAGENET1K_V1`. You can also use
            `weights=ResNet50_Weights.DEFAULT` to get the most up-to-date weights.

        -- and code that relies on it breaks with a `TypeError` once the shim is gone.

        Note what `pretrained=True` means: the *original* weights of each model (for ResNet-50,
        `IMAGENET1K_V1`, 76.1% top-1), which is not always `.DEFAULT` (`IMAGENET1K_V2`, 80.9%,
        trained with a different recipe).  The fix keeps the weights you had; switch to
        `.DEFAULT` deliberately (and use `weights.transforms()` for its preprocessing).
    """
    bad = """
        import torchvision.models as models

        backbone = models.resnet50(pretrained=True)
        detector = models.detection.fasterrcnn_resnet50_fpn(pretrained=False, pretrained_backbone=True)
    """
    good = """
        import torchvision.models as models

        backbone = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)
        detector = models.detection.fasterrcnn_resnet50_fpn(
            weights=None, weights_backbone=models.ResNet50_Weights.IMAGENET1K_V1
        )
    """
    fix_does = """
        `pretrained=True` -> `weights=<Arch>_Weights.<the member pretrained=True loads>`,
        `pretrained=False` -> `weights=None`, `pretrained=flag` -> `weights=<...> if flag else None`
        (the shim's own rule); likewise `pretrained_backbone=` -> `weights_backbone=`; quantizable
        builders pick their quantized weights when `quantize=True` is given literally.  The enum is
        spelled through the module the call already uses (`models.ResNet50_Weights`), an existing
        import, or a new `from torchvision.models import ResNet50_Weights`.  Mappings come from a
        table generated from torchvision's own compatibility shim.  `models.__dict__[arch](pretrained=...)`
        is reported only (the architecture is not known statically).
    """
    requires_text = (("pretrained",), ("torchvision",))

    # Its screen is `tl803` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for found in pretrained_calls(ctx):
            yield self.violation(ctx, found.call, message(found))


def message(found: PretrainedCall) -> str:
    old = "/".join(f"`{name}=`" for name in LEGACY if name in found.legacy)
    if found.entry is None:
        return f"{old} is deprecated since torchvision 0.13: pass `weights=` (an `<Arch>_Weights` member, or None)"
    first = found.entry.get("weights") if "pretrained" in found.legacy else found.entry.get("weights_backbone")
    if first is None:
        return f"{old} is deprecated since torchvision 0.13: pass `weights=`"
    new = "weights" if "pretrained" in found.legacy else "weights_backbone"
    enum = f"{short_enum(first['enum'])}.{first['member']}"
    text = f"{old} is deprecated since torchvision 0.13: pass `{new}={enum}` (what `=True` loads) or `{new}=None`"
    if len(text) > 160:
        text = f"{old} is deprecated since torchvision 0.13: pass `{new}={enum}` or `{new}=None`"
    return text if len(text) <= 160 else f"{old} is deprecated since torchvision 0.13: pass `{new}=` (an enum or None)"
