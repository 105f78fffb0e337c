"""action.yml: a well-formed composite action whose scripts do what they say (run here with bash)."""

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUGGY = "def f(x):\n    return x.permute(0, 2, 1).view(-1)\n"


def action():
    with open(os.path.join(ROOT, "action.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def step(name):
    return next(s for s in action()["runs"]["steps"] if s["name"] == name)


def test_structure():
    data = action()
    assert data["name"] and data["description"] and data["branding"]
    assert data["runs"]["using"] == "composite"
    inputs = data["inputs"]
    for name in ("args", "version", "format", "sarif-file", "fail-on-findings"):
        assert inputs[name]["description"] and "default" in inputs[name]
    assert inputs["format"]["default"] == "github" and inputs["args"]["default"] == "."
    assert data["outputs"]["exit-code"]["value"] == "${{ steps.run.outputs.exit-code }}"
    for s in data["runs"]["steps"]:
        assert ("uses" in s) != ("run" in s), s["name"]
        if "run" in s:
            assert s["shell"] == "bash"  # composite actions require it
            # inputs reach scripts through env only: never pasted into the script (injection)
            assert "${{" not in s["run"], s["name"]
    upload = step("Upload SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif-file }}"
    assert "inputs.format == 'sarif'" in upload["if"]
    assert step("Install torchlint")["env"]["TORCHLINT_VERSION"] == "${{ inputs.version }}"


def _bash_step(name, env, cwd, tmp_path):
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    output = tmp_path / "github_output"
    output.write_text("")
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    shim = bindir / "torchlint"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m torchlint "$@"\n')
    shim.chmod(0o755)
    full_env = dict(os.environ, GITHUB_OUTPUT=str(output), PATH=f"{bindir}{os.pathsep}{os.environ['PATH']}", **env)
    result = subprocess.run(["bash", "-e", "-c", step(name)["run"]], env=full_env, cwd=cwd,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    return result, dict(re.findall(r"^([\w-]+)=(.*)$", output.read_text(), re.M))


def test_run_step_annotates_by_default(tmp_path):
    (tmp_path / "train.py").write_text(BUGGY)
    env = {"ARGS": ".", "FORMAT": "github", "SARIF_FILE": "x"}
    result, outputs = _bash_step("Run torchlint", env, tmp_path, tmp_path)
    assert result.returncode == 0, result.stderr  # the step records the status; the last step decides
    assert outputs == {"exit-code": "1"}
    assert result.stdout.startswith("::error file=train.py,line=2,col=31,")


def test_run_step_writes_sarif(tmp_path):
    import json

    (tmp_path / "train.py").write_text(BUGGY)
    env = {"ARGS": "train.py --select TL3", "FORMAT": "sarif", "SARIF_FILE": "out.sarif"}
    result, outputs = _bash_step("Run torchlint", env, tmp_path, tmp_path)
    assert outputs == {"exit-code": "1"}
    log = json.loads((tmp_path / "out.sarif").read_text())
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["TL301"]


def test_result_step_fails_only_when_it_should(tmp_path):
    cases = [("0", "true", 0), ("1", "true", 1), ("1", "false", 0), ("2", "false", 1)]
    for status, fail, expected in cases:
        result, _ = _bash_step("Result", {"STATUS": status, "FAIL_ON_FINDINGS": fail}, tmp_path, tmp_path)
        assert result.returncode == expected, (status, fail)
