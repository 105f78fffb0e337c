"""The project model: roots, import resolution as Python runs it, summaries, cross-file facts."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from torchlint.analysis.project import Project, find_root, summarise_text
from torchlint.analysis.summaries import SUMMARY_VERSION, valid
from torchlint.cli import main

PROJECTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "projects")


@pytest.fixture
def copy_project(tmp_path):
    """A fresh copy of tests/projects/<name> (so caches and edits stay in tmp)."""

    def make(name):
        target = tmp_path / name
        shutil.copytree(os.path.join(PROJECTS, name), target)
        return target

    return make


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


# -- roots -----------------------------------------------------------------------------------
def test_root_is_the_nearest_marker_directory(tmp_path):
    write(tmp_path, {"repo/pyproject.toml": "", "repo/src/pkg/__init__.py": "", "repo/src/pkg/m.py": ""})
    assert find_root(str(tmp_path / "repo/src/pkg/m.py")) == str(tmp_path / "repo")


def test_root_without_markers_is_the_top_of_the_package_chain(tmp_path):
    # no marker anywhere above a fresh tmp dir is not guaranteed; build a chain under a marker-less dir
    write(tmp_path, {"a/pkg/__init__.py": "", "a/pkg/sub/__init__.py": "", "a/pkg/sub/m.py": ""})
    root = find_root(str(tmp_path / "a/pkg/sub/m.py"))
    assert root in (str(tmp_path / "a"),) or not root.startswith(str(tmp_path))  # a marker above tmp wins


# -- resolution --------------------------------------------------------------------------------
def test_relative_absolute_and_reexported_imports(tmp_path):
    write(tmp_path, {
        "setup.py": "",
        "pkg/__init__.py": "from .models import Net\nfrom . import losses\n",
        "pkg/models/__init__.py": "from .net import *\n",
        "pkg/models/net.py": "__all__ = ['Net']\nclass Net:\n    pass\nclass Hidden:\n    pass\n",
        "pkg/losses.py": "def focal():\n    pass\n",
        "train.py": "import pkg.models as m\nfrom pkg import Net, losses\nfrom pkg.models import Hidden\n",
    })  # fmt: skip
    project = Project([str(tmp_path)])
    train = str(tmp_path / "train.py")
    assert project.resolve(train, "Net").qualified == "pkg.models.net.Net"
    assert project.resolve(train, "m.Net").qualified == "pkg.models.net.Net"
    assert project.resolve(train, "losses.focal").qualified == "pkg.losses.focal"
    assert project.resolve(train, "Hidden") is None  # not in the star module's __all__


def test_a_script_sees_its_own_folder_first(copy_project):
    root = copy_project("script_dir")
    project = Project([str(root)])
    symbol = project.resolve(str(root / "tools" / "train.py"), "make_sampler")
    assert symbol.path == str(root / "tools" / "loader_utils.py")


def test_third_party_missing_cyclic_and_unparsable_modules_are_unknown(copy_project):
    unknown = copy_project("callee_unknown")
    project = Project([str(unknown)])
    assert project.resolve(str(unknown / "train.py"), "train_one_epoch") is None  # timm: not followed
    assert project.resolve(str(unknown / "train.py"), "run_epoch") is None  # helpers/ does not exist
    cycle = copy_project("cycle")
    assert Project([str(cycle)]).resolve(str(cycle / "train.py"), "make_loader") is None
    broken = copy_project("unparsable")
    project = Project([str(broken)])
    assert project.summary(str(broken / "data.py")) is None
    assert project.resolve(str(broken / "train.py"), "build_loader") is None


def test_a_name_bound_twice_is_unknown(tmp_path):
    write(tmp_path, {
        "setup.py": "",
        "helpers.py": "def f():\n    pass\n",
        "other.py": "def f():\n    pass\n",
        "train.py": "try:\n    from helpers import f\nexcept ImportError:\n    from other import f\n",
    })  # fmt: skip
    assert Project([str(tmp_path)]).resolve(str(tmp_path / "train.py"), "f") is None


# -- summaries ---------------------------------------------------------------------------------
def test_summaries_are_versioned_plain_json(copy_project):
    root = copy_project("callee_sets_epoch")
    summary = summarise_text("train_utils.py", (root / "utils" / "train_utils.py").read_text())
    assert summary["v"] == SUMMARY_VERSION and valid(summary)
    assert json.loads(json.dumps(summary)) == summary
    facts = summary["functions"]["train_one_epoch"]
    assert facts["sets_epoch"] and facts["training_step"]
    assert "sampler.set_epoch" in facts["methods"]["loader"] and "train" in facts["methods"]["model"]
    assert facts["iterated"]["loader"] == [""]
    assert not valid({**summary, "v": SUMMARY_VERSION + 1}) and not valid(["foreign"])


def test_function_returns_a_loader_over_a_shuffling_sampler(copy_project):
    root = copy_project("sampler_elsewhere")
    project = Project([str(root)])
    facts = project.function_facts(project.resolve(str(root / "train.py"), "build_loader"))
    (returned,) = facts["returns"]
    loader, sampler = returned["items"]
    assert loader["k"] == "loader" and loader["only"] and sampler == {"k": "sampler", "line": 6}
    assert project.function_facts("data.build_loader") == facts  # by qualified name too


def test_class_facts_across_files(tmp_path):
    write(tmp_path, {
        "setup.py": "",
        "blocks.py": "import torch.nn as nn\nclass Block(nn.Module):\n    def __init__(self):\n"
                     "        super().__init__()\n"
                     "        self.body = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1))\n",
        "models.py": "from torch import nn\nfrom blocks import Block\nclass Net(nn.Module):\n"
                     "    def __init__(self):\n        super().__init__()\n"
                     "        self.layers = nn.ModuleList([Block()])\n"
                     "class Plain(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                     "        self.fc = nn.Linear(2, 2)\n"
                     "class Child(Net):\n    pass\n"
                     "import timm\nclass Wrapped(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                     "        self.m = timm.create_model('resnet18')\n",
        "train.py": "from models import Net, Plain, Child, Wrapped\n",
    })  # fmt: skip
    project = Project([str(tmp_path)])
    train = str(tmp_path / "train.py")
    net = project.class_facts(project.resolve(train, "Net"))
    assert net["mode_dependent"] is True and "nn.Dropout" in net["evidence"] and "blocks.py" in net["evidence"]
    assert net["owns_parameters"] and net["resolved_bases"] == ["torch.nn.Module"]
    assert project.class_facts(project.resolve(train, "Plain"))["mode_dependent"] is False
    assert project.class_facts(project.resolve(train, "Child"))["mode_dependent"] is True  # through its base
    assert project.class_facts(project.resolve(train, "Wrapped"))["mode_dependent"] is None  # timm: unknown


def test_module_facts(tmp_path):
    write(tmp_path, {"setup.py": "", "launch.py": (
        "import os\nimport torch.distributed as dist\nimport torch.multiprocessing as mp\n"
        "def worker(rank):\n    dist.init_process_group('nccl')\n"
        "local_rank = int(os.environ['LOCAL_RANK'])\nmp.spawn(worker, nprocs=2)\n")})  # fmt: skip
    facts = Project([str(tmp_path)]).module_facts(str(tmp_path / "launch.py"))
    assert facts["process_group"] and facts["spawn_targets"] == ["worker"] and facts["env_reads"] == ["LOCAL_RANK"]


def test_lone_text_has_no_project():
    from tests.helpers import lint

    code = "from data import build_loader\nloader, s = build_loader(1, 2)\nfor epoch in range(3):\n" \
           "    for b in loader:\n        pass\n"  # fmt: skip
    assert lint(code, ["TL201"]) == []


# -- through the CLI ---------------------------------------------------------------------------
def test_a_neighbour_not_on_the_command_line_is_read_never_reported(copy_project, capsys, monkeypatch):
    root = copy_project("sampler_elsewhere")
    (root / "data.py").write_text((root / "data.py").read_text() + "\nimport torch\nx = torch.zeros(2, 3, 4)\n"
                                  "y = x.permute(0, 2, 1).view(-1)\n")  # fmt: skip
    monkeypatch.chdir(root)
    assert main(["--no-cache", "--format", "json", "train.py"]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert {f["path"] for f in findings} == {"train.py"}
    (finding,) = [f for f in findings if f["code"] == "TL201"]
    assert "built in data.py:6" in finding["message"] and len(finding["message"]) <= 160
    assert finding["related"] == [{"path": "data.py", "line": 6, "message": "the sampler is built here"}]


def test_cli_and_flake8_agree_on_a_multi_file_project(copy_project):
    root = copy_project("callee_never_sets_epoch")
    cli = subprocess.run([sys.executable, "-m", "torchlint", "--no-cache", "--select", "TL201", "."],
                         cwd=root, capture_output=True, text=True)  # fmt: skip
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "TL201", "."],
                            cwd=root, capture_output=True, text=True)  # fmt: skip
    cli_lines = sorted(line.replace(" [*]", "") for line in cli.stdout.splitlines() if ": TL201 " in line)
    flake8_lines = sorted(line.removeprefix("./") for line in flake8.stdout.splitlines())
    assert cli_lines and cli_lines == flake8_lines, (cli.stdout, flake8.stdout, flake8.stderr)


def test_mode_status_of_an_imported_and_a_same_file_class(tmp_path):
    import libcst as cst

    from torchlint.context import FileContext
    from torchlint.engine import parse

    write(tmp_path, {"setup.py": "", "models.py": (
        "import torch.nn as nn\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.d = nn.Dropout()\nclass Head(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.fc = nn.Linear(2, 2)\n")})  # fmt: skip
    source = "from models import Net, Head\nimport torch\nnet = Net()\nhead = Head()\nbn = torch.nn.BatchNorm2d(3)\n"
    ctx = FileContext(str(tmp_path / "train.py"), source, parse(source))
    Project([str(tmp_path)]).attach(ctx)
    statuses = {ctx.code(c): ctx.project.mode_status(ctx, c) for c in ctx.nodes(cst.Call)}
    assert statuses["Net()"] == (True, "`Net` (models.py:2) builds `nn.Dropout`")
    assert statuses["Head()"] == (False, "")
    assert statuses["torch.nn.BatchNorm2d(3)"] == (None, "")  # torch layers stay with the generated tables


def test_what_a_function_returns_an_instance_of(tmp_path):
    write(tmp_path, {"setup.py": "", "models.py": "class Net:\n    pass\n\ndef build():\n    return Net()\n",
                     "factory.py": "from models import Net\n\ndef make():\n    return Net()\n",
                     "train.py": "from models import build\nfrom factory import make\n"})  # fmt: skip
    project = Project([str(tmp_path)])
    import libcst as cst

    from torchlint.context import FileContext
    from torchlint.engine import parse

    source = (tmp_path / "train.py").read_text() + "a = build()\nb = make()\n"
    ctx = FileContext(str(tmp_path / "train.py"), source, parse(source))
    project.attach(ctx)
    calls = {ctx.code(c): c for c in ctx.nodes(cst.Call)}
    (built,), _ = project.remote_values(ctx, calls["build()"])
    (made,), _ = project.remote_values(ctx, calls["make()"])
    assert built.value["cls"] == made.value["cls"] == "models.Net"


def test_a_call_of_another_file_we_cannot_describe_stays_an_opaque_value(tmp_path, capsys, monkeypatch):
    # TL202 treats an unknown sampler value as provided: seeing the factory must not hide it
    write(tmp_path, {"setup.py": "",
                     "samp.py": "from torch.utils.data import RandomSampler\ndef get_sampler(ds):\n"
                                "    return RandomSampler(ds)\n",
                     "train.py": "from torch.utils.data import DataLoader\nfrom samp import get_sampler\n"
                                 "loader = DataLoader(ds, shuffle=True, sampler=get_sampler(ds))\n"})  # fmt: skip
    monkeypatch.chdir(tmp_path)
    main(["--no-cache", "--select", "TL202", "--format", "json", "train.py"])
    assert [f["code"] for f in json.loads(capsys.readouterr().out)] == ["TL202"]


# -- fixes see the project (issue 10: --fix/--diff find what a check run finds) ----------------
def _cli(root, *args):
    return subprocess.run([sys.executable, "-m", "torchlint", "--no-cache", "--select", "TL201", *args, "."],
                          cwd=root, capture_output=True, text=True)  # fmt: skip


def test_fix_applies_a_cross_file_finding_once(copy_project):
    root = copy_project("fix_cross_file")
    others = {p: (root / p).read_text() for p in ("data.py", "utils/train_utils.py")}
    check = _cli(root)
    assert "train.py:7:5: TL201 [*]" in check.stdout and "built in data.py:6" in check.stdout
    diff = _cli(root, "--diff")
    assert "+        loader.sampler.set_epoch(epoch)" in diff.stdout
    assert (root / "train.py").read_text().count("set_epoch") == 0  # --diff writes nothing
    first = _cli(root, "--fix")
    fixed = (root / "train.py").read_text()
    assert first.returncode == 0 and "loader.sampler.set_epoch(epoch)\n        train_one_epoch(" in fixed
    assert {p: (root / p).read_text() for p in others} == others  # a fix stays within its file
    second = _cli(root, "--fix")
    assert (root / "train.py").read_text() == fixed and second.returncode == 0
    assert "TL201" not in _cli(root).stdout


@pytest.mark.parametrize("name", ["callee_sets_epoch", "callee_unknown"])
def test_fix_leaves_a_project_without_the_finding_alone(copy_project, name):
    root = copy_project(name)
    before = {p: p.read_text() for p in root.rglob("*.py")}
    assert "TL201" not in _cli(root).stdout
    _cli(root, "--fix")
    assert {p: p.read_text() for p in root.rglob("*.py")} == before
