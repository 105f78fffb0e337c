"""Module summaries and Python's `ast`: what the cheap tier computes equals what the libcst parse says,
each module is parsed once per parser, and "does this class give its instances state" has one definition
(analysis.modules.gives_state) for the same-file and the cross-file paths."""

from __future__ import annotations

import ast
import os
import textwrap

import libcst as cst
import pytest

from torchlint.analysis import summaries as S
from torchlint.analysis.modules import module_classes, project_class_builds_state
from torchlint.analysis.project import Project, _parse, summarise_text
from torchlint.context import FileContext

PROJECTS = os.path.join(os.path.dirname(__file__), "projects")


def _modules():
    found = []
    for folder, dirs, names in os.walk(PROJECTS):
        dirs.sort()
        found += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".py")]
    return found


MODULES = _modules()


def _ctx(text: str, path: str = "m.py") -> FileContext:
    return FileContext(path, text, cst.parse_module(text))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: os.path.relpath(p, PROJECTS))
def test_ast_names_equal_libcst_names(path):
    """The bindings table from Python's parser is the summary's own (libcst) table, module by module."""
    ctx = _parse(path)
    if ctx is None:  # an unparsable module: both tiers give up
        with open(path, encoding="utf-8") as handle:
            assert S.names_table_of_source(handle.read()) is None or "unparsable" in path
        return
    assert S.names_table_of_source(ctx.source) == S.names_table(ctx)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: os.path.relpath(p, PROJECTS))
def test_summary_from_a_kept_tree_is_the_same(path):
    """A summary whose statement lines come from the names' `ast` tree equals one computed from scratch."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    tree = S.python_tree(text)
    fresh = summarise_text(path, text)
    if tree is None or fresh is None:
        return
    kept = _parse(path, (text, tree))
    assert kept.python_tree is tree
    assert S.summarise(kept) == fresh


def test_a_changed_file_does_not_reuse_the_old_tree(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    return 1\n")
    stale = ("x = 1\n", ast.parse("x = 1\n"))
    assert getattr(_parse(str(module), stale), "python_tree", None) is None


def test_names_then_summary_parse_the_module_once_with_ast(tmp_path, monkeypatch):
    (tmp_path / "setup.cfg").write_text("")
    (tmp_path / "models.py").write_text(textwrap.dedent("""
        import torch.nn as nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.drop = nn.Dropout(0.5)
    """))
    (tmp_path / "train.py").write_text("from models import Net\nnet = Net()\n")
    parsed = []
    real = ast.parse

    def counting(source, *args, **kwargs):
        if "class Net" in str(source):
            parsed.append(1)
        return real(source, *args, **kwargs)

    monkeypatch.setattr(ast, "parse", counting)
    project = Project([str(tmp_path)])
    symbol = project.resolve(str(tmp_path / "train.py"), "Net")  # bindings only: Python's parser
    assert symbol is not None and symbol.kind == "class" and not project._summaries
    facts = project.class_facts(symbol)  # the full summary: libcst, lines from the kept tree
    assert facts["mode_dependent"] is True and facts["line"] == 4
    assert len(parsed) == 1


STATE_CASES = [
    ("self.fc = nn.Linear(2, 2)", True),
    ("self.register_buffer('mask', torch.ones(2))", True),  # a buffer: state, as TL101 sees it in one file
    ("self.norm = nn.BatchNorm2d(4, affine=False)", True),  # no weights, but running statistics
    ("self.norm = nn.BatchNorm2d(4, affine=False, track_running_stats=False)", False),
    ("self.act = nn.ReLU()", False),
    ("self.scale = nn.Parameter(torch.ones(1))", True),
    ("self.drop = nn.Dropout(0.1)", True),  # train/eval behaviour
]


@pytest.mark.parametrize("line, expected", STATE_CASES)
def test_owns_parameters_is_the_same_file_notion(line, expected):
    text = textwrap.dedent(f"""
        import torch
        import torch.nn as nn

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                {line}

            def forward(self, x):
                return x
    """)
    ctx = _ctx(text)
    (class_def,) = module_classes(ctx)
    assert project_class_builds_state(ctx, class_def) is expected
    assert S.summarise(_ctx(text))["classes"]["Block"]["owns_parameters"] is expected


KWARGS_CASES = [
    ("dd = {'device': device, 'dtype': dtype}", "nn.BatchNorm2d(4, eps=1e-3, **dd)", True),  # timm's habit
    ("dd = {'device': device, 'dtype': dtype}", "nn.LayerNorm(4, **dd)", True),
    ("dd = dict(device=device)", "nn.BatchNorm2d(4, **dd)", None),  # not a dict literal: unknown
    ("dd = {'device': device}; dd['affine'] = False", "nn.BatchNorm2d(4, **dd)", None),  # changed later
]


@pytest.mark.parametrize("assign, build, expected", KWARGS_CASES)
def test_kwargs_of_a_dict_literal_are_read(assign, build, expected):
    """`**dd` hides the layer's flags unless it is a dict literal of string keys, untouched after."""
    from torchlint.analysis.modules import torch_module_state

    text = f"import torch.nn as nn\n\ndef make(device, dtype):\n    {assign}\n    return {build}\n"
    ctx = _ctx(text)
    call = next(c for c in ctx.nodes(cst.Call) if "Norm" in ctx.code(c.func))
    state = torch_module_state(ctx, call)
    assert (None if state is None else bool(state.kinds)) is expected


def test_a_layer_built_only_in_forward_gives_no_state():
    """Only what `__init__` (and the methods it calls) builds is the class's state, in both paths."""
    text = textwrap.dedent("""
        import torch.nn as nn

        class Head(nn.Module):
            def __init__(self):
                super().__init__()

            def forward(self, x):
                return nn.Linear(2, 2)(x)
    """)
    ctx = _ctx(text)
    (class_def,) = module_classes(ctx)
    assert project_class_builds_state(ctx, class_def) is False
    assert S.summarise(_ctx(text))["classes"]["Head"]["owns_parameters"] is False


def test_summary_version():
    assert S.SUMMARY_VERSION == 4
    assert S.valid(summarise_text("m.py", "x = 1\n"))
