"""TL101 layer-in-forward: detection."""

import pytest

from tests.helpers import codes, lint

SELECT = ["TL101"]


def tl101(code):
    return codes(code, SELECT).count("TL101")


# -- positives -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "imports, base, spelled",
    [
        ("import torch.nn as nn", "nn.Module", "nn.Linear"),
        ("from torch import nn", "nn.Module", "nn.Linear"),
        ("from torch.nn import Linear as L, Module", "Module", "L"),
        ("import torch.nn as tnn", "tnn.Module", "tnn.Linear"),
        ("import torch as th", "th.nn.Module", "th.nn.Linear"),
        ("import torch", "torch.nn.Module", "torch.nn.Linear"),
        ("from torch.nn.modules.linear import Linear\nfrom torch import nn", "nn.Module", "Linear"),
    ],
)
def test_linear_in_forward_through_any_alias(imports, base, spelled):
    code = f"""
{imports}

class Net({base}):
    def forward(self, x):
        return {spelled}(4, 2)(x)
"""
    assert tl101(code) == 1


@pytest.mark.parametrize(
    "construction",
    [
        "nn.Conv2d(3, 8, 3)", "nn.ConvTranspose1d(3, 8, 3)", "nn.Bilinear(4, 4, 2)", "nn.BatchNorm2d(8)",
        "nn.LayerNorm(8)", "nn.GroupNorm(2, 8)", "nn.Embedding(10, 4)", "nn.EmbeddingBag(10, 4)",
        "nn.LSTM(4, 8)", "nn.GRUCell(4, 8)", "nn.RNN(4, 8)", "nn.MultiheadAttention(8, 2)",
        "nn.TransformerEncoderLayer(8, 2)", "nn.PReLU()", "nn.Dropout()", "nn.Dropout(0.1)",
        "nn.Dropout2d(p=0.3)", "nn.AlphaDropout(0.2)", "nn.RReLU()", "nn.InstanceNorm2d(8, affine=True)",
        "nn.InstanceNorm1d(8, track_running_stats=True)", "nn.LazyLinear(4)", "nn.SyncBatchNorm(8)",
        "nn.BatchNorm1d(8, affine=False)", "nn.BatchNorm1d(8, affine=flag)",
    ],
)  # fmt: skip
def test_stateful_torch_layers(construction):
    code = f"""
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x, flag=True):
                layer = {construction}
                return layer(x)
    """
    assert tl101(code) == 1


def test_dropout_message_mentions_eval():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x):
                return nn.Dropout(0.5)(x)
    """
    [finding] = lint(code, SELECT)
    assert "model.eval()" in finding.message


def test_module_level_and_nested_classes():
    code = """
        import torch
        from torch import nn

        def build():
            class Local(nn.Module):
                def forward(self, x):
                    return nn.Linear(4, 4)(x)
            return Local()

        class Outer:
            class Inner(nn.Module):
                def forward(self, x):
                    return nn.Conv1d(4, 4, 1)(x)
    """
    assert tl101(code) == 2


def test_subclass_chains_and_torch_class_bases():
    code = """
        import torch.nn as nn

        class C(B):
            def forward(self, x):
                return nn.Linear(4, 4)(x)

        class B(A):
            pass

        class A(nn.Module):
            pass

        class MyLinear(nn.Linear):
            def forward(self, x):
                return nn.BatchNorm1d(4)(super().forward(x))
    """
    assert tl101(code) == 2


@pytest.mark.parametrize(
    "imports, base",
    [
        ("import pytorch_lightning as pl", "pl.LightningModule"),
        ("from lightning.pytorch import LightningModule", "LightningModule"),
        ("import lightning as L", "L.LightningModule"),
    ],
)
def test_lightning_module(imports, base):
    code = f"""
        {imports}
        import torch.nn as nn

        class Model({base}):
            def forward(self, x):
                return nn.Linear(4, 4)(x)
    """
    assert tl101(code) == 1


def test_helper_reached_only_from_forward_and_closure():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x):
                def inner(y):
                    return nn.Linear(4, 4)(y)
                return self._block(inner(x))

            def _block(self, x):
                return nn.BatchNorm1d(4)(x)
    """
    assert tl101(code) == 2


def test_project_module_whose_init_builds_layers():
    code = """
        import torch.nn as nn

        class Block(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.fc = nn.Linear(dim, dim)

        class Scaled(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.register_buffer("scale", None)

        class Activation(nn.Module):
            def __init__(self):
                super().__init__()
                self.act = nn.ReLU()

        class Net(nn.Module):
            def forward(self, x):
                return Activation()(Scaled(4)(Block(4)(x)))
    """
    found = lint(code, SELECT)
    assert [f.message.split("`")[1] for f in found] == ["Scaled(...)", "Block(...)"]


def test_unconditional_assignment_to_self_in_forward_is_reported():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x):
                self.fc = nn.Linear(4, 4)
                return self.fc(x)
    """
    assert tl101(code) == 1


# -- negatives -----------------------------------------------------------------------------------
def test_layers_built_in_init_and_init_helpers():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)
                self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
                self.seq = nn.Sequential(nn.Linear(4, 4), nn.ReLU())
                setattr(self, "extra", nn.Linear(4, 4))
                self.add_module("more", nn.Conv2d(1, 1, 1))
                self._build()

            def _build(self):
                self.head = nn.Linear(4, 2)

            def forward(self, x):
                return self.head(self.fc(x))
    """
    assert tl101(code) == 0


def test_lazy_cache_is_not_reported():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.proj = None
                self.cache = nn.ModuleDict()

            def forward(self, x):
                if self.proj is None:
                    self.proj = nn.Linear(x.shape[-1], 4)
                key = str(x.shape[-1])
                if key not in self.cache:
                    self.cache[key] = nn.Linear(x.shape[-1], 4)
                return self.proj(x) + self.cache[key](x)
    """
    assert tl101(code) == 0


def test_not_a_module_or_not_forward():
    code = """
        import torch.nn as nn

        class Builder:
            def forward(self, x):
                return nn.Linear(4, 4)(x)

        def forward(x):
            return nn.Linear(4, 4)(x)

        class Net(nn.Module):
            def make_head(self):
                return nn.Linear(4, 4)

            def forward(self, x):
                return x

        class Unknown(SomeBase):
            def forward(self, x):
                return nn.Linear(4, 4)(x)
    """
    assert tl101(code) == 0


def test_helper_also_called_outside_forward_is_not_forward_only():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.head = self._head()

            def _head(self):
                return nn.Linear(4, 4)

            def forward(self, x):
                return self._head()(x)
    """
    assert tl101(code) == 0


def test_stateless_losses_containers_and_zero_dropout():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x, y, flag):
                a = nn.ReLU()(x)
                b = nn.CrossEntropyLoss()(x, y)
                c = nn.Sequential()(x)
                d = nn.Dropout(0.0)(x)
                e = nn.InstanceNorm2d(4)(x)
                f = nn.BatchNorm1d(4, affine=False, track_running_stats=False)(x)
                g = nn.LayerNorm(4, elementwise_affine=False)(x)
                h = nn.LayerNorm(4, elementwise_affine=flag)(x)  # may be stateless: stay silent
                return a + b + c + d + e + f + g + h
    """
    assert tl101(code) == 0


def test_class_defined_inside_forward_builds_in_its_own_init():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x):
                class Head(nn.Module):
                    def __init__(self):
                        super().__init__()
                        self.fc = nn.Linear(4, 4)
                return x
    """
    assert tl101(code) == 0


def test_lookalike_names_are_not_torch():
    code = """
        import torch.nn as nn
        from mylib import Linear

        class Net(nn.Module):
            def forward(self, x):
                return Linear(4, 4)(x) + nn.functional.linear(x, x)
    """
    assert tl101(code) == 0


def test_project_module_without_state_is_not_reported():
    code = """
        import torch.nn as nn

        class Gelu(nn.Module):
            def forward(self, x):
                return x * 0.5

        class Net(nn.Module):
            def forward(self, x):
                return Gelu()(x)
    """
    assert tl101(code) == 0


def test_override_called_by_the_base_class_is_not_forward_only():
    code = """
        import torch.nn as nn

        class Base(nn.Module):
            def __init__(self):
                super().__init__()
                self.head = self.make_head()

        class Child(Base):
            def make_head(self):
                return nn.Linear(4, 4)

            def forward(self, x):
                extra = self.make_head  # referenced here too
                return self.head(x)
    """
    assert tl101(code) == 0


def test_default_argument_values_are_built_once():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x, norm=nn.LayerNorm(4)):
                return norm(x)
    """
    assert tl101(code) == 0


@pytest.mark.parametrize(
    "construction",
    [
        "torch.nn.modules.batchnorm.BatchNorm2d(self.number_of_hidden_channels_in_block)",
        "torch.nn.Dropout(p=self.dropout_probability)",
        "torch.nn.modules.batchnorm.BatchNorm2d(8, affine=False)",
        "VeryLongProjectBlockNameThatDescribesItselfAtLength(8)",
    ],
)
def test_messages_fit_an_editor_line(construction):
    code = f"""
        import torch
        import torch.nn as nn
        class VeryLongProjectBlockNameThatDescribesItselfAtLength(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.fc = nn.Linear(n, n)
        class AnExtremelyLongModelClassNameForTesting(nn.Module):
            def forward(self, x):
                return self.a_helper_method_with_a_long_descriptive_name(x)
            def a_helper_method_with_a_long_descriptive_name(self, x):
                return {construction}(x)
    """
    (finding,) = lint(code, SELECT)
    assert len(finding.message) <= 160, finding.message
