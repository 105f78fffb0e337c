"""TL402 dataparallel-state-dict-prefix: saving a wrapper's state_dict, look-alikes that are fine, the fixes."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL402"]

POSITIVES = {
    "dataparallel": """
        import torch
        import torch.nn as nn
        model = nn.DataParallel(Net())
        torch.save(model.state_dict(), "ckpt.pt")
    """,
    "ddp-from-import-as": """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        def train(local_rank):
            model = DDP(Net().cuda(), device_ids=[local_rank])
            torch.save(model.state_dict(), "ckpt.pt")
    """,
    "torch-nn-parallel-spelling": """
        import torch
        model = torch.nn.parallel.DistributedDataParallel(Net())
        torch.save(obj=model.state_dict(), f="ckpt.pt")
    """,
    "in-a-checkpoint-dict": """
        import torch
        import torch.nn as nn
        model = nn.DataParallel(Net())
        torch.save({"epoch": 3, "state_dict": model.state_dict()}, "ckpt.pt")
    """,
    "dict-through-a-name": """
        import torch
        import torch.nn as nn
        model = nn.DataParallel(Net())
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
        torch.save(state, "ckpt.pt")
    """,
    "state-dict-through-a-name": """
        import torch as th
        model = th.nn.DataParallel(Net())
        weights = model.state_dict()
        th.save(weights, "ckpt.pt")
    """,
    "wrapped-on-some-paths": """
        import torch
        import torch.nn as nn
        def main(args):
            model = Net()
            if args.gpus > 1:
                model = nn.DataParallel(model)
            torch.save(model.state_dict(), "ckpt.pt")
    """,
    "through-a-save-helper": """
        import torch
        import torch.nn as nn
        def save_checkpoint(state, filename="checkpoint.pth.tar"):
            torch.save(state, filename)
        def main():
            model = nn.parallel.DistributedDataParallel(Net())
            save_checkpoint({"epoch": 1, "state_dict": model.state_dict()}, filename="ckpt.pt")
    """,
    "self-attribute": """
        import torch
        from torch import nn
        class Trainer:
            def __init__(self, net):
                self.model = nn.DataParallel(net)
            def save(self):
                torch.save(self.model.state_dict(), "ckpt.pt")
    """,
}

NEGATIVES = {
    "saves-module-state-dict": """
        import torch
        import torch.nn as nn
        model = nn.DataParallel(Net())
        torch.save(model.module.state_dict(), "ckpt.pt")
    """,
    "bare-model": """
        import torch
        model = Net()
        torch.save(model.state_dict(), "ckpt.pt")
    """,
    "unwrapped-conditionally": """
        import torch
        import torch.nn as nn
        model = nn.DataParallel(Net())
        to_save = model.module if hasattr(model, "module") else model
        torch.save(to_save.state_dict(), "ckpt.pt")
    """,
    "model-is-a-parameter": """
        import torch
        def save(model, path):
            torch.save(model.state_dict(), path)
    """,
    "other-branch-wraps": """
        import torch
        import torch.nn as nn
        def main(gpus):
            if gpus > 1:
                model = nn.DataParallel(Net())
            else:
                model = Net()
                torch.save(model.state_dict(), "ckpt.pt")
    """,
    "not-saved": """
        import torch.nn as nn
        model = nn.DataParallel(Net())
        weights = model.state_dict()
    """,
    "not-torch-dataparallel": """
        import torch
        from mylib import DataParallel
        model = DataParallel(Net())
        torch.save(model.state_dict(), "ckpt.pt")
    """,
    "helper-called-with-a-bare-model": """
        import torch
        def save_checkpoint(state, filename):
            torch.save(state, filename)
        def main():
            model = Net()
            save_checkpoint({"state_dict": model.state_dict()}, "ckpt.pt")
    """,
    "not-torch-save": """
        import torch.nn as nn
        model = nn.DataParallel(Net())
        mlflow.save(model.state_dict(), "ckpt.pt")
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL402"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_message_is_short_and_says_what_to_do():
    for name in POSITIVES:
        (finding,) = lint(POSITIVES[name], SELECT)
        assert len(finding.message) <= 160, finding.message
        assert "module." in finding.message and ".module.state_dict()" in finding.message
    (finding,) = lint(POSITIVES["wrapped-on-some-paths"], SELECT)
    assert "on some paths" in finding.message


def test_fix_is_unsafe_only():
    assert fix(POSITIVES["dataparallel"], SELECT) == dedent(POSITIVES["dataparallel"])


def test_fix_saves_the_wrapped_module():
    assert fix(POSITIVES["dataparallel"], SELECT, unsafe=True) == dedent("""
        import torch
        import torch.nn as nn
        model = nn.DataParallel(Net())
        torch.save(model.module.state_dict(), "ckpt.pt")
    """)
    assert fix(POSITIVES["dict-through-a-name"], SELECT, unsafe=True) == dedent("""
        import torch
        import torch.nn as nn
        model = nn.DataParallel(Net())
        state = {"model": model.module.state_dict(), "optimizer": optimizer.state_dict()}
        torch.save(state, "ckpt.pt")
    """)


def test_fix_unwraps_conditionally_when_wrapped_on_some_paths():
    assert fix(POSITIVES["wrapped-on-some-paths"], SELECT, unsafe=True) == dedent("""
        import torch
        import torch.nn as nn
        def main(args):
            model = Net()
            if args.gpus > 1:
                model = nn.DataParallel(model)
            torch.save((model.module if isinstance(model, nn.DataParallel) else model).state_dict(), "ckpt.pt")
    """)


LOADS_INTO_A_WRAPPER = {
    "resume-into-ddp": """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        def main(args):
            model = DDP(Net().cuda())
            if args.resume:
                checkpoint = torch.load(args.resume)
                model.load_state_dict(checkpoint["state_dict"])
            torch.save({"state_dict": model.state_dict()}, "ckpt.pt")
    """,
    "load-back-into-a-new-wrapper": """
        import torch
        net = torch.nn.DataParallel(torch.nn.Linear(10, 1))
        torch.save(net.state_dict(), "model.pt")
        new_net = torch.nn.DataParallel(torch.nn.Linear(10, 1))
        new_net.load_state_dict(torch.load("model.pt"))
    """,
    "wrapped-on-some-paths-loads-too": """
        import torch
        import torch.nn as nn
        def main(args):
            model = Net()
            if args.gpus > 1:
                model = nn.DataParallel(model)
            model.load_state_dict(torch.load(args.resume))
            torch.save(model.state_dict(), "ckpt.pt")
    """,
}


@pytest.mark.parametrize("name", sorted(LOADS_INTO_A_WRAPPER))
def test_silent_when_the_file_loads_into_a_wrapper(name):
    assert lint(LOADS_INTO_A_WRAPPER[name], SELECT) == []


@pytest.mark.parametrize("load", [
    "model.module.load_state_dict(torch.load(path))",  # unwrapped on load: the prefix is the bug
    "Net().load_state_dict(torch.load(path))",
    "bare = Net(); bare.load_state_dict(torch.load(path))",
    "optimizer.load_state_dict(torch.load(path))",
])
def test_loading_into_something_else_still_reports(load):
    code = f"""
        import torch
        import torch.nn as nn
        def main(path):
            model = nn.DataParallel(Net())
            {load}
            torch.save(model.state_dict(), "ckpt.pt")
    """
    assert [f.code for f in lint(code, SELECT)] == ["TL402"]
