"""torchlint eats its own cooking: its sources and the fixed example are clean, and the
buggy example shows real findings that --fix (with unsafe fixes) removes."""

import os
import shutil

from torchlint.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OWN_CODE = ["torchlint", "rules", "fixers", "scripts", "benchmarks", "examples/train_fixed.py"]


def test_own_sources_are_clean(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code = main(["--select", "ALL", *[p for p in OWN_CODE if os.path.exists(p)]])
    out = capsys.readouterr().out
    assert code == 0, out


def test_buggy_example_has_findings_and_fixes_into_the_fixed_example(tmp_path, capsys):
    copy = tmp_path / "train.py"
    shutil.copy(os.path.join(ROOT, "examples", "train_buggy.py"), copy)
    assert main([str(copy)]) == 1
    capsys.readouterr()
    assert main(["--fix", "--unsafe-fixes", str(copy)]) == 0
    with open(os.path.join(ROOT, "examples", "train_fixed.py"), encoding="utf-8") as handle:
        fixed = handle.read()
    assert copy.read_text() == fixed, "examples/train_fixed.py is train_buggy.py after --fix --unsafe-fixes"
