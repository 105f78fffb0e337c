"""[tool.torchlint] in pyproject.toml: discovery, keys, validation, precedence."""

import textwrap

import pytest

from torchlint.cli import main
from torchlint.config import ConfigError, load_config

BUGGY = "def f(x):\n    return x.permute(0, 2, 1).view(-1)\n"
WRAPPED = "import torch\nimport torch.nn as nn\nm = torch.jit.script(nn.DataParallel(net))\n"


def write_config(path, body):
    (path / "pyproject.toml").write_text("[tool.torchlint]\n" + textwrap.dedent(body))


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text(BUGGY + WRAPPED)
    return tmp_path


def codes_found(capsys, *args):
    main(["--format", "json", *args])
    import json

    return sorted(f["code"] for f in json.loads(capsys.readouterr().out))


def test_found_upward_from_working_directory(project, capsys, monkeypatch):
    write_config(project, 'select = ["TL5"]\n')
    monkeypatch.chdir(project / "src")
    assert codes_found(capsys, "a.py") == ["TL501"]


def test_command_line_overrides_config(project, capsys):
    write_config(project, 'select = ["TL5"]\n')
    assert codes_found(capsys, "--select", "TL3", "src") == ["TL301"]


def test_ignore_and_extend_select(project, capsys):
    write_config(project, 'ignore = ["TL301"]\n')
    assert codes_found(capsys, "src") == ["TL501"]
    write_config(project, 'select = ["TL3"]\nextend-select = ["TL501"]\n')
    assert codes_found(capsys, "src") == ["TL301", "TL501"]


def test_per_file_ignores(project, capsys):
    write_config(project, '[tool.torchlint.per-file-ignores]\n"src/*.py" = ["TL3"]\n')
    assert codes_found(capsys, "src") == ["TL501"]


def test_exclude(project, capsys):
    write_config(project, 'exclude = ["src/a.py"]\n')
    assert codes_found(capsys, ".") == []
    assert codes_found(capsys, "src/a.py") == ["TL301", "TL501"]  # explicit paths are always linted


def test_unsafe_fixes_from_config(project, capsys):
    source = (
        "import torch\nimport torch.nn as nn\n"
        "def export(model, multi):\n    if multi:\n        model = nn.DataParallel(model)\n"
        "    return torch.jit.script(model)\n"
    )
    (project / "src" / "a.py").write_text(source)
    write_config(project, "unsafe-fixes = true\n")
    assert main(["--fix", "src"]) == 0
    assert "isinstance(model, nn.DataParallel)" in (project / "src" / "a.py").read_text()


def test_explicit_config_file(project, capsys):
    (project / "other.toml").write_text('[tool.torchlint]\nselect = ["TL501"]\n')
    assert codes_found(capsys, "--config", "other.toml", "src") == ["TL501"]


@pytest.mark.parametrize(
    "body, message",
    [
        ('colour = "red"\n', "unknown key 'colour' in [tool.torchlint] (valid keys: baseline, exclude,"),
        ('select = "TL3"\nunsafe-fixes = "yes"\n', "unsafe-fixes must be true or false"),
        ("select = [3]\n", "select must be a list of rule codes"),
        ('exclude = "build"\n', "exclude must be a list of strings"),
        ("per-file-ignores = 1\n", "per-file-ignores must be a table"),
        ("select = [\n", "invalid TOML"),
    ],
)
def test_bad_config_is_a_usage_error_naming_the_key(project, capsys, body, message):
    write_config(project, body)
    assert main(["src"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    with pytest.raises(ConfigError):
        load_config(start=str(project))


def test_unknown_code_in_config_is_a_usage_error(project, capsys):
    write_config(project, 'select = ["TL9"]\n')
    assert main(["src"]) == 2
    assert "pyproject.toml: [tool.torchlint] select: unknown rule code or prefix 'TL9'" in capsys.readouterr().err


def test_missing_explicit_config(project, capsys):
    assert main(["--config", "nope.toml", "src"]) == 2
    assert "no such config file" in capsys.readouterr().err


def test_pyproject_without_our_table_is_skipped(project, capsys, monkeypatch):
    write_config(project, 'select = ["TL5"]\n')
    (project / "src" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    monkeypatch.chdir(project / "src")
    assert codes_found(capsys, "a.py") == ["TL501"]


# --- issue 8: errors name the file and key; discovery from the linted files ----------------------------------


@pytest.mark.parametrize(
    "body, key",
    [
        ('select = ["TL9"]\n', "select"),
        ('ignore = ["TL9"]\n', "ignore"),
        ('extend-select = ["XX1"]\n', "extend-select"),
        ('[tool.torchlint.per-file-ignores]\n"tests/*" = ["TL9"]\n', "per-file-ignores.'tests/*'"),
    ],
)
def test_unknown_code_in_config_names_the_file_and_key(project, capsys, body, key):
    write_config(project, body)
    assert main(["src"]) == 2
    err = capsys.readouterr().err
    assert f"pyproject.toml: [tool.torchlint] {key}: unknown rule code or prefix" in err
    assert "--select" not in err and "--ignore" not in err


def test_unknown_key_lists_the_valid_keys(project, capsys):
    write_config(project, 'colour = "red"\n')
    assert main(["src"]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'colour'" in err and "valid keys:" in err
    for key in ("select", "ignore", "extend-select", "per-file-ignores", "exclude", "unsafe-fixes", "baseline"):
        assert key in err


def test_empty_select_in_config_is_an_error(project, capsys):
    write_config(project, "select = []\n")
    assert main(["src"]) == 2
    assert "select is empty" in capsys.readouterr().err


def test_config_is_found_from_the_linted_paths_not_the_working_directory(tmp_path, monkeypatch, capsys):
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "src" / "a.py").write_text(BUGGY + WRAPPED)
    write_config(proj, 'select = ["TL5"]\n')
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nselect = ["TL3"]\n')  # the cwd's: not used
    monkeypatch.chdir(tmp_path)
    assert codes_found(capsys, "proj/src/a.py") == ["TL501"]
    assert codes_found(capsys, "proj") == ["TL501"]
    monkeypatch.chdir("/")
    assert codes_found(capsys, str(proj / "src" / "a.py")) == ["TL501"]


def test_globs_are_relative_to_the_config_file(tmp_path, monkeypatch, capsys):
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "legacy").mkdir()
    (proj / "src" / "a.py").write_text(BUGGY + WRAPPED)
    (proj / "legacy" / "b.py").write_text(BUGGY)
    write_config(proj, 'exclude = ["legacy/*"]\n[tool.torchlint.per-file-ignores]\n"src/*.py" = ["TL3"]\n')
    monkeypatch.chdir(tmp_path)
    assert codes_found(capsys, "proj") == ["TL501"]
    monkeypatch.chdir(proj / "src")
    assert codes_found(capsys, ".") == ["TL501"]


def test_common_ancestor_of_several_paths(tmp_path, monkeypatch, capsys):
    proj = tmp_path / "proj"
    for sub in ("a", "b"):
        (proj / sub).mkdir(parents=True)
        (proj / sub / "m.py").write_text(BUGGY + WRAPPED)
    write_config(proj, 'ignore = ["TL501"]\n')
    monkeypatch.chdir(tmp_path)
    assert codes_found(capsys, "proj/a/m.py", "proj/b") == ["TL301", "TL301"]


def test_flake8_is_configured_through_flake8_not_tool_torchlint(tmp_path):
    # The documented choice: under flake8, flake8's own select/ignore/per-file-ignores apply; [tool.torchlint]
    # does not (flake8 never reads pyproject.toml, and two configurations for one run would disagree).
    import subprocess
    import sys

    write_config(tmp_path, 'ignore = ["TL301"]\n')
    (tmp_path / "train.py").write_text(BUGGY)
    command = [sys.executable, "-m", "flake8", "--select", "TL", "train.py"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert "TL301" in result.stdout
    (tmp_path / ".flake8").write_text("[flake8]\nextend-ignore = TL301\n")
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == ""
