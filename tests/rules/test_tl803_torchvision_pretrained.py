"""TL803 torchvision-pretrained: the table's legacy mapping, aliases, and the enum imports.

Runs without torchvision: the rule reads torchlint/data/torchvision_weights.json only.
"""

import pytest

from tests.helpers import codes, dedent, fix, lint
from torchlint import registry

SELECT = ["TL803"]


def tl803(code):
    return codes(code, SELECT).count("TL803")


def test_on_by_default_and_message():
    assert "TL803" in {rule.code for rule in registry.select_rules()}
    found = lint("import torchvision\nm = torchvision.models.resnet50(pretrained=True)\n", SELECT)
    assert len(found) == 1 and len(found[0].message) <= 160
    assert "0.13" in found[0].message and "ResNet50_Weights.IMAGENET1K_V1" in found[0].message


@pytest.mark.parametrize(
    "imports, spelled",
    [
        ("import torchvision", "torchvision.models.resnet18"),
        ("import torchvision.models as models", "models.resnet18"),
        ("from torchvision import models", "models.resnet18"),
        ("from torchvision.models import resnet18", "resnet18"),
        ("from torchvision.models import resnet18 as r18", "r18"),
        ("from torchvision.models.resnet import resnet18", "resnet18"),
    ],
)
def test_aliases(imports, spelled):
    assert tl803(f"{imports}\n\nm = {spelled}(pretrained=True)\n") == 1


def test_negatives():
    code = """
        import timm
        import torchvision.models as models
        from transformers import AutoModel
        from mynets import resnet50

        a = models.resnet50(weights=models.ResNet50_Weights.DEFAULT)
        b = models.resnet50()
        c = timm.create_model("resnet50", pretrained=True)   # timm: not deprecated
        d = resnet50(pretrained=True)                          # a project's own builder
        e = AutoModel.from_pretrained("bert-base-uncased")
        f = models.resnet50(weights=None)

        def build(pretrained=True):
            return make_net(pretrained=pretrained)
    """
    assert tl803(code) == 0


def test_fix_uses_the_legacy_member_not_default():
    code = """
        import torchvision.models as models

        a = models.resnet50(pretrained=True)
        b = models.resnet50(pretrained=False, num_classes=10)
        c = models.resnet50(pretrained=args.pretrained)
    """
    assert fix(code, SELECT) == dedent("""
        import torchvision.models as models

        a = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)
        b = models.resnet50(weights=None, num_classes=10)
        c = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1 if args.pretrained else None)
    """)


def test_backbone_and_submodule_enums():
    code = """
        import torchvision

        m = torchvision.models.detection.fasterrcnn_resnet50_fpn(pretrained=True, pretrained_backbone=False)
        s = torchvision.models.segmentation.deeplabv3_resnet50(pretrained=False, pretrained_backbone=True)
    """
    assert fix(code, SELECT) == dedent("""
        import torchvision

        m = torchvision.models.detection.fasterrcnn_resnet50_fpn(weights=torchvision.models.detection.FasterRCNN_ResNet50_FPN_Weights.COCO_V1, weights_backbone=None)
        s = torchvision.models.segmentation.deeplabv3_resnet50(weights=None, weights_backbone=torchvision.models.ResNet50_Weights.IMAGENET1K_V1)
    """)  # noqa: E501


def test_from_import_gets_the_enum_added():
    code = """
        import os
        from torchvision.models import resnet18, vgg16

        a = resnet18(pretrained=True)
        b = vgg16(pretrained=True)
        c = resnet18(pretrained=True)
    """
    assert fix(code, SELECT) == dedent("""
        import os
        from torchvision.models import resnet18, vgg16, ResNet18_Weights, VGG16_Weights

        a = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
        b = vgg16(weights=VGG16_Weights.IMAGENET1K_V1)
        c = resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
    """)


def test_submodule_import_gets_a_new_import_and_existing_enum_is_reused():
    code = """
        from torchvision.models.resnet import resnet50

        m = resnet50(pretrained=True)
    """
    assert fix(code, SELECT) == dedent("""
        from torchvision.models.resnet import resnet50
        from torchvision.models import ResNet50_Weights

        m = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)
    """)
    reuse = "from torchvision.models import resnet50, ResNet50_Weights\nm = resnet50(pretrained=True)\n"
    assert fix(reuse, SELECT).endswith("m = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)\n")


def test_quantized_builders_follow_quantize():
    code = """
        from torchvision.models import quantization

        a = quantization.resnet18(pretrained=True, quantize=True)
        b = quantization.resnet18(pretrained=True)
        c = quantization.resnet18(pretrained=True, quantize=args.q)
    """
    fixed = fix(code, SELECT)
    assert "a = quantization.resnet18(weights=quantization.ResNet18_QuantizedWeights.IMAGENET1K_FBGEMM_V1, " in fixed
    assert "b = quantization.resnet18(weights=" in fixed and "ResNet18_Weights.IMAGENET1K_V1)" in fixed
    assert "c = quantization.resnet18(pretrained=True, quantize=args.q)" in fixed  # unknown: reported only
    assert tl803(fixed) == 1


def test_models_dict_lookup_is_reported_only():
    code = """
        import torchvision.models as models

        model = models.__dict__[args.arch](pretrained=True)
    """
    found = lint(code, SELECT)
    assert len(found) == 1 and "weights=" in found[0].message
    assert fix(code, SELECT) == dedent(code)


def test_no_fix_when_weights_given_or_star_args():
    code = """
        import torchvision.models as models

        a = models.resnet50(pretrained=True, weights=None)
        b = models.resnet50(*args, pretrained=True)
    """
    assert tl803(code) == 2
    assert fix(code, SELECT) == dedent(code)


def test_kwargs_are_kept():
    code = "from torchvision.models import resnet50\n\ndef hub(**kw):\n    return resnet50(pretrained=False, **kw)\n"
    assert fix(code, SELECT).endswith("return resnet50(weights=None, **kw)\n")
