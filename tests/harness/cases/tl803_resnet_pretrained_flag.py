"""TL803: a fine-tuning script builds its backbone with `models.resnet18(pretrained=flag)` (then a new head) and
its detector with `fasterrcnn_mobilenet_v3_large_fpn(pretrained=False, pretrained_backbone=flag)`.

Symptom: every build warns `The parameter 'pretrained' is deprecated since 0.13` (torchvision's
compatibility shim).  After the (safe) fix -- `weights=ResNet18_Weights.IMAGENET1K_V1 if flag
else None`, `weights=None, weights_backbone=...` -- nothing warns.  Equivalence, without
downloading anything: with `flag=False` both programs build the same architecture (parameter
names and shapes) and compute the same outputs from the same seed; with `flag=True` the weights
each would load are intercepted at `WeightsEnum.get_state_dict` and must be the same enum member.
Needs torchvision (skipped where it is not importable).
"""

PROGRAM = '''
import torch
import torchvision.models as models
from torchvision.models.detection import fasterrcnn_mobilenet_v3_large_fpn


def build_backbone(flag, classes=7):
    torch.manual_seed(0)
    model = models.resnet18(pretrained=flag)
    model.fc = torch.nn.Linear(model.fc.in_features, classes)
    return model


def build_detector(flag):
    torch.manual_seed(0)
    return fasterrcnn_mobilenet_v3_large_fpn(pretrained=False, pretrained_backbone=flag, num_classes=3)
'''

REQUIRES = ("torchvision",)


class _Intercepted(Exception):
    pass


def _would_load(build):
    """The weights enum member `build()` asks torchvision to download, without downloading it."""
    from torchvision.models._api import WeightsEnum

    original = WeightsEnum.get_state_dict

    def intercept(self, *args, **kwargs):
        raise _Intercepted(f"{type(self).__name__}.{self.name}")

    WeightsEnum.get_state_dict = intercept
    try:
        build()
    except _Intercepted as loaded:
        return str(loaded)
    finally:
        WeightsEnum.get_state_dict = original
    return None


def symptom(program):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        program.build_backbone(False)
        program.build_detector(False)
        _would_load(lambda: program.build_backbone(True))
    deprecated = [str(w.message) for w in caught if "deprecated since 0.13" in str(w.message)]
    return f"{len(deprecated)} deprecation warnings, e.g. {deprecated[0][:80]}" if deprecated else None


def outputs(program):
    import torch

    backbone = program.build_backbone(False).eval()
    detector = program.build_detector(False)
    with torch.no_grad():
        logits = backbone(torch.ones(1, 3, 64, 64)).tolist()
    return {
        "backbone": [[name, list(p.shape)] for name, p in backbone.state_dict().items()],
        "detector": [[name, list(p.shape)] for name, p in detector.state_dict().items()],
        "logits": logits,
        "pretrained backbone loads": _would_load(lambda: program.build_backbone(True)),
        "pretrained detector backbone loads": _would_load(lambda: program.build_detector(True)),
    }
