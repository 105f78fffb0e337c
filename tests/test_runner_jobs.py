"""`-j`: how many worker processes a run gets (runner.worker_count), and a small run stays supervised."""

from __future__ import annotations

import pytest

from torchlint import runner, supervisor


def _files(tmp_path, count, size=100):
    paths = []
    for index in range(count):
        path = tmp_path / f"m{index}.py"
        path.write_text("x = 1\n" * (size // 6))
        paths.append(str(path))
    return paths


def test_small_runs_get_one_worker_whatever_j_says(tmp_path):
    few = _files(tmp_path, runner.SMALL_RUN_FILES)
    assert runner.worker_count(few, 8) == 1
    assert runner.worker_count(few, None) == 1


def test_many_small_files_under_the_size_limit_get_one_worker(tmp_path):
    many = _files(tmp_path, runner.SMALL_RUN_FILES + 30, size=1000)  # 80 files, 80 kB
    assert runner.worker_count(many, 4) == 1


def test_large_runs_get_the_workers_asked_for(tmp_path):
    large = _files(tmp_path, runner.SMALL_RUN_FILES + 30, size=runner.SMALL_RUN_BYTES // 40)
    assert runner.worker_count(large, 4) == 4
    assert runner.worker_count(large, 1) == 1
    assert runner.worker_count(large[:12], 8) == 1  # small by count
    assert runner.worker_count(large, 100) == len(large) // 4  # at least four files per worker


def test_missing_files_count_as_empty(tmp_path):
    paths = [str(tmp_path / f"gone{i}.py") for i in range(runner.SMALL_RUN_FILES + 1)]
    assert runner.worker_count(paths, 4) == 1


@pytest.mark.skipif(not supervisor.CAN_FORK, reason="small runs are supervised where fork exists")
def test_a_small_run_is_still_supervised(tmp_path, monkeypatch):
    """One worker, watched by the parent: a crash there costs one file, not the run."""
    seen = {}
    real = supervisor.supervised_map

    def spy(fn, arg, items, workers, *rest, **kwargs):
        seen["workers"] = workers
        return real(fn, arg, items, workers, *rest, **kwargs)

    monkeypatch.setattr(supervisor, "supervised_map", spy)
    paths = _files(tmp_path, 3)
    results = runner.run(runner.Job(rule_codes=("TL802",)), paths, jobs=8)
    assert seen["workers"] == 1
    assert [r.path for r in results] == sorted(paths)


def test_workers_take_contiguous_shares_of_the_files():
    # Files in path order: neighbours import the same first-party modules, so a worker that lints a
    # contiguous run of them summarises those modules once (the project model), not every worker.
    from torchlint.supervisor import contiguous_shares

    shares = [list(s) for s in contiguous_shares(list(range(10)), 3)]
    assert shares == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert [list(s) for s in contiguous_shares([], 2)] == [[], []]
    assert [list(s) for s in contiguous_shares([1, 2], 1)] == [[1, 2]]


def test_each_worker_starts_on_its_own_share(tmp_path):
    import os

    from torchlint.supervisor import supervised_map

    pids = supervised_map(lambda _arg, _item: os.getpid(), None, list(range(8)), 2, None, lambda *a: None, deep=False)
    assert pids[0] != pids[4]  # the first item of each share goes to a different worker
    assert set(pids) <= {pids[0], pids[4]}


def test_a_run_collects_cyclic_garbage_less_often_and_restores_the_collector(tmp_path, monkeypatch):
    # Parsing allocates millions of acyclic nodes: while a run lints, the collector's first generation
    # waits for engine.GC_THRESHOLD allocations, with what was alive before frozen; afterwards the
    # thresholds and the frozen set are as they were.
    import gc

    from torchlint import engine
    from torchlint.runner import Job

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    seen = []

    def lint(job, paths, jobs=None):
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        return []

    monkeypatch.setattr(runner, "_run", lint)
    runner.run(Job(), _files(tmp_path, 2))
    (threshold, frozen_during), = seen
    assert threshold == (engine.GC_THRESHOLD, before[1], before[2]) and threshold[0] > before[0]
    assert frozen_during > frozen
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
