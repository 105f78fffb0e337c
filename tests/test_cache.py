"""The content cache: warm runs serve unchanged files, edits re-lint what depends on them, bad entries are ignored."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from torchlint import cache as cache_mod
from torchlint import runner
from torchlint.cli import main

PROJECTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "projects")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """sampler_elsewhere (train.py reads data.py) plus an unrelated file, in a tmp folder with a pyproject."""
    root = tmp_path / "repo"
    shutil.copytree(os.path.join(PROJECTS, "sampler_elsewhere"), root)
    (root / "pyproject.toml").write_text("[tool.torchlint]\n")
    (root / "other.py").write_text("import torch\nx = torch.zeros(2, 3, 4)\ny = x.permute(0, 2, 1).view(-1)\n")
    monkeypatch.chdir(root)
    monkeypatch.delenv(cache_mod.ENV_VAR, raising=False)
    return root


@pytest.fixture
def linted(monkeypatch):
    """The paths each run actually lints (not served from the cache)."""
    seen = []
    real = runner._run

    def spy(job, paths, jobs=None):
        seen.append(sorted(paths))
        return real(job, paths, jobs)

    monkeypatch.setattr(runner, "_run", spy)
    return seen


def check(capsys, *args):
    paths = [] if any(a.endswith(".py") for a in args) else ["."]
    code = main(["--format", "json", "-j", "1", *args, *paths])
    return code, json.loads(capsys.readouterr().out)


def test_warm_run_serves_every_unchanged_file(project, capsys, linted):
    first = check(capsys)
    second = check(capsys)
    assert first == second and first[0] == 1
    assert {f["path"] for f in first[1]} == {"train.py", "other.py"}
    assert linted == [["data.py", "other.py", "train.py"], []]
    cache_dir = project / ".torchlint_cache"
    assert (cache_dir / ".gitignore").read_text().strip().endswith("*")
    assert (cache_dir / "CACHEDIR.TAG").exists()
    assert not [p for p in cache_dir.rglob(".tmp-*")]  # atomic writes leave no temporaries


def test_editing_a_module_relints_its_importers_only(project, capsys, linted):
    check(capsys)
    data = project / "data.py"
    data.write_text(data.read_text().replace("shuffle=True", "shuffle=False"))
    code, findings = check(capsys)
    assert linted[-1] == ["data.py", "train.py"]  # other.py does not read data.py
    assert [f["path"] for f in findings] == ["other.py"]  # the sampler no longer shuffles


def test_creating_a_missing_module_invalidates(tmp_path, capsys, linted, monkeypatch):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text("")
    (root / "train.py").write_text(
        "from loaders import build\n\ndef main(ds):\n    loader = build(ds)\n"
        "    for epoch in range(3):\n        for b in loader:\n            pass\n"
    )
    monkeypatch.chdir(root)
    assert check(capsys, "train.py")[1] == []
    (root / "loaders.py").write_text(
        "from torch.utils.data import DataLoader, DistributedSampler\n\n"
        "def build(ds):\n    return DataLoader(ds, sampler=DistributedSampler(ds))\n"
    )
    _, findings = check(capsys, "train.py")
    assert [f["code"] for f in findings] == ["TL201"] and linted[-1] == ["train.py"]


def test_settings_select_their_own_entries(project, capsys, linted):
    check(capsys, "--select", "TL201")
    _, only_301 = check(capsys, "--select", "TL301")
    assert [f["code"] for f in only_301] == ["TL301"]
    assert linted[-1] == ["data.py", "other.py", "train.py"]


def test_no_cache_writes_nothing_and_cache_dir_and_env_are_honoured(project, capsys, tmp_path, monkeypatch):
    check(capsys, "--no-cache")
    assert not (project / ".torchlint_cache").exists()
    check(capsys, "--cache-dir", str(tmp_path / "elsewhere"))
    assert (tmp_path / "elsewhere" / ".gitignore").exists() and not (project / ".torchlint_cache").exists()
    monkeypatch.setenv(cache_mod.ENV_VAR, str(tmp_path / "from-env"))
    check(capsys)
    assert (tmp_path / "from-env" / "CACHEDIR.TAG").exists()


def _cache_files(root, kind):
    return [p for p in (root / ".torchlint_cache").rglob("*.json") if kind in p.parts]


def test_corrupted_and_foreign_entries_are_ignored(project, capsys, linted):
    expected = check(capsys)
    for path in _cache_files(project, "findings") + _cache_files(project, "summaries"):
        path.write_text("{not json")
    assert check(capsys) == expected
    assert linted[-1] == ["data.py", "other.py", "train.py"]
    for path in _cache_files(project, "findings"):
        path.write_text(json.dumps({"format": cache_mod.FORMAT, "files": {
            str(project / "train.py"): {"hash": "0" * 64, "deps": {}, "findings": [{"bogus": 1}]},
            str(project / "other.py"): ["foreign"],
        }}))  # fmt: skip
    for path in _cache_files(project, "summaries"):
        path.write_text(json.dumps({"v": 999, "names": "no"}))
    assert check(capsys) == expected


def test_a_summary_entry_of_the_wrong_shape_is_recomputed(tmp_path):
    cache = cache_mod.Cache(str(tmp_path / "c"))
    digest = "a" * 64
    cache.put_summary(digest, {"v": 0})
    assert cache.get_summary(digest) is None
    assert cache.get_summary("../../etc/passwd") is None


def test_bounded_size(project, capsys, monkeypatch):
    monkeypatch.setattr(cache_mod, "MAX_PACKS", 2)
    for select in ("TL201", "TL301", "TL201,TL301", "ALL"):
        check(capsys, "--select", select)
    assert len(_cache_files(project, "findings")) <= 2
    monkeypatch.setattr(cache_mod, "MAX_SUMMARIES", 1)
    cache = cache_mod.Cache(str(project / ".torchlint_cache"))
    for index in range(5):
        cache.put_summary(f"{index:064x}", {"v": 1})
    cache.evict()
    assert len(_cache_files(project, "summaries")) <= 1


def test_two_runs_sharing_the_cache(project):
    command = [sys.executable, "-m", "torchlint", "--format", "json", "--exit-zero", "."]
    runs = [subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [json.loads(run.communicate()[0]) for run in runs]
    assert outputs[0] == outputs[1] and outputs[0]
    again = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert json.loads(again.stdout) == outputs[0]


def test_findings_round_trip_through_plain_data():
    from torchlint.findings import Finding, FixInfo, Related

    finding = Finding("a.py", 1, 2, 3, 4, "TL201", "missing-set-epoch", "m", FixInfo("safe", "d"),
                      related=(Related("data.py", 41, "the sampler is built here"),))  # fmt: skip
    data = json.loads(json.dumps(cache_mod.finding_to_data(finding)))
    assert cache_mod.finding_from_data(data) == finding


def test_a_notebook_is_served_from_the_cache_too(project, capsys, linted):
    # A notebook is linted on its own text: an unchanged one must not be re-linted on every warm run.
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": ["import torch\n", "x = torch.zeros(2, 3, 4)\n", "y = x.permute(0, 2, 1).view(-1)\n"]}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (project / "explore.ipynb").write_text(json.dumps(notebook))
    first = check(capsys)
    second = check(capsys)
    assert first == second and "explore.ipynb" in {f["path"] for f in first[1]}
    assert "explore.ipynb" in linted[0] and linted[1] == []


@pytest.fixture
def helper_without_caller(tmp_path, monkeypatch):
    """tl401_helper_spawned without its entry point: utils/checkpoint.py's load is single-process until
    train.py (a spawned worker calling `load_checkpoint`) is added to the project."""
    root = tmp_path / "repo"
    shutil.copytree(os.path.join(PROJECTS, "tl401_helper_spawned"), root)
    caller = (root / "train.py").read_text()
    (root / "train.py").unlink()
    monkeypatch.chdir(root)
    monkeypatch.delenv(cache_mod.ENV_VAR, raising=False)
    return root, caller


def test_a_new_caller_relints_the_helper_whose_findings_depend_on_its_callers(helper_without_caller, capsys,
                                                                              linted):  # fmt: skip
    root, caller = helper_without_caller
    helper = os.path.join("utils", "checkpoint.py")
    assert check(capsys, "--select", "TL401", helper)[1] == []
    assert check(capsys, "--select", "TL401", helper)[1] == [] and linted == [[helper], []]  # listing unchanged
    (root / "train.py").write_text(caller)  # a file ADDED to the project: no recorded dependency names it
    _, findings = check(capsys, "--select", "TL401", helper)
    assert linted[-1] == [helper] and [(f["path"], f["code"]) for f in findings] == [(helper, "TL401")]
    assert check(capsys, "--select", "TL401", helper)[1] == findings and linted[-1] == []  # served again


def test_an_unrelated_new_file_also_relints_a_helper_that_asked_who_calls_it(helper_without_caller, capsys,
                                                                             linted):  # fmt: skip
    # The listing is one dependency: any added or removed Python file under the root re-lints the
    # helpers that asked for callers (one file's work each), and nothing else.
    root, _ = helper_without_caller
    (root / "other.py").write_text("import torch\nx = torch.zeros(2, 3, 4)\n")
    check(capsys, "--select", "TL401")
    (root / "notes.py").write_text("print('hello')\n")
    check(capsys, "--select", "TL401")
    assert linted[-1] == ["notes.py", os.path.join("utils", "checkpoint.py")]
