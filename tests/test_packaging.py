"""The wheel ships rules/ and fixers/ inside the torchlint namespace, never as top-level packages."""

import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_wheel_layout(tmp_path):
    pytest.importorskip("setuptools", reason="building the wheel needs setuptools")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), ROOT],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    [wheel] = list(tmp_path.glob("torchlint-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/", 1)[0] for name in names if not name.split("/", 1)[0].endswith(".dist-info")}
    assert top_level == {"torchlint"}
    assert "torchlint/rules/tl301_view_after_permute.py" in names
    assert "torchlint/fixers/tl301_view_after_permute.py" in names
    assert "torchlint/data/aliases.json" in names and "torchlint/data/rule_index.json" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "torchlint = torchlint.cli:main" in text
    assert "TL = torchlint.flake8_plugin:TorchlintChecker" in text
