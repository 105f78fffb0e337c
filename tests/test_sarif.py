"""`--format sarif`: valid against the official SARIF 2.1.0 schema, every enabled rule described, stable
fingerprints, repository-relative locations (what GitHub code scanning needs)."""

import json
import os

import pytest

from torchlint import registry
from torchlint.cli import main

jsonschema = pytest.importorskip("jsonschema")

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "data", "sarif-schema-2.1.0.json")
BUGGY = "import torch\n\n\ndef f(x):\n    return x.permute(0, 2, 1).view(-1)\n"
WRAPPED = "import torch\nimport torch.nn as nn\nm = torch.jit.script(nn.DataParallel(net))\n"
NOTEBOOK = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# nb\n"]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
         "source": ["%matplotlib inline\n", "y = x.permute(0, 2, 1).view(-1)\n"]},
    ],
    "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5,
}  # fmt: skip


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()  # the repository root: URIs are relative to it
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "model.py").write_text(BUGGY)
    (tmp_path / "src" / "export.py").write_text(WRAPPED)
    (tmp_path / "src" / "broken.py").write_text("def f(:\n    y = x.permute(1, 0).view(-1)\n")
    (tmp_path / "src" / "nb.ipynb").write_text(json.dumps(NOTEBOOK))
    monkeypatch.chdir(tmp_path / "src")  # not the root: URIs must still be repository-relative
    return tmp_path


def sarif(capsys, *args):
    code = main(["--format", "sarif", *args])
    return code, json.loads(capsys.readouterr().out)


def validate(log):
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        schema = json.load(handle)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_schema_file_is_the_official_one():
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        schema = json.load(handle)
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")


def test_sarif_validates_against_the_official_schema(repo, capsys):
    code, log = sarif(capsys, ".")
    assert code == 1
    validate(log)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "torchlint" and driver["version"] and driver["informationUri"].startswith("https://")


def test_every_enabled_rule_is_described(repo, capsys):
    _, log = sarif(capsys, "--select", "ALL", ".")
    validate(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == ["TL000"] + sorted(registry.all_rules())
    for rule in rules:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    tl301 = rules[ids.index("TL301")]
    assert "### Why it matters" in tl301["help"]["markdown"] and "```python" in tl301["help"]["markdown"]
    assert "Why it matters" in tl301["help"]["text"]
    _, default_log = sarif(capsys, ".")
    default_ids = [r["id"] for r in default_log["runs"][0]["tool"]["driver"]["rules"]]
    opt_in = [code for code, rule in registry.all_rules().items() if not rule.default]
    assert not set(opt_in) & set(default_ids)  # only the enabled rules


def test_results_point_at_repository_relative_files_with_full_regions(repo, capsys):
    _, log = sarif(capsys, ".")
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == f"file://{repo}/"
    rules = run["tool"]["driver"]["rules"]
    by_uri = {}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning") and result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        by_uri.setdefault(location["artifactLocation"]["uri"], []).append(result)
    assert set(by_uri) == {"src/pkg/model.py", "src/export.py", "src/broken.py", "src/nb.ipynb"}
    [view] = by_uri["src/pkg/model.py"]
    assert view["ruleId"] == "TL301"
    assert view["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 5, "startColumn": 31, "endLine": 5, "endColumn": 35,
    }  # fmt: skip
    [error] = by_uri["src/broken.py"]
    assert error["ruleId"] == "TL000" and error["level"] == "error"
    [cell] = by_uri["src/nb.ipynb"]
    assert cell["properties"]["cell"] == 2 and cell["properties"]["startLine"] == 2
    assert cell["message"]["text"].startswith("cell 2, line 2: ")


def test_fingerprints_are_stable_across_line_moves(repo, capsys):
    def fingerprints():
        _, log = sarif(capsys, "pkg/model.py")
        return [r["partialFingerprints"] for r in log["runs"][0]["results"]]

    before = fingerprints()
    model = repo / "src" / "pkg" / "model.py"
    model.write_text("# a comment\n\nimport os\n" + BUGGY)
    assert fingerprints() == before
    model.write_text(BUGGY.replace("view(-1)", "view(-1, 4)"))
    assert fingerprints() != before


def test_sarif_to_an_output_file(repo, capsys):
    code = main(["--format", "sarif", "--output-file", "out.sarif", "."])
    assert code == 1 and capsys.readouterr().out == ""
    with open(repo / "src" / "out.sarif", encoding="utf-8") as handle:
        validate(json.load(handle))


def test_a_clean_run_is_valid_sarif_too(repo, capsys):
    code, log = sarif(capsys, "--select", "TL5", "pkg")
    assert code == 0 and log["runs"][0]["results"] == []
    validate(log)


def test_cross_file_finding_has_a_valid_related_location(tmp_path, monkeypatch, capsys):
    import shutil

    project = tmp_path / "proj"
    shutil.copytree(os.path.join(os.path.dirname(__file__), "projects", "sampler_elsewhere"), project)
    monkeypatch.chdir(project)
    code, log = sarif(capsys, "--no-cache", "train.py")
    assert code == 1
    validate(log)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "TL201"
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "data.py"
    assert related["physicalLocation"]["region"]["startLine"] == 6
    assert related["message"]["text"]
