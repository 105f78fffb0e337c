"""TL802 autograd-variable: detection, the fixes and the `Variable` import's removal."""

import pytest

from tests.helpers import codes, dedent, fix, lint
from torchlint import registry

SELECT = ["TL802"]


def tl802(code):
    return codes(code, SELECT).count("TL802")


def test_on_by_default_with_short_messages():
    assert "TL802" in {rule.code for rule in registry.select_rules()}
    code = """
        import torch
        from torch.autograd import Variable

        a = Variable(x)
        b = Variable(x, requires_grad=True)
        c = Variable(x, volatile=True)
    """
    found = lint(code, SELECT)
    assert [f.code for f in found] == ["TL802"] * 3
    assert all(len(f.message) <= 160 for f in found)
    assert "torch.no_grad()" in found[2].message


@pytest.mark.parametrize(
    "imports, spelled",
    [
        ("from torch.autograd import Variable", "Variable"),
        ("from torch.autograd import Variable as V", "V"),
        ("from torch.autograd.variable import Variable", "Variable"),
        ("import torch", "torch.autograd.Variable"),
        ("import torch.autograd as autograd", "autograd.Variable"),
        ("from torch import autograd", "autograd.Variable"),
    ],
)
def test_spellings(imports, spelled):
    assert tl802(f"{imports}\n\ny = {spelled}(x)\n") == 1


def test_negatives():
    code = """
        import torch
        from mylib import Variable  # another library's Variable
        import tensorflow as tf

        a = Variable(x)
        b = tf.Variable(3.0)
        c = torch.tensor(x)
        isinstance(c, torch.Tensor)
    """
    assert tl802(code) == 0


def test_variable_as_a_type_is_not_reported():
    code = """
        from torch.autograd import Variable

        def f(x):
            return isinstance(x, Variable)
    """
    assert tl802(code) == 0


def test_plain_fix_is_safe_for_grad_free_tensors_and_drops_the_import():
    code = """
        import torch
        from torch.autograd import Variable

        a = Variable(torch.zeros(3))
        b = Variable(x.data).cuda()
        c = Variable(torch.from_numpy(arr).float())
    """
    assert fix(code, SELECT) == dedent("""
        import torch

        a = torch.zeros(3)
        b = x.data.cuda()
        c = torch.from_numpy(arr).float()
    """)


def test_plain_fix_of_a_tensor_that_may_require_grad_is_unsafe():
    code = """
        from torch.autograd import Variable, grad

        images = Variable(images.cuda())
        y = Variable(a + b).sum()
    """
    assert fix(code, SELECT) == dedent(code)
    assert fix(code, SELECT, unsafe=True) == dedent("""
        from torch.autograd import grad

        images = images.cuda()
        y = (a + b).sum()
    """)


def test_requires_grad_forms():
    code = """
        import torch
        from torch.autograd import Variable

        z = Variable(torch.randn(4, 100), requires_grad=True)
        w = Variable(images, requires_grad=True)
        v = Variable(images, requires_grad=flag)
        u = Variable(images, requires_grad=False)
    """
    assert fix(code, SELECT) == dedent("""
        import torch
        from torch.autograd import Variable

        z = torch.randn(4, 100).requires_grad_()
        w = images.detach().requires_grad_()
        v = images.detach().requires_grad_(flag)
        u = Variable(images, requires_grad=False)
    """)


def test_requires_grad_false_is_the_plain_form():
    assert fix("from torch.autograd import Variable\nimport torch\nu = Variable(torch.ones(2), requires_grad=False)\n",
               SELECT) == "import torch\nu = torch.ones(2)\n"


def test_import_stays_while_something_still_uses_it():
    code = """
        import torch
        from torch.autograd import Variable

        a = Variable(torch.zeros(3))
        b = Variable(x, volatile=True)  # report only
        ok = isinstance(a, Variable)
    """
    fixed = fix(code, SELECT, unsafe=True)
    assert "from torch.autograd import Variable\n" in fixed
    assert "a = torch.zeros(3)\n" in fixed
    assert tl802(fixed) == 1


def test_safe_fixes_keep_the_import_for_the_unsafe_ones():
    code = """
        import torch
        from torch.autograd import Variable

        a = Variable(torch.zeros(3))
        b = Variable(images)
    """
    safe = fix(code, SELECT)
    assert "from torch.autograd import Variable\n" in safe and "a = torch.zeros(3)\n" in safe
    assert "from torch.autograd" not in fix(safe, SELECT, unsafe=True)


def test_many_calls_and_nested_calls_settle():
    calls = "\n".join(f"v{i} = Variable(torch.zeros({i}))" for i in range(15))
    code = f"import torch\nfrom torch.autograd import Variable\n{calls}\nw = Variable(Variable(torch.ones(1)))\n"
    fixed = fix(code, SELECT)
    assert "Variable" not in fixed
    assert "v14 = torch.zeros(14)\n" in fixed and "w = torch.ones(1)\n" in fixed


def test_import_is_kept_when_it_is_the_only_statement_of_a_block():
    code = """
        import torch
        try:
            from torch.autograd import Variable
        except ImportError:
            pass
        a = Variable(torch.zeros(3))
    """
    assert fix(code, SELECT) == dedent(code).replace("Variable(torch.zeros(3))", "torch.zeros(3)")


def test_volatile_and_unknown_arguments_are_report_only():
    code = """
        from torch.autograd import Variable

        a = Variable(x, volatile=True)
        b = Variable(*args)
        c = Variable()
    """
    assert tl802(code) == 3
    assert fix(code, SELECT, unsafe=True) == dedent(code)


def test_tensor_type_alias_of_a_script_is_a_factory():
    code = """
        import torch
        from torch.autograd import Variable

        cuda = torch.cuda.is_available()
        Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor

        def step(imgs):
            valid = Variable(Tensor(imgs.size(0), 1).fill_(1.0), requires_grad=False)
            z = Variable(Tensor(4, 8).normal_(0, 1))
            real = Variable(imgs.type(Tensor))
            return valid, z, real
    """
    fixed = fix(code, SELECT)
    assert "valid = Tensor(imgs.size(0), 1).fill_(1.0)\n" in fixed
    assert "z = Tensor(4, 8).normal_(0, 1)\n" in fixed
    assert "real = Variable(imgs.type(Tensor))" in fixed  # a batch that may require grad: unsafe only


def test_rebound_alias_is_not_a_factory():
    code = """
        import torch
        from torch.autograd import Variable

        Tensor = torch.FloatTensor
        Tensor = make_tensor_type()
        a = Variable(Tensor(3))
    """
    assert fix(code, SELECT) == dedent(code)


def test_legacy_constructor_of_a_tensor_keeps_its_grad_so_the_fix_is_unsafe():
    code = """
        import numpy as np
        import torch
        from torch.autograd import Variable

        a = Variable(torch.FloatTensor(x))           # aliases x, which may require grad
        b = Variable(torch.as_tensor(x))
        c = Variable(torch.FloatTensor(np.zeros(3)))  # new data
        d = Variable(torch.LongTensor([1, 2]))
        e = Variable(torch.FloatTensor(x.shape[0], 4))
    """
    fixed = fix(code, SELECT)
    assert "a = Variable(torch.FloatTensor(x))" in fixed and "b = Variable(torch.as_tensor(x))" in fixed
    assert "c = torch.FloatTensor(np.zeros(3))  # new data\n" in fixed and "d = torch.LongTensor([1, 2])\n" in fixed
    assert "e = torch.FloatTensor(x.shape[0], 4)\n" in fixed


def test_self_assignment_is_removed_not_left_as_name_equals_name():
    code = """
        import torch
        from torch.autograd import Variable


        def step(images, targets, x, y):
            # wrap the batch
            images = Variable(images)  # legacy
            targets = Variable(targets, requires_grad=False)

            if x:
                x = Variable(x)
            other = Variable(y)
            y, z = Variable(y), 1
            return images, targets, other, x, y, z
    """
    assert fix(code, SELECT, unsafe=True) == dedent("""
        import torch


        def step(images, targets, x, y):
            # wrap the batch
            # legacy

            if x:
                pass
            other = y
            y, z = y, 1
            return images, targets, other, x, y, z
    """)


def test_removed_import_keeps_the_blank_lines_between_import_groups():
    code = """
        import random
        import time

        from torch.autograd import Variable
        import torch

        from torchvision.utils import save_image

        a = Variable(torch.zeros(3))
    """
    assert fix(code, SELECT) == dedent("""
        import random
        import time

        import torch

        from torchvision.utils import save_image

        a = torch.zeros(3)
    """)
    grouped = """
        import time

        import torch
        from torch.autograd import Variable

        a = Variable(torch.zeros(3))
    """
    assert fix(grouped, SELECT) == dedent("""
        import time

        import torch

        a = torch.zeros(3)
    """)
