"""TL801 scheduler-get-lr: only torch schedulers built in the file, never a scheduler's own code."""

import pytest

from tests.helpers import codes, dedent, fix, lint
from torchlint import registry

SELECT = ["TL801"]


def tl801(code):
    return codes(code, SELECT).count("TL801")


def test_on_by_default_message_and_unsafe_fix():
    assert "TL801" in {rule.code for rule in registry.select_rules()}
    code = """
        import torch

        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2], gamma=0.1)
        for epoch in range(4):
            scheduler.step()
            print(epoch, scheduler.get_lr()[0])
    """
    found = lint(code, SELECT)
    assert len(found) == 1 and len(found[0].message) <= 160 and "get_last_lr()" in found[0].message
    assert fix(code, SELECT) == dedent(code)
    assert fix(code, SELECT, unsafe=True) == dedent(code).replace("get_lr()", "get_last_lr()")


@pytest.mark.parametrize(
    "imports, ctor",
    [
        ("import torch", "torch.optim.lr_scheduler.StepLR"),
        ("import torch.optim as optim", "optim.lr_scheduler.CosineAnnealingLR"),
        ("from torch.optim import lr_scheduler", "lr_scheduler.ExponentialLR"),
        ("from torch.optim.lr_scheduler import LambdaLR as L", "L"),
        ("from torch.optim.lr_scheduler import OneCycleLR", "OneCycleLR"),
    ],
)
def test_constructor_spellings(imports, ctor):
    code = f"{imports}\n\ndef train(opt):\n    sched = {ctor}(opt, 1)\n    return sched.get_lr()\n"
    assert tl801(code) == 1


def test_script_global_and_self_attribute():
    code = """
        from torch.optim import lr_scheduler

        scheduler = lr_scheduler.StepLR(optimizer, 10)

        def log(epoch):
            print(epoch, scheduler.get_lr())

        class Trainer:
            def __init__(self, optimizer):
                self.scheduler = lr_scheduler.MultiStepLR(optimizer, [3])

            def end_epoch(self):
                self.scheduler.step()
                return self.scheduler.get_lr()[0]
    """
    assert tl801(code) == 2


def test_negatives():
    code = """
        import torch
        from torch.optim.lr_scheduler import _LRScheduler, StepLR

        class WarmupLR(_LRScheduler):
            def get_lr(self):
                return [base * 0.1 for base in self.base_lrs]

            def step(self, epoch=None):
                super().step(epoch)
                self.inner = StepLR(self.optimizer, 2)
                return self.get_lr(), self.inner.get_lr()

        class MyPolicy:
            def get_lr(self):
                return 0.1

        def train(scheduler, optimizer, policy):
            print(scheduler.get_lr())          # a parameter: could be anything
            print(policy.get_lr())              # a user object
            own = MyPolicy()
            print(own.get_lr())
            warm = WarmupLR(optimizer)
            print(warm.get_lr())                # a user subclass: its own get_lr
            sched = StepLR(optimizer, 10)
            print(sched.get_last_lr())          # already right
            maybe = StepLR(optimizer, 10) if optimizer else policy
            print(maybe.get_lr())
            print(optimizer.param_groups[0]["lr"])
    """
    assert tl801(code) == 0


def test_name_reassigned_to_something_else_is_silent():
    code = """
        import torch

        def train(optimizer, use_custom, custom):
            sched = torch.optim.lr_scheduler.StepLR(optimizer, 10)
            if use_custom:
                sched = custom
            return sched.get_lr()
    """
    assert tl801(code) == 0


def test_self_attribute_assigned_from_a_parameter_is_silent():
    code = """
        class Trainer:
            def __init__(self, scheduler):
                self.scheduler = scheduler

            def log(self):
                return self.scheduler.get_lr()
    """
    assert tl801(code) == 0


def test_every_branch_builds_a_scheduler():
    code = """
        import torch.optim as optim

        if resume:
            scheduler = optim.lr_scheduler.LambdaLR(optimizer, lmbda, last_epoch=start)
        else:
            scheduler = optim.lr_scheduler.LambdaLR(optimizer, lmbda)
        lr = scheduler.get_lr()[0]
    """
    assert tl801(code) == 1


def test_global_declaration_is_silent():
    code = """
        import torch.optim as optim

        def setup(optimizer):
            global scheduler
            scheduler = optim.lr_scheduler.StepLR(optimizer, 3)
            return scheduler.get_lr()  # another function may rebind the global

        def log():
            return scheduler.get_lr()  # only functions bind it: unknown here
    """
    assert tl801(code) == 0
