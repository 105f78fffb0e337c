"""Derived files are current: README's rules table and the flake8 plugin's rule index."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_rules_table_and_index_are_current():
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "generate_docs.py"), "--check"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
