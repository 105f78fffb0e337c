"""The pre-commit hooks file: valid, and both entries run as pre-commit would run them."""

import os
import shlex
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUGGY = "def f(x):\n    return x.permute(0, 2, 1).view(-1)\n"


def hooks():
    with open(os.path.join(ROOT, ".pre-commit-hooks.yaml"), encoding="utf-8") as handle:
        return {hook["id"]: hook for hook in yaml.safe_load(handle)}


def test_hooks_are_declared():
    declared = hooks()
    assert set(declared) == {"torchlint", "torchlint-fix"}
    for hook in declared.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi", "jupyter"]
        assert hook["name"]
    # pre-commit names every staged file: without --force-exclude, `exclude` would never apply.
    assert hook_entry("torchlint") == ["torchlint", "--force-exclude"]
    assert hook_entry("torchlint-fix") == ["torchlint", "--fix", "--force-exclude"]


def hook_entry(hook_id):
    return shlex.split(hooks()[hook_id]["entry"])


def run_entry(hook_id, *paths, cwd=None):
    # pre-commit runs `entry` with the staged file names appended; the console script
    # `torchlint` is `python -m torchlint` in this environment.
    entry = hook_entry(hook_id)
    assert entry[0] == "torchlint"
    command = [sys.executable, "-m", "torchlint", *entry[1:], *map(str, paths)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd)


def test_check_hook_fails_on_findings_and_changes_nothing(tmp_path):
    target = tmp_path / "train.py"
    target.write_text(BUGGY)
    result = run_entry("torchlint", target)
    assert result.returncode == 1
    assert "TL301" in result.stdout
    assert target.read_text() == BUGGY


def test_fix_hook_fixes_and_passes(tmp_path):
    target = tmp_path / "train.py"
    target.write_text(BUGGY)
    result = run_entry("torchlint-fix", target)
    assert result.returncode == 0, result.stdout + result.stderr
    assert target.read_text() == BUGGY.replace(".view(", ".reshape(")


def test_hooks_respect_exclude_for_staged_files(tmp_path):
    # The bug: pre-commit passes file names explicitly, so `exclude` was ignored and torchlint-fix
    # rewrote an excluded file.
    (tmp_path / "pyproject.toml").write_text('[tool.torchlint]\nexclude = ["third_party"]\n')
    (tmp_path / "third_party").mkdir()
    vendored = tmp_path / "third_party" / "lib.py"
    vendored.write_text(BUGGY)
    own = tmp_path / "train.py"
    own.write_text(BUGGY)
    result = run_entry("torchlint", "third_party/lib.py", cwd=tmp_path)
    assert result.returncode == 0 and "TL301" not in result.stdout
    result = run_entry("torchlint-fix", "third_party/lib.py", "train.py", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert vendored.read_text() == BUGGY
    assert own.read_text() == BUGGY.replace(".view(", ".reshape(")
