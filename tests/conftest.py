import os
import shutil
import sys

import pytest

# Make `tests.helpers` importable however pytest is invoked.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


PROJECTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "projects")


@pytest.fixture
def copied_project(tmp_path, monkeypatch):
    """`copied_project(name)`: a fresh copy of tests/projects/<name> in tmp, made the working directory."""

    def make(name):
        target = tmp_path / name
        shutil.copytree(os.path.join(PROJECTS, name), target)
        monkeypatch.chdir(target)
        return target

    return make
