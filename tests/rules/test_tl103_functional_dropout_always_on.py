"""TL103 functional-dropout-always-on: functional dropouts that ignore eval mode, and the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL103"]

POSITIVES = {
    "plain-forward": """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                return F.dropout(x, 0.5)
    """,
    "dropout2d-keyword-p": """
        import torch
        from torch.nn import functional as F

        class Net(torch.nn.Module):
            def forward(self, x):
                x = F.dropout2d(x, p=0.1, inplace=False)
                return x
    """,
    "alpha-dropout-in-helper-method": """
        import torch.nn as nn
        from torch.nn.functional import alpha_dropout

        class Block(nn.Linear):
            def _drop(self, x):
                return alpha_dropout(x, 0.2)

            def forward(self, x):
                return self._drop(super().forward(x))
    """,
    "full-spelling-subclass-of-local-module": """
        import torch

        class Base(torch.nn.Module):
            pass

        class Net(Base):
            def forward(this, x):
                return torch.nn.functional.feature_alpha_dropout(x, 0.3)
    """,
}

NEGATIVES = {
    "training-given": """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                return F.dropout(x, p=0.5, training=self.training)
    """,
    "training-positional": """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                return F.dropout(x, 0.5, self.training)
    """,
    "explicit-always-on-mc-dropout": """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                return F.dropout(x, 0.5, training=True)
    """,
    "function-outside-a-module": """
        import torch.nn.functional as F

        def augment(x):
            return F.dropout(x, 0.1)
    """,
    "class-that-is-not-a-module": """
        import torch.nn.functional as F

        class Augment:
            def __call__(self, x):
                return F.dropout(x, 0.1)
    """,
    "unknown-base-class": """
        import torch.nn.functional as F
        from .base import BaseModel

        class Net(BaseModel):
            def forward(self, x):
                return F.dropout(x, 0.1)
    """,
    "nn-dropout-module": """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.drop = nn.Dropout(0.5)

            def forward(self, x):
                return self.drop(x)
    """,
    "guarded-by-if-self-training": """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                if self.training:
                    x = F.dropout(x, 0.5)
                return x if not self.training else F.dropout2d(x, 0.1)
    """,
    "kwargs-forwarded": """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x, **kw):
                return F.dropout(x, **kw)
    """,
    "nested-function-without-self": """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                def drop(y):
                    return F.dropout(y, 0.5)
                return drop(x)
    """,
    "other-dropout-function": """
        import torch.nn as nn
        from mylib import dropout

        class Net(nn.Module):
            def forward(self, x):
                return dropout(x, 0.5)
    """,
}


@pytest.mark.parametrize("code", POSITIVES.values(), ids=POSITIVES.keys())
def test_reports(code):
    assert codes(code, SELECT) == ["TL103"]


@pytest.mark.parametrize("code", NEGATIVES.values(), ids=NEGATIVES.keys())
def test_silent(code):
    assert codes(code, SELECT) == []


def test_message_names_the_call_and_the_remedy():
    (finding,) = lint(POSITIVES["full-spelling-subclass-of-local-module"], SELECT)
    assert "torch.nn.functional.feature_alpha_dropout()" in finding.message
    assert "training=this.training" in finding.message
    assert len(finding.message) <= 160


def test_fix_adds_training_keyword():
    code = """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                x = F.dropout(x, 0.5)  # regularise
                return F.dropout2d(x)
    """
    assert fix(code, SELECT, unsafe=True) == dedent("""
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                x = F.dropout(x, 0.5, training=self.training)  # regularise
                return F.dropout2d(x, training=self.training)
    """)


def test_fix_keeps_a_trailing_comma_layout():
    code = """
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                return F.dropout(
                    x,
                    p=0.5,
                )
    """
    assert fix(code, SELECT, unsafe=True) == dedent("""
        import torch.nn as nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def forward(self, x):
                return F.dropout(
                    x,
                    p=0.5,
                    training=self.training,
                )
    """)


def test_fix_is_unsafe_only():
    code = POSITIVES["plain-forward"]
    assert fix(code, SELECT) == dedent(code)
