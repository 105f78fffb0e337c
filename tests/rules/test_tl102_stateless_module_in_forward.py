"""TL102 stateless-module-in-forward: detection and the (safe) fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint
from torchlint import registry

SELECT = ["TL102"]


def tl102(code):
    return codes(code, SELECT).count("TL102")


def test_off_by_default():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x):
                return nn.ReLU()(x)
    """
    assert "TL102" not in {rule.code for rule in registry.select_rules()}
    assert tl102(code) == 1


@pytest.mark.parametrize(
    "imports, base, spelled",
    [
        ("import torch.nn as nn", "nn.Module", "nn.ReLU"),
        ("from torch import nn", "nn.Module", "nn.ReLU"),
        ("from torch.nn import ReLU as R, Module", "Module", "R"),
        ("import torch.nn as tnn", "tnn.Module", "tnn.ReLU"),
        ("import torch as th", "th.nn.Module", "th.nn.ReLU"),
    ],
)
def test_aliases(imports, base, spelled):
    code = f"""
{imports}

class Net({base}):
    def forward(self, x):
        return {spelled}()(x)
"""
    assert tl102(code) == 1


def test_bound_then_called_and_in_helpers_nested_classes():
    code = """
        import torch.nn as nn

        class Outer:
            class Net(nn.Module):
                def forward(self, x):
                    act = nn.Softmax(dim=1)
                    return self._flat(act(x))

                def _flat(self, x):
                    return nn.Flatten()(x)
    """
    assert tl102(code) == 2


def test_negatives():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.act = nn.ReLU()

            def forward(self, x, y):
                seq = nn.Sequential(nn.ReLU())  # built, not called here
                loss = nn.CrossEntropyLoss()(x, y)  # losses: an accepted idiom
                z = nn.Linear(4, 4)(x)  # TL101, not TL102
                d = nn.Dropout(0.2)(x)  # mode-dependent: TL101
                return self.act(x) + loss + z + d

        class NotAModule:
            def forward(self, x):
                return nn.ReLU()(x)

        def forward(x):
            return nn.ReLU()(x)
    """
    assert tl102(code) == 0


def test_tl101_and_tl102_never_fire_on_the_same_construction():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x, flag):
                a = nn.InstanceNorm1d(4)(x)
                b = nn.InstanceNorm1d(4, affine=True)(x)
                c = nn.InstanceNorm1d(4, affine=flag)(x)  # unknown: neither
                d = nn.BatchNorm1d(4, affine=False, track_running_stats=False)(x)
                return a + b + c + d
    """
    found = lint(code, ["TL101", "TL102"])
    assert [(f.code, f.line) for f in found] == [("TL102", 6), ("TL101", 7), ("TL102", 9)]


def fixed(code):
    return fix(code, SELECT)


def test_fix_reuses_functional_alias_and_keeps_keywords():
    code = """
        import torch.nn as nn
        import torch.nn.functional as F


        class Net(nn.Module):
            def forward(self, x):
                x = nn.ReLU(inplace=True)(x)  # activation
                x = nn.Softmax(dim=1)(x)
                x = nn.LeakyReLU(0.2)(x)
                return nn.GELU(approximate="tanh")(x)
    """
    assert fixed(code) == dedent("""
        import torch.nn as nn
        import torch.nn.functional as F


        class Net(nn.Module):
            def forward(self, x):
                x = F.relu(x, inplace=True)  # activation
                x = F.softmax(x, dim=1)
                x = F.leaky_relu(x, 0.2)
                return F.gelu(x, approximate="tanh")
    """)


def test_fix_through_torch_and_tensor_functions():
    code = """
        import torch
        from torch import nn


        class Net(nn.Module):
            def forward(self, x):
                return nn.Flatten()(nn.Sigmoid()(x)) + nn.ReLU()(x)
    """
    assert fixed(code) == dedent("""
        import torch
        from torch import nn


        class Net(nn.Module):
            def forward(self, x):
                return torch.flatten(torch.sigmoid(x), 1) + torch.nn.functional.relu(x)
    """)


def test_fix_through_nn_alias_or_adds_import():
    code = """
        from torch import nn


        class Net(nn.Module):
            def forward(self, x):
                return nn.Tanh()(x) + nn.ReLU()(x)
    """
    assert fixed(code) == dedent("""
        from torch import nn
        import torch


        class Net(nn.Module):
            def forward(self, x):
                return torch.tanh(x) + nn.functional.relu(x)
    """)


def test_no_fix_without_exact_equivalent_or_when_torch_is_taken():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def forward(self, x):
                act = nn.ReLU()
                a = nn.MaxPool1d(2)(x)  # the module normalises stride: not one call
                b = nn.ReLU6()(x)
                return act(x) + a + b
    """
    assert [f.fix is not None for f in lint(code, SELECT)] == [False, False, False]
    taken = """
        from torch.nn import ReLU, Module
        torch = None

        class Net(Module):
            def forward(self, x):
                return ReLU()(x)
    """
    assert [f.fix is not None for f in lint(taken, SELECT)] == [False]


def test_messages_fit_an_editor_line():
    code = """
        import torch
        class AnExtremelyLongModelClassNameForTesting(torch.nn.Module):
            def forward(self, x):
                return torch.nn.modules.activation.LeakyReLU(negative_slope=0.2)(x)
    """
    (finding,) = lint(code, SELECT)
    assert len(finding.message) <= 160, finding.message
