"""torchvision model builders' legacy `pretrained=` arguments -> the weights enum they stand for (TL803).

Read off torchvision's own `handle_legacy_interface` decorator: for each builder, each new
parameter (`weights`, `weights_backbone`), the legacy name (`pretrained`, `pretrained_backbone`)
and the enum member `pretrained=True` loads (often not `.DEFAULT`: `resnet50(pretrained=True)`
is `ResNet50_Weights.IMAGENET1K_V1`, `.DEFAULT` is V2).  Quantizable builders pick another
enum when `quantize=True`: recorded as `quantized`.  Enums are named by their shortest public
path; `aliases` maps a builder's other public paths (`torchvision.models.resnet.resnet50`).

torchvision is needed to generate this table and to check it, never to lint.
"""

import importlib
import inspect

REQUIRES = ("torchvision",)
MODULES = [
    "torchvision.models", "torchvision.models.detection", "torchvision.models.segmentation",
    "torchvision.models.video", "torchvision.models.quantization", "torchvision.models.optical_flow",
]  # fmt: skip


def _legacy_arguments(builder):
    """The `weights` dict `handle_legacy_interface(**weights)` closed over, found through the wrappers."""
    seen, stack = set(), [builder]
    while stack:
        function = stack.pop()
        if id(function) in seen or getattr(function, "__code__", None) is None:
            continue
        seen.add(id(function))
        for name, cell in zip(function.__code__.co_freevars, function.__closure__ or ()):
            value = cell.cell_contents
            if name == "weights" and isinstance(value, dict):
                return value
            if callable(value):
                stack.append(value)
    return None


def _public_paths(modules):
    paths = {}
    for module in modules:
        for name, value in vars(module).items():
            if not name.startswith("_") and (inspect.isclass(value) or inspect.isfunction(value)):
                paths.setdefault(id(value), []).append(f"{module.__name__}.{name}")
    return {key: min(found, key=lambda p: (p.count("."), p)) for key, found in paths.items()}, paths


def generate():
    from torchvision.models._api import WeightsEnum

    modules = [importlib.import_module(name) for name in MODULES]
    canonical, all_paths = _public_paths(modules)

    def member(value):
        if not isinstance(value, WeightsEnum):
            return None
        return {"enum": canonical[id(type(value))], "member": value.name}

    builders, aliases = {}, {}
    for module in modules:
        for name, builder in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(builder):
                continue
            legacy = _legacy_arguments(builder)
            path = canonical.get(id(builder))
            if legacy is None or path is None or path in builders:
                continue
            entry = {}
            for new_param, (old_param, default) in legacy.items():
                if callable(default):
                    plain = member(default({old_param: True}))
                    quantized = member(default({old_param: True, "quantize": True}))
                else:
                    plain = quantized = member(default)
                if plain is None:
                    continue  # no weights: `pretrained=True` raises, nothing to rewrite to
                item = {"legacy": old_param, **plain}
                if quantized != plain:
                    item["quantized"] = quantized
                entry[new_param] = item
            if entry:
                builders[path] = entry
                for other in all_paths[id(builder)]:
                    if other != path:
                        aliases[other] = path
            builder_module = inspect.getmodule(builder).__name__
            if entry and builder_module not in MODULES:
                aliases[f"{builder_module}.{builder.__name__}"] = path
    return {"builders": builders, "aliases": aliases}
