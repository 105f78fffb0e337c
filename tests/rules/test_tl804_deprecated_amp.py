"""TL804 deprecated-amp: torch.cuda.amp/torch.cpu.amp rewrites (safe) and apex amp reports."""

import pytest

from tests.helpers import codes, dedent, fix, lint
from torchlint import registry

SELECT = ["TL804"]


def tl804(code):
    return codes(code, SELECT).count("TL804")


def test_on_by_default_and_messages():
    assert "TL804" in {rule.code for rule in registry.select_rules()}
    found = lint("import torch\nwith torch.cuda.amp.autocast():\n    pass\n", SELECT)
    assert len(found) == 1 and len(found[0].message) <= 160
    assert 'torch.amp.autocast("cuda", ...)' in found[0].message and "2.4" in found[0].message


@pytest.mark.parametrize(
    "imports, spelled",
    [
        ("import torch", "torch.cuda.amp.autocast"),
        ("import torch as th", "th.cuda.amp.autocast"),
        ("from torch.cuda import amp", "amp.autocast"),
        ("from torch.cuda.amp import autocast", "autocast"),
        ("from torch.cuda.amp import autocast as ac", "ac"),
        ("from torch.cuda.amp.autocast_mode import autocast", "autocast"),
        ("import torch.cuda.amp as amp", "amp.autocast"),
    ],
)
def test_spellings(imports, spelled):
    assert tl804(f"{imports}\n\nwith {spelled}():\n    pass\n") == 1


def test_negatives():
    code = """
        import torch
        from torch.amp import GradScaler

        with torch.amp.autocast("cuda"):
            pass
        with torch.autocast(device_type="cuda", dtype=torch.float16):
            pass
        scaler = GradScaler("cuda")
        scaler2 = torch.GradScaler()
        from mylib.amp import autocast
        with autocast():
            pass
    """
    assert tl804(code) == 0


# The second layout was found by benchmarks/fuzz_audit.py: the blank line between the import groups
# went with the old import.
@pytest.mark.parametrize("gap", ["", "\n"])
def test_from_import_form_is_rewritten_with_its_import_in_its_place(gap):
    code = f"""
import os
{gap}from torch.cuda.amp import GradScaler, autocast

scaler = GradScaler()
with autocast():
    loss = model(x)
"""
    assert fix(code, SELECT) == dedent(f"""
import os
{gap}import torch

scaler = torch.amp.GradScaler("cuda")
with torch.amp.autocast("cuda"):
    loss = model(x)
""")


def test_keeps_torch_spelling_and_decorators():
    code = """
        import torch as th
        from torch.cuda.amp import autocast, custom_fwd

        @custom_fwd
        def f(x):
            return x

        with autocast(dtype=th.bfloat16):
            pass
        with th.cuda.amp.autocast(enabled=False):
            pass
    """
    assert fix(code, SELECT) == dedent("""
        import torch as th

        @th.amp.custom_fwd(device_type="cuda")
        def f(x):
            return x

        with th.amp.autocast("cuda", dtype=th.bfloat16):
            pass
        with th.amp.autocast("cuda", enabled=False):
            pass
    """)


def test_positional_arguments_that_moved_become_keywords():
    code = """
        import torch

        a = torch.cuda.amp.autocast(True, torch.float16)
        b = torch.cuda.amp.GradScaler(1024.0, 2.0)
        c = torch.cpu.amp.autocast(enabled=True)
    """
    assert fix(code, SELECT) == dedent("""
        import torch

        a = torch.amp.autocast("cuda", enabled=True, dtype=torch.float16)
        b = torch.amp.GradScaler("cuda", 1024.0, 2.0)
        c = torch.amp.autocast("cpu", enabled=True)
    """)


def test_decorator_and_many_calls_settle():
    body = "\n".join(f"with amp.autocast():\n    x{i} = f()" for i in range(12))
    code = f"from torch.cuda import amp\n\n@amp.autocast()\ndef f():\n    pass\n{body}\n"
    fixed = fix(code, SELECT)
    assert "cuda.amp" not in fixed and "from torch.cuda import amp" not in fixed
    assert fixed.startswith("import torch\n\n@torch.amp.autocast(\"cuda\")\n")
    assert fixed.count('with torch.amp.autocast("cuda"):') == 12


def test_old_name_still_used_keeps_its_import():
    code = """
        from torch.cuda.amp import GradScaler

        scaler = GradScaler()
        assert isinstance(scaler, GradScaler)
    """
    fixed = fix(code, SELECT)
    assert "from torch.cuda.amp import GradScaler\n" in fixed and "import torch\n" in fixed
    assert 'scaler = torch.amp.GradScaler("cuda")' in fixed


def test_no_fix_when_torch_means_something_else_or_star_args():
    code = """
        from torch.cuda.amp import autocast

        def f(torch):
            with autocast(*flags):
                pass
    """
    assert fix(code, SELECT) == dedent(code)
    assert tl804(code) == 1


def test_apex_amp_is_reported_not_fixed():
    code = """
        from apex import amp

        model, optimizer = amp.initialize(model, optimizer, opt_level="O1")
        with amp.scale_loss(loss, optimizer) as scaled_loss:
            scaled_loss.backward()
    """
    found = lint(code, SELECT)
    assert [f.line for f in found] == [4, 5]
    assert all("torch.amp.GradScaler" in f.message for f in found)
    assert fix(code, SELECT, unsafe=True) == dedent(code)


def test_apex_import_alone_or_guarded_is_reported_once():
    code = """
        try:
            from apex import amp
        except ImportError:
            amp = None
        if amp is not None:
            model, optimizer = amp.initialize(model, optimizer)
    """
    assert [f.line for f in lint(code, SELECT)] == [3]
    assert tl804("import apex.amp as amp\n") == 1
    assert tl804("from apex.parallel import DistributedDataParallel\nimport apex\n") == 0


def test_import_in_a_block_goes_without_leaving_a_blank_line():
    code = """
        import torch

        def train(fp16):
            if fp16:
                from torch.cuda import amp

                scaler = amp.GradScaler()
            with amp.autocast(fp16):
                pass
    """
    assert fix(code, SELECT) == dedent("""
        import torch

        def train(fp16):
            if fp16:
                scaler = torch.amp.GradScaler("cuda")
            with torch.amp.autocast("cuda", enabled=fp16):
                pass
    """)


def test_custom_fwd_and_bwd_decorators():
    code = """
        import torch
        from torch.cuda.amp import custom_bwd, custom_fwd

        class Op(torch.autograd.Function):
            @staticmethod
            @custom_fwd(cast_inputs=torch.float32)
            def forward(ctx, x):
                return x

            @staticmethod
            @custom_bwd
            def backward(ctx, grad):
                return grad

        wrapped = torch.cuda.amp.custom_fwd(fn)
    """
    found = lint(code, SELECT)
    assert len(found) == 3 and all(len(f.message) <= 160 for f in found)
    assert 'device_type="cuda"' in found[0].message
    assert fix(code, SELECT) == dedent("""
        import torch

        class Op(torch.autograd.Function):
            @staticmethod
            @torch.amp.custom_fwd(cast_inputs=torch.float32, device_type="cuda")
            def forward(ctx, x):
                return x

            @staticmethod
            @torch.amp.custom_bwd(device_type="cuda")
            def backward(ctx, grad):
                return grad

        wrapped = torch.amp.custom_fwd(fn, device_type="cuda")
    """)


def test_custom_fwd_kept_import_when_still_used():
    code = """
        import torch
        from torch.cuda.amp import custom_fwd

        @custom_fwd
        def f(x):
            return x

        decorators = [custom_fwd]
    """
    fixed = fix(code, SELECT)
    assert "from torch.cuda.amp import custom_fwd\n" in fixed and '@torch.amp.custom_fwd(device_type="cuda")' in fixed
