"""TL403 unchecked-strict-false (opt-in): a non-strict load whose result is dropped, and the checked look-alikes."""

import pytest

from tests.helpers import codes, lint
from torchlint import registry

SELECT = ["TL403"]

POSITIVES = {
    "expression-statement": """
        import torch
        model.load_state_dict(torch.load("ckpt.pt"), strict=False)
    """,
    "positional-false": """
        import torch
        model.load_state_dict(torch.load("ckpt.pt"), False)
    """,
    "self-in-method": """
        import torch.nn as nn
        class Backbone(nn.Module):
            def init_weights(self, url):
                state_dict = load_url(url)
                self.load_state_dict(state_dict, strict=False)
    """,
    "assigned-to-underscore": """
        import torch
        _ = model.load_state_dict(sd, strict=False)
    """,
    "assigned-and-never-read": """
        import torch
        def restore(model, sd):
            result = model.load_state_dict(sd, strict=False)
            return model
    """,
}

NEGATIVES = {
    "result-checked": """
        import torch
        def restore(model, sd):
            msg = model.load_state_dict(sd, strict=False)
            assert set(msg.missing_keys) == {"fc.weight", "fc.bias"}
    """,
    "result-printed": """
        import torch
        print(model.load_state_dict(sd, strict=False))
    """,
    "result-returned": """
        import torch
        def restore(model, sd):
            return model.load_state_dict(sd, strict=False)
    """,
    "result-logged-later": """
        import torch
        def restore(model, sd, logger):
            incompatible = model.load_state_dict(sd, strict=False)
            logger.info(incompatible)
    """,
    "strict-default": """
        import torch
        model.load_state_dict(torch.load("ckpt.pt"))
    """,
    "strict-true": """
        import torch
        model.load_state_dict(sd, strict=True)
    """,
    "strict-variable": """
        import torch
        model.load_state_dict(sd, strict=args.strict)
    """,
    "keys-matched-by-hand": """
        import torch
        def restore(model, sd):
            own = model.state_dict()
            sd = {k: v for k, v in sd.items() if k in own and v.shape == own[k].shape}
            model.load_state_dict(sd, strict=False)
    """,
    "keys-checked-by-a-helper": """
        import torch
        def restore(model, sd):
            check_keys(model, sd)
            model.load_state_dict(sd, strict=False)
    """,
    "not-a-torch-file": """
        import megengine as mge
        model.load_state_dict(mge.load(path), strict=False)
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL403"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_is_opt_in_and_has_no_fix():
    rule = registry.all_rules()["TL403"]
    assert rule.default is False and rule.fixer is None
    assert "TL403" not in [r.code for r in registry.select_rules()]


def test_message_says_what_to_check():
    (finding,) = lint(POSITIVES["expression-statement"], SELECT)
    assert "missing_keys" in finding.message and "module." in finding.message and len(finding.message) <= 160
