"""TL603 frozen-batchnorm-in-train-mode (opt-in): frozen backbones whose batch norm keeps training."""

import pytest

from tests.helpers import codes, lint
from torchlint import registry

SELECT = ["TL603"]

POSITIVES = {
    "torchvision-backbone-frozen-in-a-script": """
        import torchvision

        def main(loader, head, optimizer):
            backbone = torchvision.models.resnet18(weights="DEFAULT")
            for p in backbone.parameters():
                p.requires_grad = False
            for epoch in range(10):
                backbone.train()
                head.train()
    """,
    "submodule-frozen-in-init-model-trained-elsewhere": """
        import torch.nn as nn

        class Encoder(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(3, 8, 3)
                self.bn = nn.BatchNorm2d(8)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = Encoder()
                self.encoder.requires_grad_(False)
                self.head = nn.Linear(8, 2)

        def fit(loader):
            model = Net()
            model.train()
    """,
    "named-parameters-and-sequential": """
        import torch.nn as nn

        def build():
            model = nn.Module()
            model.features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU())
            for name, param in model.features.named_parameters():
                param.requires_grad = False
            model.train()
            return model
    """,
    "eval-only-before-train": """
        import torchvision

        def main():
            net = torchvision.models.mobilenet_v2()
            net.requires_grad_(False)
            net.eval()
            net.train()
    """,
}

NEGATIVES = {
    "eval-after-train": """
        import torchvision

        def main(model):
            model.backbone = torchvision.models.resnet50()
            for p in model.backbone.parameters():
                p.requires_grad = False
            for epoch in range(3):
                model.train()
                model.backbone.eval()
    """,
    "train-override": """
        import torch.nn as nn
        import torchvision

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.backbone = torchvision.models.resnet18()
                for p in self.backbone.parameters():
                    p.requires_grad = False

            def train(self, mode=True):
                super().train(mode)
                self.backbone.eval()
                return self

        model = Net()
        model.train()
    """,
    "no-batch-norm": """
        import torch.nn as nn

        def build():
            model = nn.Module()
            model.features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())
            for p in model.features.parameters():
                p.requires_grad = False
            model.train()
    """,
    "partial-freeze": """
        import torchvision

        def main():
            net = torchvision.models.resnet18()
            for name, p in net.named_parameters():
                if not name.startswith("fc"):
                    p.requires_grad = False
            net.train()
    """,
    "unknown-backbone": """
        import timm

        def main():
            net = timm.create_model("resnet50")
            net.requires_grad_(False)
            net.train()
    """,
    "bn-helper": """
        import torchvision

        def set_bn_eval(m):
            if "BatchNorm" in type(m).__name__:
                m.eval()

        def main():
            net = torchvision.models.resnet18()
            net.requires_grad_(False)
            net.train()
            net.apply(set_bn_eval)
    """,
    "train-false": """
        import torchvision

        def main():
            net = torchvision.models.resnet18()
            net.requires_grad_(False)
            net.train(False)
    """,
    "vgg-without-bn": """
        import torchvision

        def main():
            net = torchvision.models.vgg16()
            net.requires_grad_(False)
            net.train()
    """,
    "unfrozen-again": """
        import torchvision

        def main():
            net = torchvision.models.resnet18()
            net.requires_grad_(True)
            net.train()
    """,
}


@pytest.mark.parametrize("code", POSITIVES.values(), ids=POSITIVES.keys())
def test_reports(code):
    assert codes(code, SELECT) == ["TL603"]


@pytest.mark.parametrize("code", NEGATIVES.values(), ids=NEGATIVES.keys())
def test_silent(code):
    assert codes(code, SELECT) == []


def test_message_and_no_fix():
    (finding,) = lint(POSITIVES["named-parameters-and-sequential"], SELECT)
    assert "`model.train()`" in finding.message and "`model.features`" in finding.message
    assert "override `train()`" in finding.message
    assert len(finding.message) <= 160
    assert finding.fix is None


def test_opt_in():
    rule = registry.all_rules()["TL603"]
    assert rule.default is False


def test_long_names_keep_the_message_short():
    code = """
        import torchvision

        def main(a_very_long_model_name_for_the_experiment_with_details):
            a_very_long_model_name_for_the_experiment_with_details.feature_extractor_backbone = (
                torchvision.models.resnet50())
            a_very_long_model_name_for_the_experiment_with_details.feature_extractor_backbone.requires_grad_(False)
            a_very_long_model_name_for_the_experiment_with_details.train()
    """
    (finding,) = lint(code, SELECT)
    assert len(finding.message) <= 160
