"""TL203 fixes: `.float()` after `torch.from_numpy`, `dtype=<torch>.float32` for `tensor`/`as_tensor`."""

from tests.helpers import codes, dedent, fix, lint

SELECT = ["TL203"]


def test_from_numpy_gets_float_and_comments_stay():
    code = """
        import numpy as np
        import torch
        import torch.nn as nn
        x = np.random.rand(64, 10)  # features
        model = nn.Linear(10, 1)
        # predict
        out = model(torch.from_numpy(x))  # (64, 1)
    """
    assert fix(code, SELECT) == dedent("""
        import numpy as np
        import torch
        import torch.nn as nn
        x = np.random.rand(64, 10)  # features
        model = nn.Linear(10, 1)
        # predict
        out = model(torch.from_numpy(x).float())  # (64, 1)
    """)


def test_from_numpy_in_a_chain_and_through_a_name():
    code = """
        import numpy as np
        import torch
        import torch.nn as nn
        def run(device):
            model = nn.Linear(1, 1).to(device)
            grid = np.linspace(0, 1, 10)
            t = torch.from_numpy(grid).to(device)
            return model(t.unsqueeze(1))
    """
    assert fix(code, SELECT) == dedent("""
        import numpy as np
        import torch
        import torch.nn as nn
        def run(device):
            model = nn.Linear(1, 1).to(device)
            grid = np.linspace(0, 1, 10)
            t = torch.from_numpy(grid).float().to(device)
            return model(t.unsqueeze(1))
    """)


def test_tensor_and_as_tensor_get_dtype_in_the_files_spelling():
    code = """
        import numpy as np
        import torch as th
        layer = th.nn.Linear(3, 1)
        x = np.zeros((5, 3))
        layer(th.tensor(x))
        layer(th.as_tensor(x, device="cpu"))
    """
    assert fix(code, SELECT) == dedent("""
        import numpy as np
        import torch as th
        layer = th.nn.Linear(3, 1)
        x = np.zeros((5, 3))
        layer(th.tensor(x, dtype=th.float32))
        layer(th.as_tensor(x, device="cpu", dtype=th.float32))
    """)


def test_imported_function_uses_the_module_import():
    code = """
        import numpy as np
        import torch
        from torch import tensor
        from torch.nn import Linear
        layer = Linear(3, 1)
        layer(tensor(np.ones((2, 3))))
    """
    assert fix(code, SELECT) == dedent("""
        import numpy as np
        import torch
        from torch import tensor
        from torch.nn import Linear
        layer = Linear(3, 1)
        layer(tensor(np.ones((2, 3)), dtype=torch.float32))
    """)


def test_no_fix_without_a_torch_name():
    code = """
        import numpy as np
        from torch import as_tensor
        from torch.nn import Linear
        layer = Linear(3, 1)
        layer(as_tensor(np.ones((2, 3))))
    """
    (finding,) = lint(code, SELECT)
    assert finding.fix is None
    assert fix(code, SELECT) == dedent(code)


def test_trailing_comma_stays_last():
    code = """
        import numpy as np
        import torch
        import torch.nn as nn
        class Points(torch.utils.data.Dataset):
            def __init__(self):
                self.x = np.random.randn(10, 2)
            def __getitem__(self, i):
                return torch.tensor(
                    self.x[i],  # one point
                )
    """
    assert fix(code, SELECT) == dedent("""
        import numpy as np
        import torch
        import torch.nn as nn
        class Points(torch.utils.data.Dataset):
            def __init__(self):
                self.x = np.random.randn(10, 2)
            def __getitem__(self, i):
                return torch.tensor(
                    self.x[i], dtype=torch.float32,  # one point
                )
    """)


def test_fixed_code_is_clean():
    code = """
        import numpy as np
        import torch
        import torch.nn as nn
        model = nn.Linear(3, 1)
        x = np.random.rand(4, 3)
        model(torch.from_numpy(x)); model(torch.tensor(x)); model(torch.as_tensor(x[:2]))
    """
    fixed = fix(code, SELECT)
    assert codes(fixed, SELECT) == []
    assert fixed.count("float32") == 2 and fixed.count(".float()") == 1
