"""TL402 across files: a save of a wrapper's state dict is not reported when the file hands the wrapper to
a first-party resume helper of another file that loads into it (the `module.` prefix is what it expects)."""

import json
import os
import shutil

import pytest

from torchlint.cli import main

PROJECTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "projects")


@pytest.fixture
def project(tmp_path, monkeypatch):
    target = tmp_path / "tl402_resume_helper"
    shutil.copytree(os.path.join(PROJECTS, "tl402_resume_helper"), target)
    monkeypatch.chdir(target)
    return target


def run(capsys, *args):
    main(["--no-cache", "--select", "TL402", "--format", "json", *args])
    return json.loads(capsys.readouterr().out)


def test_resume_helpers_of_another_file_keep_the_prefix_consistent(project, capsys):
    # main_resume.py: `restart_from_checkpoint(..., state_dict=model)` loads through `**kwargs`;
    # main_weights.py: `utils.load_weights(model, path)` loads into its parameter.
    # main_no_resume.py resumes only the optimizer and hands the model to a helper that never loads;
    # main_unknown.py's helper is not in the project: its loading cannot be seen.
    assert sorted(f["path"] for f in run(capsys, ".")) == ["main_no_resume.py", "main_unknown.py"]


def test_linted_alone_the_file_still_sees_the_helper(project, capsys):
    assert run(capsys, "main_resume.py") == []


def test_per_file_analysis_cannot_see_the_helper(project, capsys, monkeypatch):
    monkeypatch.setenv("TORCHLINT_NO_PROJECT", "1")
    assert len(run(capsys, "main_resume.py", "main_weights.py")) == 2


def test_the_helper_summary_names_what_it_loads_into():
    from torchlint.analysis.project import summarise_text

    path = os.path.join(PROJECTS, "tl402_resume_helper", "src", "utils.py")
    with open(path) as handle:
        functions = summarise_text(path, handle.read())["functions"]
    assert functions["restart_from_checkpoint"]["loads_into"] == ["**"]
    assert functions["load_weights"]["loads_into"] == ["model"]
    assert functions["log_modules"]["loads_into"] == []
