"""TL501 script-dataparallel: positives, look-alikes, and both fix shapes."""

import pytest

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL501"]

POSITIVES = {
    "inline-wrapper": """
        import torch
        import torch.nn as nn
        scripted = torch.jit.script(nn.DataParallel(Net()))
    """,
    "through-variable": """
        import torch
        from torch import nn
        model = nn.DataParallel(Net())
        scripted = torch.jit.script(model)
    """,
    "ddp-alias-trace": """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        def export(net, example):
            ddp = DDP(net)
            return torch.jit.trace(ddp, example)
    """,
    "long-path-and-th-alias": """
        import torch as th
        def export(net):
            wrapped = th.nn.parallel.data_parallel.DataParallel(net)
            return th.jit.script(wrapped)
    """,
    "from-jit-import": """
        from torch.jit import script
        from torch.nn import DataParallel
        m = DataParallel(Net())
        s = script(m)
    """,
    "trace-module": """
        import torch
        import torch.nn as nn
        def f(net, inputs):
            m = nn.DataParallel(net)
            return torch.jit.trace_module(m, {"forward": inputs})
    """,
    "conditional-wrap": """
        import torch
        import torch.nn as nn
        def export(model):
            if torch.cuda.device_count() > 1:
                model = nn.DataParallel(model)
            return torch.jit.script(model)
    """,
    "self-attribute": """
        import torch
        import torch.nn as nn
        class Trainer:
            def __init__(self, net):
                self.model = nn.DataParallel(net)
            def export(self, path):
                torch.jit.script(self.model).save(path)
    """,
    "wrapped-earlier-in-the-same-method": """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        class Trainer:
            def __init__(self, net):
                self.model = net
            def export(self, rank):
                self.model = DDP(self.model, device_ids=[rank])
                return torch.jit.script(self.model)
    """,
    "wrapped-in-init-scripted-in-a-later-method": """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        class Trainer:
            def __init__(self, net, rank):
                self.model = DDP(net, device_ids=[rank])
            def export(self):
                self.log("export")
                return torch.jit.trace(self.model, torch.randn(1, 3))
    """,
    "keyword-argument": """
        import torch
        import torch.nn as nn
        m = nn.DataParallel(Net())
        s = torch.jit.script(obj=m)
    """,
    "module-alias-assignment": """
        import torch
        import torch.nn as nn
        DP = nn.DataParallel
        m = DP(Net())
        s = torch.jit.script(m)
    """,
}

NEGATIVES = {
    "script-module-attribute": """
        import torch
        import torch.nn as nn
        model = nn.DataParallel(Net())
        scripted = torch.jit.script(model.module)
    """,
    "wrap-after-script": """
        import torch
        import torch.nn as nn
        model = Net()
        scripted = torch.jit.script(model)
        model = nn.DataParallel(model)
    """,
    "rebound-before-script": """
        import torch
        import torch.nn as nn
        model = nn.DataParallel(Net())
        model = Net()
        scripted = torch.jit.script(model)
    """,
    "not-a-wrapper": """
        import torch
        model = Net()
        scripted = torch.jit.script(model)
    """,
    "other-data-parallel": """
        import torch
        from apex.parallel import DistributedDataParallel
        model = DistributedDataParallel(Net())
        scripted = torch.jit.script(model)
    """,
    "ambiguous-import": """
        import torch
        try:
            from apex.parallel import DistributedDataParallel as DDP
        except ImportError:
            from torch.nn.parallel import DistributedDataParallel as DDP
        model = DDP(Net())
        scripted = torch.jit.script(model)
    """,
    "other-function-wraps": """
        import torch
        import torch.nn as nn
        def wrap(model):
            model = nn.DataParallel(model)
            return model
        def export(model):
            return torch.jit.script(model)
    """,
    "scripted-in-init-before-a-later-method-wraps": """
        import torch
        from torch.nn.parallel import DistributedDataParallel as DDP
        class Trainer:
            def __init__(self, net, compile_model=True):
                self.model = net
                if compile_model:
                    self.model = torch.jit.script(self.model)
            def setup_distributed(self, rank):
                self.model = DDP(self.model, device_ids=[rank])
    """,
    "scripted-in-init-before-anything-assigned-there": """
        import torch
        import torch.nn as nn
        class Runner(BaseRunner):
            def __init__(self, cfg):
                super().__init__(cfg)
                self.model = torch.jit.script(self.model)
            def to_multi_gpu(self):
                self.model = nn.DataParallel(self.model)
    """,
    "rebound-in-the-method-before-scripting": """
        import torch
        import torch.nn as nn
        class Trainer:
            def __init__(self, net):
                self.model = nn.DataParallel(net)
            def export(self, net):
                self.model = net
                return torch.jit.script(self.model)
    """,
    "not-torch-jit": """
        import torch.nn as nn
        from mylib import jit
        m = nn.DataParallel(Net())
        jit.script(m)
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_reports(name):
    assert codes(POSITIVES[name], SELECT) == ["TL501"]


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_silent(name):
    assert codes(NEGATIVES[name], SELECT) == []


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_message_is_short(name):
    for finding in lint(POSITIVES[name], SELECT):
        assert len(finding.message) <= 160, finding.message
        assert ".module` instead" in finding.message


def test_always_wrapped_fix_is_safe_and_exact():
    source = """
        import torch
        from torch import nn
        model = nn.DataParallel(Net())  # multi-GPU
        scripted = torch.jit.script(model)  # export
    """
    assert lint(source, SELECT)[0].fix.applicability == "safe"
    assert fix(source, SELECT) == dedent(
        """
        import torch
        from torch import nn
        model = nn.DataParallel(Net())  # multi-GPU
        scripted = torch.jit.script(model.module)  # export
        """
    )


def test_sometimes_wrapped_fix_is_unsafe_and_conditional():
    source = POSITIVES["conditional-wrap"]
    finding = lint(source, SELECT)[0]
    assert finding.fix.applicability == "unsafe"
    assert "on some paths" in finding.message
    assert fix(source, SELECT) == dedent(source), "unsafe fixes need --unsafe-fixes"
    assert fix(source, SELECT, unsafe=True) == dedent(
        """
        import torch
        import torch.nn as nn
        def export(model):
            if torch.cuda.device_count() > 1:
                model = nn.DataParallel(model)
            return torch.jit.script(model.module if isinstance(model, nn.DataParallel) else model)
        """
    )


def test_no_conditional_fix_when_wrapper_name_not_visible():
    source = """
        import torch
        class Trainer:
            def setup(self, net, wrap):
                from torch.nn.parallel import DistributedDataParallel as DDP
                self.model = DDP(net) if wrap else net
                if wrap:
                    self.model = DDP(net)
                else:
                    self.model = net
            def export(self):
                return torch.jit.script(self.model)
    """
    findings = lint(source, SELECT)
    assert [f.code for f in findings] == ["TL501"]
    assert findings[0].fix is None
