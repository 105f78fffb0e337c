"""TL601's question is narrower than TL602's: is the model's training-mode forward wrong for inference?

- Instance norm (any `track_running_stats`) normalises each sample by its own statistics in training
  mode, exactly as in training; only its eval-mode forward differs (TL602 keeps caring about that).
- An attribute holding a plain object (not an `nn.Module`) is no submodule: `.eval()` on the holder
  never reaches it, so its layers do not make the holder mode-dependent (same file and across files).
Projects: tests/projects/tl601_instance_norm, tests/projects/tl601_plain_holder (written for these tests).
"""

import json
import os
import shutil

import libcst as cst
import pytest

from tests.helpers import codes, dedent, lint
from torchlint.analysis.modes import model_status
from torchlint.analysis.modules import DEPENDENT, INDEPENDENT
from torchlint.cli import main
from torchlint.context import FileContext

PROJECTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "projects")

HEADER = """
import torch
import torch.nn as nn
"""

USE = """
model = Net()
model.load_state_dict(torch.load("net.pt"))
with torch.no_grad():
    out = model(torch.randn(1, 3, 8, 8))
"""


def net(*layers: str) -> str:
    built = "\n".join(f"        self.l{i} = {layer}" for i, layer in enumerate(layers))
    return HEADER + f"""

class Net(nn.Module):
    def __init__(self):
        super().__init__()
{built}

    def forward(self, x):
        return x
"""


INSTANCE_NORM = "nn.InstanceNorm2d(8, affine=True, track_running_stats=True)"

SILENT = {
    "instance-norm-running-stats": net("nn.Conv2d(3, 8, 3)", INSTANCE_NORM),
    "instance-norm-plain": net("nn.Conv2d(3, 8, 3)", "nn.InstanceNorm2d(8)"),
    "instance-norm-3d-lazy": net("nn.InstanceNorm3d(8, track_running_stats=True)",
                                 "nn.LazyInstanceNorm1d(track_running_stats=True)"),
    "instance-norm-in-a-block": HEADER + """

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.InstanceNorm2d(8, track_running_stats=True)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(Block(), nn.ReLU())
""",
    "plain-object-with-dropout": HEADER + """

class Backend:
    def setup(self):
        self.net = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
        self.net.eval()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backend = Backend()
        self.fc = nn.Linear(4, 4)
""",
    "plain-object-through-a-plain-base": HEADER + """

class Base(object):
    pass


class Backend(Base):
    def __init__(self):
        self.drop = nn.Dropout(0.5)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backend = Backend()
""",
}  # fmt: skip

REPORTED = {
    "batch-norm": net("nn.Conv2d(3, 8, 3)", "nn.BatchNorm2d(8)"),
    "dropout": net("nn.Linear(4, 4)", "nn.Dropout(0.1)"),
    "instance-norm-and-dropout": net(INSTANCE_NORM, "nn.Dropout(0.1)"),
    "instance-norm-and-batch-norm": net("nn.InstanceNorm2d(8)", "nn.BatchNorm2d(8)"),
    "module-holding-a-module-with-dropout": HEADER + """

class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = Head()
""",
}


@pytest.mark.parametrize("name", sorted(SILENT))
def test_not_reported(name):
    assert codes(dedent(SILENT[name] + USE), ["TL601"]) == []


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_reported(name):
    assert codes(dedent(REPORTED[name] + USE), ["TL601"]) == ["TL601"]


def _status(source: str, inference: bool) -> str:
    source = dedent(source + USE)
    ctx = FileContext("example.py", source, cst.parse_module(source))
    call = next(c for c in ctx.nodes(cst.Call) if isinstance(c.func, cst.Name) and c.func.value == "model")
    return model_status(ctx, call.func, inference=inference).verdict


def test_instance_norm_with_running_stats_still_behaves_differently_in_eval():
    source = SILENT["instance-norm-running-stats"]
    assert _status(source, inference=False) == DEPENDENT  # TL602's question: eval mode uses running stats
    assert _status(source, inference=True) == INDEPENDENT  # TL601's: the training-mode forward is right
    assert _status(SILENT["instance-norm-plain"], inference=False) == INDEPENDENT


def test_plain_object_is_no_submodule_for_either_question():
    for inference in (False, True):
        assert _status(SILENT["plain-object-with-dropout"], inference) == INDEPENDENT


TL602_LEFT_IN_EVAL = """
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
model.train()
for epoch in range(10):
    for x, y in loader:
        loss = (model(x) - y).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        print(model(x).sum())
"""


def test_tl602_still_reports_instance_norm_with_running_stats_left_in_eval():
    assert codes(dedent(SILENT["instance-norm-running-stats"] + TL602_LEFT_IN_EVAL), ["TL602"]) == ["TL602"]


# -- across files ------------------------------------------------------------------------------
def run_project(tmp_path, monkeypatch, capsys, name):
    root = tmp_path / name
    shutil.copytree(os.path.join(PROJECTS, name), root)
    monkeypatch.chdir(root)
    main(["--no-cache", "--select", "TL601,TL602", "--format", "json", "."])
    findings = json.loads(capsys.readouterr().out)
    return {(f["path"].replace(os.sep, "/"), f["code"]): f["message"] for f in findings}


def test_imported_instance_norm_generator(tmp_path, monkeypatch, capsys):
    findings = run_project(tmp_path, monkeypatch, capsys, "tl601_instance_norm")
    assert set(findings) == {("sample_batch_norm.py", "TL601"), ("train_left_in_eval.py", "TL602")}
    assert "`BatchTranslator` (networks.py:32) builds `nn.BatchNorm2d`" in findings[("sample_batch_norm.py", "TL601")]


def test_imported_holder_of_a_plain_object(tmp_path, monkeypatch, capsys):
    findings = run_project(tmp_path, monkeypatch, capsys, "tl601_plain_holder")
    # Distance holds a plain Backend (its own eval()), Opaque a library object we cannot see: silent.
    assert set(findings) == {("run_wrapped.py", "TL601")}
    assert "`Head` (backend.py:21) builds `nn.Dropout`" in findings[("run_wrapped.py", "TL601")]


def test_project_is_module_is_three_valued(tmp_path):
    from torchlint.analysis.project import Project

    root = tmp_path / "p"
    shutil.copytree(os.path.join(PROJECTS, "tl601_plain_holder"), root)
    project = Project([str(root)])
    path = str(root / "scorers.py")
    assert project.is_module(project.resolve(path, "backend.Backend")) is False
    assert project.is_module(project.resolve(path, "backend.Head")) is True
    assert project.is_module(project.resolve(path, "Opaque")) is True
    facts = project.class_facts(project.resolve(path, "Distance"))
    assert facts["mode_dependent"] is False
    assert project.class_facts(project.resolve(path, "Opaque"))["mode_dependent"] is None
    # A class with a base we cannot see may or may not be a module: unknown, never "dependent".
    assert project.is_module(project.resolve(path, "backend.Mystery")) is None
    assert project.class_facts(project.resolve(path, "Unsure"))["mode_dependent"] is None
    assert project.class_facts(project.resolve(path, "Wrapped"), inference=True)["mode_dependent"] is True


def test_a_chain_too_long_for_the_message_names_its_last_link():
    source = HEADER + """

class InnermostBlockWithAVeryLongName(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)


class MiddleLayerWithAnotherVeryLongName(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = InnermostBlockWithAVeryLongName()


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.middle = MiddleLayerWithAnotherVeryLongName()
"""
    (finding,) = lint(dedent(source + USE), ["TL601"])
    assert "(via `InnermostBlockWithAVeryLongName`, which builds `nn.Dropout`)" in finding.message
    assert len(finding.message) <= 160
