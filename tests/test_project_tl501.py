"""TL501 across files: `torch.jit.script`/`trace` of a model that another first-party file wrapped in
`DataParallel`/`DistributedDataParallel` (a helper returning the wrapper, a module-level wrapped value)."""

import json
import subprocess
import sys

import pytest

from torchlint.cli import main


def run(capsys, *args):
    main(["--no-cache", "--select", "TL501", "--format", "json", *args])
    return json.loads(capsys.readouterr().out)


def test_a_helper_returning_the_wrapper(copied_project, capsys):
    copied_project("tl501_helper_wraps")
    findings = {f["path"]: f for f in run(capsys, ".")}
    # trainer.py: `self.model = build_model(...)` in `__init__`
    assert sorted(findings) == ["export.py", "export_ddp.py", "export_maybe.py", "trainer.py"]
    built = findings["export.py"]
    assert (built["line"], built["column"]) == (7, 29)
    assert "wrapped in utils/dist.py:10" in built["message"] and len(built["message"]) <= 160
    assert built["related"] == [{"path": "utils/dist.py", "line": 10, "message": "the model is wrapped here"}]
    wrapped_param = findings["export_ddp.py"]  # `dist.wrap_ddp(net, rank)` returns `DDP(model, ...)`
    assert "dist.py:15" in wrapped_param["message"] and "`ddp.module`" in wrapped_param["message"]
    assert wrapped_param["related"][0]["path"] == "utils/dist.py" and wrapped_param["related"][0]["line"] == 15
    sometimes = findings["export_maybe.py"]  # `if torch.cuda.device_count() > 1: model = nn.DataParallel(model)`
    assert "on some paths (wrapped in dist.py:20)" in sometimes["message"] and sometimes["fix"] is None


def test_a_module_level_wrapper_imported_by_name_or_through_its_module(copied_project, capsys):
    copied_project("tl501_module_wrapper")
    found = sorted((f["path"], f["line"]) for f in run(capsys, "."))
    # deploy.py: `save_backbone` scripts an unwrapped model, `save_given` its own parameter `model`;
    # deploy_module.py:6 compiles `config.model.module`
    assert found == [("deploy.py", 7), ("deploy_module.py", 5)]
    for finding in run(capsys, "."):
        assert "wrapped in config.py:5" in finding["message"]
        assert finding["related"] == [{"path": "config.py", "line": 5, "message": "the model is wrapped here"}]


def test_the_file_linted_alone_still_sees_the_other_half(copied_project, capsys):
    copied_project("tl501_module_wrapper")
    assert [f["path"] for f in run(capsys, "deploy.py")] == ["deploy.py"]


@pytest.mark.parametrize("name", ["tl501_helper_unwraps", "tl501_missing_module"])
def test_unwrapped_helpers_and_unknown_callees_stay_silent(copied_project, capsys, name):
    # `unwrap()`, `.module`, an unwrapped `Net()`, a helper that wraps but returns `.module`;
    # a module missing from the project and one that cannot be parsed.
    copied_project(name)
    assert run(capsys, ".") == []


def test_per_file_analysis_does_not_see_the_other_file(copied_project, capsys, monkeypatch):
    copied_project("tl501_helper_wraps")
    monkeypatch.setenv("TORCHLINT_NO_PROJECT", "1")
    assert run(capsys, ".") == []


def test_the_fix_compiles_the_wrapped_module(copied_project, capsys):
    root = copied_project("tl501_helper_wraps")
    assert main(["--no-cache", "--select", "TL501", "--fix", "."]) == 1  # export_maybe.py has no fix
    assert "torch.jit.script(model.module)" in (root / "export.py").read_text()
    assert "torch.jit.trace(ddp.module, torch.randn(1, 8))" in (root / "export_ddp.py").read_text()
    assert "torch.jit.script(self.model.module).save(path)" in (root / "trainer.py").read_text()
    # Wrapped on some paths by another file: no fix (the wrapper class is not spelled in this file).
    assert "torch.jit.script(model)" in (root / "export_maybe.py").read_text()
    capsys.readouterr()
    assert [f["path"] for f in run(capsys, ".")] == ["export_maybe.py"]


def test_sarif_carries_the_related_location(copied_project, capsys):
    copied_project("tl501_module_wrapper")
    main(["--no-cache", "--select", "TL501", "--format", "sarif", "deploy.py"])
    (result,) = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "config.py"
    assert related["physicalLocation"]["region"]["startLine"] == 5


def _index_is_current() -> bool:
    from torchlint import registry
    from torchlint.flake8_plugin import _load_index

    rule = registry.all_rules()["TL501"]
    return _load_index()["TL501"]["requires_text"] == [list(group) for group in rule.requires_text]


def test_cli_and_flake8_agree(copied_project):
    if not _index_is_current():  # flake8's text pre-check reads the generated index
        pytest.skip("torchlint/data/rule_index.json predates TL501's requires_text (scripts/generate_docs.py)")
    root = copied_project("tl501_helper_wraps")
    cli = subprocess.run([sys.executable, "-m", "torchlint", "--no-cache", "--select", "TL501", "."],
                         cwd=root, capture_output=True, text=True)  # fmt: skip
    flake8 = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "TL501", "."],
                            cwd=root, capture_output=True, text=True)  # fmt: skip
    cli_lines = sorted(line.replace(" [*]", "") for line in cli.stdout.splitlines() if ": TL501 " in line)
    flake8_lines = sorted(line.removeprefix("./") for line in flake8.stdout.splitlines())
    assert len(cli_lines) == 4 and cli_lines == flake8_lines, (cli.stdout, flake8.stdout, flake8.stderr)
