"""TL404 load-pickled-model: whole-module saves and loads, look-alikes that are fine, the unsafe load fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL404"]

POSITIVES = {
    "save-project-model": """
        import torch
        import torch.nn as nn
        class Net(nn.Module):
            pass
        model = Net()
        torch.save(model, "model.pt")
    """,
    "save-torch-nn-model-moved": """
        import torch
        from torch import nn
        model = nn.Sequential(nn.Linear(4, 2)).to("cpu")
        torch.save(model, "model.pt")
    """,
    "save-torchvision-model": """
        import torch
        import torchvision
        resnet = torchvision.models.resnet18()
        torch.save(resnet, "model.ckpt")
    """,
    "save-model-in-dict": """
        import torch
        import torch.nn as nn
        model = nn.Linear(4, 2)
        torch.save({"epoch": 1, "model": model}, "ckpt.pt")
    """,
    "save-wrapped-module": """
        import torch
        import torch.nn as nn
        model = nn.DataParallel(nn.Linear(4, 2))
        torch.save(model.module, "model.pt")
    """,
    "load-then-eval": """
        import torch
        model = torch.load("model.pt")
        model.eval()
    """,
    "load-map-location-then-call": """
        import torch as th
        def predict(x):
            net = th.load("model.pt", map_location="cpu")
            return net(x)
    """,
    "load-cuda-then-parameters": """
        import torch
        model = torch.load(path).cuda()
        params = list(model.parameters())
    """,
    "load-checkpoint-entry-as-model": """
        import torch
        model = torch.load(weights)["model"].float().eval()
    """,
    "load-reassigned-then-eval": """
        from torch import load
        model = load(path)
        model = model.cuda()
        model.eval()
    """,
}

NEGATIVES = {
    "save-state-dict": """
        import torch
        import torch.nn as nn
        model = nn.Linear(4, 2)
        torch.save(model.state_dict(), "weights.pt")
    """,
    "save-dict-of-state-dicts": """
        import torch
        import torch.nn as nn
        model = nn.Linear(4, 2)
        torch.save({"model": model.state_dict(), "epoch": 3}, "ckpt.pt")
    """,
    "save-tensor": """
        import torch
        t = torch.zeros(3)
        torch.save(t, "t.pt")
    """,
    "save-unknown-object": """
        import torch
        def save(obj, path):
            torch.save(obj, path)
    """,
    "save-model-only-on-some-paths": """
        import torch
        import torch.nn as nn
        def save(model, path, fresh):
            if fresh:
                model = nn.Linear(4, 2)
            torch.save(model, path)
    """,
    "load-weights-only-false": """
        import torch
        model = torch.load("model.pt", weights_only=False)
        model.eval()
    """,
    "load-state-dict": """
        import torch
        model = Net()
        model.load_state_dict(torch.load("weights.pt"))
        model.eval()
    """,
    "load-checkpoint-dict": """
        import torch
        ckpt = torch.load("ckpt.pt", map_location="cpu")
        model.load_state_dict(ckpt["model"])
        start = ckpt["epoch"]
    """,
    "load-tensor-moved": """
        import torch
        features = torch.load("features.pt").cuda()
        mean = features.mean(0)
    """,
    "load-with-pickle-module": """
        import pickle
        import torch
        model = torch.load("model.pt", pickle_module=pickle)
        model.eval()
    """,
    "load-with-kwargs": """
        import torch
        model = torch.load("model.pt", **load_options)
        model.eval()
    """,
    "other-load": """
        import torch
        model = torch.jit.load("model.pt")
        model.eval()
    """,
    "load-under-safe-globals": """
        import torch
        with torch.serialization.safe_globals([Net, torch.nn.Linear]):
            model = torch.load("model.pt")
        model.eval()
    """,
    "file-adds-safe-globals": """
        import torch
        from torch.serialization import add_safe_globals
        add_safe_globals([Net])
        model = torch.load("model.pt")
        model.eval()
    """,
    "name-reassigned-before-use": """
        import torch
        model = torch.load("model.pt")
        model = Net()
        model.eval()
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL404"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_messages_are_short_and_say_what_to_do():
    (save,) = lint(POSITIVES["save-project-model"], SELECT)
    assert "state_dict()" in save.message and len(save.message) <= 160
    assert save.fix is None
    (load,) = lint(POSITIVES["load-then-eval"], SELECT)
    assert "Weights only load failed" in load.message and "trusted" in load.message and len(load.message) <= 160
    assert load.fix.applicability == "unsafe" and "trusted" in load.fix.description


def test_fix_passes_weights_only_false_when_unsafe_fixes_are_on():
    assert fix(POSITIVES["load-then-eval"], SELECT) == dedent(POSITIVES["load-then-eval"])
    assert fix(POSITIVES["load-then-eval"], SELECT, unsafe=True) == dedent("""
        import torch
        model = torch.load("model.pt", weights_only=False)
        model.eval()
    """)
    assert fix(POSITIVES["load-map-location-then-call"], SELECT, unsafe=True) == dedent("""
        import torch as th
        def predict(x):
            net = th.load("model.pt", map_location="cpu", weights_only=False)
            return net(x)
    """)


def test_saves_are_not_fixed():
    code = POSITIVES["save-project-model"]
    assert fix(code, SELECT, unsafe=True) == dedent(code)
