"""TL101 layer-in-forward: the (unsafe) fix."""

from tests.helpers import dedent, fix, lint

SELECT = ["TL101"]


def fixed(code):
    return fix(code, SELECT, unsafe=True)


def test_bound_local_moves_to_end_of_init_with_comments():
    code = """
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self, hidden):
                super().__init__()
                self.hidden = hidden

            def forward(self, x):
                # project to the classes
                proj = nn.Linear(self.hidden, 10)  # the head
                y = proj(x)
                return proj(y) if y is not None else y
    """
    assert fixed(code) == dedent("""
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self, hidden):
                super().__init__()
                self.hidden = hidden
                # project to the classes
                self.proj = nn.Linear(self.hidden, 10)  # the head

            def forward(self, x):
                y = self.proj(x)
                return self.proj(y) if y is not None else y
    """)


def test_inline_constructions_get_derived_unique_names():
    code = """
        from torch import nn


        class Net(nn.Module):
            def __init__(self, dim, p=0.1):
                super().__init__()
                self.linear = nn.Identity()

            def forward(self, x):
                x = nn.Linear(dim_in := 4, 4)(x) if False else x
                x = nn.BatchNorm1d(4)(nn.Linear(4, 4)(x))
                return nn.Dropout(p=0.5)(x)
    """
    assert fixed(code) == dedent("""
        from torch import nn


        class Net(nn.Module):
            def __init__(self, dim, p=0.1):
                super().__init__()
                self.linear = nn.Identity()
                self.batchnorm1d = nn.BatchNorm1d(4)
                self.linear_2 = nn.Linear(4, 4)
                self.dropout = nn.Dropout(p=0.5)

            def forward(self, x):
                x = nn.Linear(dim_in := 4, 4)(x) if False else x
                x = self.batchnorm1d(self.linear_2(x))
                return self.dropout(x)
    """)


def test_init_parameters_module_constants_and_aliases_are_available():
    code = """
        import torch.nn as tnn
        from torch.nn import Conv2d as C

        WIDTH = 8


        class Net(tnn.Module):
            def __init__(self, channels, kernel=3):
                super().__init__()

            def forward(self, x):
                return C(channels, WIDTH * 2, kernel, padding=kernel // 2)(x)
    """
    assert fixed(code) == dedent("""
        import torch.nn as tnn
        from torch.nn import Conv2d as C

        WIDTH = 8


        class Net(tnn.Module):
            def __init__(self, channels, kernel=3):
                super().__init__()
                self.c = C(channels, WIDTH * 2, kernel, padding=kernel // 2)

            def forward(self, x):
                return self.c(x)
    """)


def _has_fix(code):
    return [f.fix is not None for f in lint(code, SELECT)]


def test_no_fix_when_an_argument_comes_from_forward():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.dim = dim

            def forward(self, x, dim):
                a = nn.Linear(x.shape[1], 4)(x)
                b = nn.Linear(dim, 4)(x)  # forward's `dim`, not __init__'s
                return a + b
    """
    assert _has_fix(code) == [False, False]


def test_no_fix_when_init_rebinds_the_parameter_or_attribute_is_set_elsewhere():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, dim):
                super().__init__()
                dim = dim * 2
                if dim:
                    self.width = dim
                self.out = 4

            def forward(self, x):
                self.out = 5
                return nn.Linear(dim, 4)(x) + nn.Linear(self.width, 4)(x) + nn.Linear(4, self.out)(x)
    """
    assert _has_fix(code) == [False, False, False]


def test_no_fix_in_loops_branches_closures_or_without_init():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, x):
                for _ in range(2):
                    x = nn.Linear(4, 4)(x)
                if x.sum() > 0:
                    x = nn.Linear(4, 4)(x)
                f = lambda y: nn.Linear(4, 4)(y)
                return [nn.Linear(4, 4)(x) for _ in range(2)], f(x)

        class NoInit(nn.Module):
            def forward(self, x):
                return nn.Linear(4, 4)(x)
    """
    assert _has_fix(code) == [False] * 5


def test_no_fix_when_init_may_return_early():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self, skip):
                super().__init__()
                if skip:
                    return
                self.a = 1

            def forward(self, x):
                return nn.Linear(4, 4)(x)
    """
    assert _has_fix(code) == [False]


def test_reserved_module_attribute_names_are_not_reused():
    code = """
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, x):
                training = nn.Linear(4, 4)
                return training(x)
    """
    assert fixed(code) == dedent("""
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.training_2 = nn.Linear(4, 4)

            def forward(self, x):
                return self.training_2(x)
    """)


def test_fix_needs_unsafe_flag():
    code = """
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, x):
                return nn.Linear(4, 4)(x)
    """
    assert fix(code, SELECT, unsafe=False) == dedent(code)


def test_no_fix_when_init_never_initialises_the_module():
    code = """
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                self.width = 4

            def forward(self, x):
                return nn.Linear(4, 4)(x)
    """
    assert _has_fix(code) == [False]


def test_multiline_construction_keeps_its_comments_and_old_style_super():
    code = """
        import torch
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self, channels):
                super(Net, self).__init__()
                self.channels = channels

            def forward(self, x):
                with torch.no_grad():
                    pass
                conv = nn.Conv2d(
                    self.channels,  # in
                    8,  # out
                    kernel_size=3,
                )
                return conv(x)
    """
    assert fixed(code) == dedent("""
        import torch
        import torch.nn as nn


        class Net(nn.Module):
            def __init__(self, channels):
                super(Net, self).__init__()
                self.channels = channels
                self.conv = nn.Conv2d(
                    self.channels,  # in
                    8,  # out
                    kernel_size=3,
                )

            def forward(self, x):
                with torch.no_grad():
                    pass
                return self.conv(x)
    """)


def test_project_module_construction_is_moved():
    code = """
        import torch.nn as nn


        class Block(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.fc = nn.Linear(dim, dim)

            def forward(self, x):
                return self.fc(x)


        class Net(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.dim = dim

            def forward(self, x):
                return Block(self.dim)(x)
    """
    assert fixed(code).endswith(dedent("""
        class Net(nn.Module):
            def __init__(self, dim):
                super().__init__()
                self.dim = dim
                self.block = Block(self.dim)

            def forward(self, x):
                return self.block(x)
    """))
