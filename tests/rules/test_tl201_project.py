"""TL201 across files: samplers and loaders built elsewhere, epoch loops handing the loader to another
file's function, and the loop iterable resolved through local names (issue 9)."""

import json
import os
import shutil

import pytest

from tests.helpers import fix, lint
from torchlint.cli import main

PROJECTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "projects")


def run_project(tmp_path, monkeypatch, capsys, name, *args):
    root = tmp_path / name
    shutil.copytree(os.path.join(PROJECTS, name), root)
    monkeypatch.chdir(root)
    main(["--no-cache", "--select", "TL201", "--format", "json", *args, "."])
    return [f for f in json.loads(capsys.readouterr().out) if f["code"] == "TL201"], root


@pytest.mark.parametrize(
    "name, path, where",
    [
        ("sampler_elsewhere", "train.py", "built in data.py:6"),  # returned with the loader
        ("module_loader", "train.py", "built in config.py:5"),  # module-level loader, imported
        ("star_import", "train.py", "built in datasets/builder.py:8"),  # `from datasets import *`
        ("script_dir", os.path.join("tools", "train.py"), "built in loader_utils.py:7"),  # sibling + trange
        ("callee_never_sets_epoch", "train.py", "`train_sampler`"),  # engine.train_one_epoch never sets it
    ],
)
def test_reported_across_files(tmp_path, monkeypatch, capsys, name, path, where):
    findings, _ = run_project(tmp_path, monkeypatch, capsys, name)
    (finding,) = findings
    assert finding["path"] == path
    assert where in finding["message"]
    assert len(finding["message"]) <= 160


def test_the_callee_that_never_sets_the_epoch_is_a_related_location(tmp_path, monkeypatch, capsys):
    (finding,), _ = run_project(tmp_path, monkeypatch, capsys, "callee_never_sets_epoch")
    (related,) = finding["related"]
    assert related["path"] == "engine.py" and related["line"] == 4 and "train_one_epoch" in related["message"]


@pytest.mark.parametrize("name", ["callee_sets_epoch", "callee_unknown", "cycle", "unparsable"])
def test_silent_when_the_callee_sets_it_or_cannot_be_seen(tmp_path, monkeypatch, capsys, name):
    findings, _ = run_project(tmp_path, monkeypatch, capsys, name)
    assert findings == []


def test_fix_calls_set_epoch_through_the_loader_built_elsewhere(tmp_path, monkeypatch, capsys):
    _, root = run_project(tmp_path, monkeypatch, capsys, "sampler_elsewhere")
    data_before = (root / "data.py").read_text()
    # --fix sees the same cross-file finding as the check run; the fix stays in train.py.
    assert main(["--no-cache", "--select", "TL201", "--fix", "."]) == 0
    capsys.readouterr()
    assert "loader.sampler.set_epoch(epoch)" in (root / "train.py").read_text()
    assert (root / "data.py").read_text() == data_before
    assert main(["--no-cache", "--select", "TL201", "."]) == 0


def test_a_callee_of_another_file_that_calls_a_third_that_sets_it(tmp_path, monkeypatch, capsys):
    root = tmp_path / "chain"
    (root / "utils").mkdir(parents=True)
    (root / "setup.cfg").write_text("")
    (root / "utils" / "__init__.py").write_text("")
    (root / "utils" / "epochs.py").write_text("def begin_epoch(loader, epoch):\n    loader.sampler.set_epoch(epoch)\n")
    (root / "utils" / "loop.py").write_text(
        "from .epochs import begin_epoch\n\n\ndef train_one_epoch(model, loader, epoch):\n"
        "    begin_epoch(loader, epoch)\n    for batch in loader:\n        model(batch)\n"
    )
    (root / "train.py").write_text(
        "from torch.utils.data import DataLoader, DistributedSampler\nfrom utils.loop import train_one_epoch\n\n"
        "def main(ds, model):\n    loader = DataLoader(ds, sampler=DistributedSampler(ds))\n"
        "    for epoch in range(3):\n        train_one_epoch(model, loader, epoch)\n"
    )
    monkeypatch.chdir(root)
    main(["--no-cache", "--select", "TL201", "--format", "json", "."])
    assert json.loads(capsys.readouterr().out) == []


# -- issue 9: the loop's iterable through local names (single file) ------------------------------
SAMPLER = """
    from torch.utils.data import DataLoader, DistributedSampler
    from tqdm import tqdm, trange
    sampler = DistributedSampler(dataset)
    loader = DataLoader(dataset, batch_size=8, sampler=sampler)
"""


@pytest.mark.parametrize(
    "loop",
    [
        "train_iterator = trange(int(args.num_train_epochs), desc='Epoch')\nfor _ in train_iterator:\n",
        "epochs = tqdm(range(n))\nfor epoch in epochs:\n",
        "epochs = range(10)\nfor epoch in epochs:\n",
    ],
)
def test_loop_iterable_resolved_through_local_names(loop):
    code = SAMPLER + "".join("    " + line + "\n" for line in loop.splitlines()) + \
        "        for batch in loader:\n            step(batch)\n"  # fmt: skip
    (finding,) = lint(code, ["TL201"])
    assert finding.code == "TL201"


@pytest.mark.parametrize(
    "loop",
    [
        "batches = tqdm(loader)\nfor batch in batches:\n",  # a pass over the data, not an epoch loop
        "epochs = range(1)\nfor epoch in epochs:\n",  # one pass
        "if fast:\n    epochs = range(10)\nelse:\n    epochs = schedule\nfor epoch in epochs:\n",  # not certain
    ],
)
def test_loop_iterable_that_is_not_an_epoch_loop(loop):
    code = SAMPLER + "".join("    " + line + "\n" for line in loop.splitlines()) + \
        "        for batch in loader:\n            step(batch)\n"  # fmt: skip
    assert lint(code, ["TL201"]) == []


def test_loop_variable_resolved_fix_uses_the_loop_variable():
    code = SAMPLER + "    epochs = tqdm(range(n))\n    for epoch in epochs:\n        for b in loader:\n" \
        "            step(b)\n"  # fmt: skip
    assert "sampler.set_epoch(epoch)" in fix(code, ["TL201"])
