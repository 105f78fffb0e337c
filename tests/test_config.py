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
        ('colour = "red"\n', "unknown key 'colour'"),
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
    assert "unknown rule code or prefix 'TL9'" in capsys.readouterr().err


def test_missing_explicit_config(project, capsys):
    assert main(["--config", "nope.toml", "src"]) == 2
    assert "no such config file" in capsys.readouterr().err


def test_pyproject_without_our_table_is_skipped(project, capsys, monkeypatch):
    write_config(project, 'select = ["TL5"]\n')
    (project / "src" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    monkeypatch.chdir(project / "src")
    assert codes_found(capsys, "a.py") == ["TL501"]
