"""TL601/TL602 across files (issue 10): model classes imported from another file, `evaluate()` and
`train_one_epoch()` defined elsewhere, a loaded teacher only run under `no_grad`, an inference
wrapper of an imported class.  The projects live in tests/projects/tl60*/ (reduced from real layouts:
PyTorch-GAN's `from models import *` scripts, a KD repo's `models/__init__.py` re-exports, a
detector's `models/yolo.py`, pytorch/examples' super_resolution)."""

import json
import os
import shutil

import pytest

from tests.helpers import lint
from torchlint.cli import main

PROJECTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "projects")


def run_project(tmp_path, monkeypatch, capsys, name):
    root = tmp_path / name
    shutil.copytree(os.path.join(PROJECTS, name), root)
    monkeypatch.chdir(root)
    main(["--no-cache", "--select", "TL601,TL602", "--format", "json", "."])
    findings = [f for f in json.loads(capsys.readouterr().out) if f["code"] in ("TL601", "TL602")]
    return {(f["path"].replace(os.sep, "/"), f["code"]): f for f in findings}, root


def alone(name, path, select):
    """The file linted as a lone text (no project): what the per-file analysis sees."""
    with open(os.path.join(PROJECTS, name, path), encoding="utf-8") as handle:
        return [f.code for f in lint(handle.read(), select, path=os.path.basename(path))]


def test_imported_class_with_batch_norm_through_a_star_import_of_a_sibling(tmp_path, monkeypatch, capsys):
    findings, _ = run_project(tmp_path, monkeypatch, capsys, "tl601_gan_models")
    (key,) = findings
    assert key == ("implementations/cgan/cgan.py", "TL601")
    message = findings[key]["message"]
    assert "`Generator` (models.py:5) builds `nn.BatchNorm1d`" in message and len(message) <= 160
    # Alone, the generator's class is unknown and `sample_image()` without no_grad is too weak a context.
    assert alone("tl601_gan_models", "implementations/cgan/cgan.py", ["TL601"]) == []


def test_imported_class_without_mode_layers_is_not_reported(tmp_path, monkeypatch, capsys):
    findings, _ = run_project(tmp_path, monkeypatch, capsys, "tl601_no_mode_layers")
    assert findings == {}
    # Alone, the model is unknown and `test()` under no_grad over a test loader reads as an evaluation.
    assert alone("tl601_no_mode_layers", "main.py", ["TL601"]) == ["TL601"]


def test_loaded_teacher_only_run_under_no_grad(tmp_path, monkeypatch, capsys):
    findings, _ = run_project(tmp_path, monkeypatch, capsys, "tl601_kd_teacher")
    assert list(findings) == [("train_student.py", "TL601")]  # not train_student_eval_teacher.py
    finding = findings[("train_student.py", "TL601")]
    assert finding["line"] == 16 and "`teacher.eval()` after loading it" in finding["message"]
    assert finding.get("fix") is None
    assert alone("tl601_kd_teacher", "train_student.py", ["TL601"]) == []  # ResNet's batch norm is in models/


def test_inference_wrapper_of_an_imported_class(tmp_path, monkeypatch, capsys):
    findings, _ = run_project(tmp_path, monkeypatch, capsys, "tl601_detector_wrapper")
    assert list(findings) == [("detect.py", "TL601")]  # detect_eval.py calls self.model.eval()
    assert "`self.model.eval()` first" in findings[("detect.py", "TL601")]["message"]
    assert alone("tl601_detector_wrapper", "detect.py", ["TL601"]) == []


def test_train_one_epoch_elsewhere_leaves_the_model_in_training_mode(tmp_path, monkeypatch, capsys):
    findings, _ = run_project(tmp_path, monkeypatch, capsys, "tl601_train_elsewhere")
    # train_finalized.py calls engine.finalize(model), which calls model.eval(): silent there.
    assert list(findings) == [("train.py", "TL601")]
    assert "`Classifier` (models.py:4) builds `nn.BatchNorm2d`" in findings[("train.py", "TL601")]["message"]
    # Alone, `finalize(model)` is code torchlint cannot see (so it may set the mode): no finding.
    assert alone("tl601_train_elsewhere", "train_finalized.py", ["TL601"]) == []


def test_evaluate_elsewhere_puts_the_model_in_eval_mode(tmp_path, monkeypatch, capsys):
    findings, _ = run_project(tmp_path, monkeypatch, capsys, "tl602_evaluate_elsewhere")
    # train.py: engine.evaluate() calls model.eval() and nothing in the loop calls model.train().
    # train_counts.py: engine.count_parameters() provably leaves the mode alone, so the loop's own
    # model.eval() is never undone.  train_restores.py: the callee calls model.train() at its end.
    assert sorted(findings) == [("train.py", "TL602"), ("train_counts.py", "TL602")]
    message = findings[("train.py", "TL602")]["message"]
    assert "through `evaluate()`" in message and len(message) <= 160
    # Alone, an imported callee handed the model may set its mode: silent.
    assert alone("tl602_evaluate_elsewhere", "train.py", ["TL602"]) == []
    assert alone("tl602_evaluate_elsewhere", "train_counts.py", ["TL602"]) == []


@pytest.mark.parametrize("name", ["tl601_missing_module"])
def test_missing_module_degrades_to_unknown(tmp_path, monkeypatch, capsys, name):
    findings, _ = run_project(tmp_path, monkeypatch, capsys, name)
    assert findings == {}


def test_training_step_in_another_file_counts_for_the_epoch_loop(tmp_path, monkeypatch, capsys):
    findings, _ = run_project(tmp_path, monkeypatch, capsys, "tl602_train_elsewhere")
    # train.py: engine.train_one_epoch() trains without model.train(), engine.evaluate() calls
    # model.eval(): from epoch 2 on the model trains in eval mode.  train_sets_mode.py imports the
    # variant that calls model.train() first: silent.
    assert list(findings) == [("train.py", "TL602")]
    assert "through `evaluate()`" in findings[("train.py", "TL602")]["message"]
    assert alone("tl602_train_elsewhere", "train.py", ["TL602"]) == []  # no training step visible alone
