"""TL504 dataparallel-optimizer: a wrapper around an optimizer, look-alikes that are fine, the fix."""

import pytest

from tests.helpers import codes, dedent, fix, lint
from torchlint.analysis.objects import OPTIMIZERS

SELECT = ["TL504"]

POSITIVES = {
    "notes-pattern": """
        import torch
        import torch.nn as nn
        def main(model):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            optimizer = nn.DataParallel(optimizer, device_ids=[0, 1])
            optimizer.module.step()
    """,
    "inline-optimizer-from-import-as": """
        from torch import optim
        from torch.nn import DataParallel as DP
        opt = DP(optim.Adam(params))
        opt.module.step()
    """,
    "ddp-from-parallel-as": """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        optimizer = torch.optim.AdamW(model.parameters())
        optimizer = DDP(optimizer)
    """,
    "same-file-optimizer-subclass": """
        import torch
        import torch.nn as nn
        class Lamb(torch.optim.Optimizer):
            pass
        class MyLamb(Lamb):
            pass
        optimizer = nn.DataParallel(MyLamb(model.parameters()))
    """,
    "module-keyword": """
        import torch.nn as nn
        import torch.optim as optim
        optimizer = optim.SGD(params, lr=0.1)
        wrapped = nn.DataParallel(module=optimizer)
    """,
    "torch-as-th": """
        import torch as th
        optimizer = th.optim.RMSprop(params)
        optimizer = th.nn.DataParallel(optimizer)
        optimizer.zero_grad()
    """,
}

NEGATIVES = {
    "dataparallel-of-a-model": """
        import torch
        import torch.nn as nn
        model = nn.DataParallel(Net())
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    """,
    "optimizer-name-is-a-parameter": """
        import torch.nn as nn
        def wrap(optimizer):
            return nn.DataParallel(optimizer)
    """,
    "name-rebound-to-a-model": """
        import torch
        import torch.nn as nn
        net = torch.optim.SGD(params, lr=0.1)
        net = Net()
        net = nn.DataParallel(net)
    """,
    "optimizer-only-on-some-paths": """
        import torch
        import torch.nn as nn
        def build(thing, fresh):
            if fresh:
                thing = torch.optim.SGD(params, lr=0.1)
            return nn.DataParallel(thing)
    """,
    "lr-scheduler-is-not-an-optimizer": """
        import torch
        import torch.nn as nn
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 3)
        wrapped = nn.DataParallel(scheduler)
    """,
    "mylib-optimizer": """
        import torch.nn as nn
        from mylib.optim import SGD
        wrapped = nn.DataParallel(SGD(params))
    """,
    "mylib-dataparallel": """
        import torch
        from mylib import DataParallel
        wrapped = DataParallel(torch.optim.SGD(params, lr=0.1))
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL504"], name


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == [], name


def test_messages_are_short_and_quote_the_error():
    (finding,) = lint(POSITIVES["notes-pattern"], SELECT)
    assert "'DataParallel' object has no attribute 'step'" in finding.message
    for name in POSITIVES:
        (finding,) = lint(POSITIVES[name], SELECT)
        assert len(finding.message) <= 160, finding.message
    (finding,) = lint(POSITIVES["ddp-from-parallel-as"], SELECT)
    assert finding.message.startswith("`DistributedDataParallel` wraps an optimizer")


def test_fix_drops_the_wrapper_and_the_module_hops():
    code = """
        import torch
        import torch.nn as nn
        def main(model, data):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            optimizer = nn.DataParallel(optimizer, device_ids=[0, 1])
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer.module, 3)
            for x in data:
                optimizer.module.zero_grad()
                model(x).sum().backward()
                optimizer.module.step()
    """
    assert fix(code, SELECT) == dedent("""
        import torch
        import torch.nn as nn
        def main(model, data):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 3)
            for x in data:
                optimizer.zero_grad()
                model(x).sum().backward()
                optimizer.step()
    """)
    assert fix(POSITIVES["inline-optimizer-from-import-as"], SELECT) == dedent("""
        from torch import optim
        from torch.nn import DataParallel as DP
        opt = optim.Adam(params)
        opt.step()
    """)


def test_wrap_as_only_statement_of_a_block_leaves_pass():
    code = """
        import torch
        import torch.nn as nn
        def main(model, multi_gpu):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            if multi_gpu:
                optimizer = nn.DataParallel(optimizer)
            optimizer.module.step()
    """
    fixed = fix(code, SELECT)
    assert "DataParallel(optimizer)" not in fixed and "optimizer.step()" in fixed and "pass" in fixed


@pytest.mark.parametrize("use", [
    "optimizer.zero_grad()",  # the wrapper's own (empty) Module.zero_grad: not the same call after a fix
    "return optimizer",
    "helper(optimizer)",
])
def test_no_fix_when_a_use_is_not_a_module_hop(use):
    code = f"""
        import torch
        import torch.nn as nn
        def main(model):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            optimizer = nn.DataParallel(optimizer)
            optimizer.module.step()
            {use}
    """
    (finding,) = lint(code, SELECT)
    assert finding.fix is None


def test_no_fix_when_it_would_delete_a_comment():
    code = """
        import torch
        import torch.nn as nn
        optimizer = torch.optim.SGD(params, lr=0.1)
        optimizer = nn.DataParallel(optimizer)  # use all GPUs
        optimizer.module.step()
    """
    (finding,) = lint(code, SELECT)
    assert finding.fix is None


def test_no_fix_when_a_closure_uses_the_name():
    code = """
        import torch
        import torch.nn as nn
        def main(model):
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            optimizer = nn.DataParallel(optimizer)
            def step():
                optimizer.module.step()
            step()
    """
    (finding,) = lint(code, SELECT)
    assert finding.fix is None


def test_optimizer_table_matches_installed_torch():
    torch = pytest.importorskip("torch")
    import inspect

    installed = {n for n, o in vars(torch.optim).items() if inspect.isclass(o) and issubclass(o, torch.optim.Optimizer)}
    assert installed <= OPTIMIZERS, installed - OPTIMIZERS
