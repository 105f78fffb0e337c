"""Generated tables about torch are current for the installed torch (they are committed data)."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "torchlint", "data")
torch = pytest.importorskip("torch", reason="tables are regenerated from an installed torch")


def generated_version():
    with open(os.path.join(DATA, "aliases.json"), encoding="utf-8") as handle:
        return json.load(handle)["_generated_by"].rsplit(" ", 1)[1]


def test_tables_match_installed_torch():
    installed = torch.__version__.split("+")[0]
    if installed != generated_version():
        pytest.skip(f"tables describe torch {generated_version()}, installed is {installed}")
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "generate_tables.py"), "--check"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr


def test_every_table_has_a_generator():
    generators = {f[:-3] for f in os.listdir(os.path.join(ROOT, "scripts", "tables")) if not f.startswith("_")}
    tables = {f[:-5] for f in os.listdir(DATA) if f.endswith(".json") and f != "rule_index.json"}
    assert tables <= generators


def test_optimizer_table_is_what_objects_reads():
    import inspect

    from torchlint import tables
    from torchlint.analysis.objects import OPTIMIZERS

    assert OPTIMIZERS == tables.optimizer_classes()
    installed = {n for n, o in vars(torch.optim).items() if inspect.isclass(o) and issubclass(o, torch.optim.Optimizer)}
    assert installed <= OPTIMIZERS, installed - OPTIMIZERS
    assert {"SGD", "Adam", "AdamW", "Optimizer"} <= OPTIMIZERS


def test_torchvision_table_matches_installed_torchvision():
    # torchvision is a generation-time and test dependency of TL803 only (CI has none): linting never imports it.
    try:
        import torchvision
    except ImportError:
        pytest.skip("torchvision is not importable: torchvision_weights.json is checked only where it is installed")
    with open(os.path.join(DATA, "torchvision_weights.json"), encoding="utf-8") as handle:
        generated = json.load(handle)["_generated_by"]
    installed = f"torchvision {torchvision.__version__.split('+')[0]}"
    if not generated.endswith(installed):
        pytest.skip(f"the table was {generated.split(' from ')[1]}, installed is {installed}")
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "generate_tables.py"), "--check", "torchvision_weights"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
