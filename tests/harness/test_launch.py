"""The multi-process launcher: torchrun's environment, and no hang when a rank hangs or dies."""

from __future__ import annotations

import sys

import pytest

from tests.harness.launch import JobFailed, launch

pytestmark = [pytest.mark.harness, pytest.mark.timeout(60)]


def python(code: str) -> list:
    return [sys.executable, "-c", code]


def test_every_rank_gets_the_torchrun_environment(tmp_path):
    show = "import os; print(os.environ['RANK'], os.environ['WORLD_SIZE'], os.environ['MASTER_ADDR'])"
    results = launch(python(show), world_size=2, cwd=str(tmp_path), timeout=30)
    assert [r.output.split() for r in results] == [["0", "2", "127.0.0.1"], ["1", "2", "127.0.0.1"]]
    assert all(r.returncode == 0 for r in results)


def test_a_hanging_job_is_killed_at_the_timeout(tmp_path):
    with pytest.raises(JobFailed, match="timed out after 1s"):
        launch(python("import time; time.sleep(120)"), world_size=2, cwd=str(tmp_path), timeout=1)


def test_a_dead_rank_brings_the_others_down(tmp_path):
    # Rank 0 crashes; rank 1 would wait for it forever (like a rank stuck in a collective).
    code = "import os, sys, time\nif os.environ['RANK'] == '0': sys.exit('rank 0 crashed')\ntime.sleep(120)"
    with pytest.raises(JobFailed, match=r"a rank failed(.|\n)*rank 0 crashed(.|\n)*rank 1 \(killed by signal 9\)"):
        launch(python(code), world_size=2, cwd=str(tmp_path), timeout=100)
