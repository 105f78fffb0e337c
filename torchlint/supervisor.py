"""Work that may crash or stall, done in child processes that the parent watches.

libcst's parser is native code: on some inputs it overflows the C stack (the process
dies of SIGSEGV) or runs for minutes, and no Python signal can interrupt it.  So the
CLI lints in worker processes: the parent hands each worker one file at a time, and
when a worker dies or overruns the per-file budget, the parent kills it, reports that
one file, starts a fresh worker and goes on.  Workers are forked where the platform
can (a few milliseconds; they inherit the imported rules), spawned elsewhere.

`ForkedWorker` is the same protection, call by call, for the flake8 plugin.
"""

from __future__ import annotations

import faulthandler
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import wait
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

CAN_FORK = hasattr(os, "fork") and "fork" in multiprocessing.get_all_start_methods()

CRASHED, TIMED_OUT = "crashed", "timed out"

DEFAULT_TIMEOUT = 20.0  # seconds per file; a file that takes longer is skipped (TL000)

# libcst's code generation and visitors recurse once per nesting level (a 500-branch
# `elif` chain is 500 levels, ~8 frames each): children run on a big thread stack with
# a recursion limit to match, so such valid files are simply linted.
DEEP_STACK_BYTES = 512 * 1024 * 1024  # address space only: pages are touched as used
DEEP_RECURSION_LIMIT = 60_000


_deep = threading.local()


def in_deep_thread() -> bool:
    return getattr(_deep, "active", False)


def run_deep(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` on a thread with a deep stack and a recursion limit to match (for child processes)."""
    outcome: List[Any] = []

    def target() -> None:
        _deep.active = True
        try:
            outcome.append((True, fn(*args)))
        except BaseException as exc:  # noqa: B036 - handed back to the caller below
            outcome.append((False, exc))

    old_limit = sys.getrecursionlimit()
    try:
        threading.stack_size(DEEP_STACK_BYTES)
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
    except (RuntimeError, ValueError, MemoryError):  # no big stacks here: run as is
        return fn(*args)
    finally:
        threading.stack_size(0)
    sys.setrecursionlimit(max(old_limit, DEEP_RECURSION_LIMIT))
    try:
        thread.join()
    finally:
        sys.setrecursionlimit(old_limit)
    ok, value = outcome[0]
    if ok:
        return value
    raise value


def _context():
    return multiprocessing.get_context("fork" if CAN_FORK else "spawn")


def _worker_main(conn, fn: Callable, arg: Any, deep: bool = True) -> None:
    # The parent owns Ctrl-C: it stops the run and kills the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.disable()  # a crash is reported by the parent, as one TL000 line
    if deep:
        run_deep(_serve, conn, fn, arg)
    else:
        _serve(conn, fn, arg)


def _serve(conn, fn: Callable, arg: Any) -> None:
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, item = message
        conn.send((index, fn(arg, item)))


class _Worker:
    def __init__(self, fn: Callable, arg: Any, deep: bool = True) -> None:
        ours, theirs = _context().Pipe()
        self.conn = ours
        self.process = _context().Process(target=_worker_main, args=(theirs, fn, arg, deep), daemon=True)
        self.process.start()
        theirs.close()
        self.task: Optional[Tuple[int, Any]] = None
        self.deadline = 0.0

    def give(self, index: int, item: Any, budget: Optional[float]) -> None:
        self.task = (index, item)
        self.deadline = time.monotonic() + budget if budget else float("inf")
        self.conn.send((index, item))

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(timeout=5)
        self.kill()


def contiguous_shares(items: Sequence[Any], count: int) -> List[Deque[Any]]:
    """`items` cut into `count` contiguous runs of (nearly) equal length, in order."""
    shares: List[Deque[Any]] = [deque() for _ in range(max(1, count))]
    for index, item in enumerate(items):
        shares[index * len(shares) // len(items)].append(item)
    return shares


def supervised_map(
    fn: Callable[[Any, Any], Any],
    arg: Any,
    items: Sequence[Any],
    workers: int,
    budget: Optional[float],
    on_failure: Callable[[Any, str, Optional[int]], Any],
    deep: bool = True,
) -> List[Any]:
    """`[fn(arg, item) for item in items]`, in `workers` child processes.

    An item whose worker dies (exit code given) or overruns `budget` seconds gets
    `on_failure(item, CRASHED | TIMED_OUT, exitcode)` instead, and the run goes on.
    `deep`: workers run on a big stack (`run_deep`); False: on their main thread.
    """
    results: List[Any] = [None] * len(items)
    count = max(1, min(workers, len(items)))
    # Each worker takes its own contiguous share of the items (files in path order: neighbours share
    # the first-party modules the project model summarises, so each worker summarises its own), and
    # when that is done takes from the far end of the largest share left (the load stays balanced).
    shares = contiguous_shares(list(enumerate(items)), count)
    home: Dict[int, int] = {}  # id(worker) -> its share
    pool: List[_Worker] = []
    busy: Dict[Any, _Worker] = {}

    def pending() -> bool:
        return any(shares)

    def take(worker: _Worker) -> Tuple[int, Any]:
        own = shares[home[id(worker)]]
        if own:
            return own.popleft()
        return max(shares, key=len).pop()

    def replace(worker: _Worker) -> _Worker:
        worker.kill()
        pool.remove(worker)
        fresh = _Worker(fn, arg, deep)
        home[id(fresh)] = home.pop(id(worker))
        pool.append(fresh)
        return fresh

    def feed(worker: _Worker) -> None:
        while pending():
            index, item = take(worker)
            try:
                worker.give(index, item, budget)
            except OSError:  # it died while idle: not this item's fault, so a fresh worker tries it
                worker = replace(worker)
                try:
                    worker.give(index, item, budget)
                except OSError:
                    results[index] = on_failure(item, CRASHED, worker.process.exitcode)
                    worker.task = None
                    continue
            busy[worker.conn] = worker
            return

    def fail(worker: _Worker, how: str) -> None:
        del busy[worker.conn]
        index, item = worker.task
        worker.kill()
        results[index] = on_failure(item, how, worker.process.exitcode)
        feed(replace(worker) if pending() else worker)

    finished = False
    try:
        for share in range(count):
            pool.append(_Worker(fn, arg, deep))
            home[id(pool[-1])] = share
        for worker in list(pool):
            feed(worker)
        while busy:
            soonest = min(w.deadline for w in busy.values())
            timeout = None if soonest == float("inf") else max(0.0, soonest - time.monotonic())
            for conn in wait(list(busy), timeout):
                worker = busy[conn]
                try:
                    index, result = conn.recv()
                except (EOFError, OSError, pickle.UnpicklingError):
                    fail(worker, CRASHED)
                    continue
                results[index] = result
                worker.task = None
                del busy[conn]
                feed(worker)
            now = time.monotonic()
            for worker in [w for w in busy.values() if w.deadline <= now]:
                fail(worker, TIMED_OUT)
        finished = True
    finally:
        for worker in pool:
            worker.stop() if finished and worker.process.is_alive() else worker.kill()
    return results


class ForkedWorker:
    """One long-lived forked child that serves `fn(arg, item)` calls on a budget (the flake8 plugin).

    Raw `os.fork`, not multiprocessing: flake8's own pool workers are daemonic processes,
    which multiprocessing forbids to have children.  A call whose child dies or overruns
    kills it; the next call forks a fresh one.  Only where fork exists (`CAN_FORK`).
    """

    def __init__(self, fn: Callable[[Any, Any], Any], arg: Any) -> None:
        self.fn, self.arg = fn, arg
        self.pid: Optional[int] = None
        self.conn = None

    def _start(self) -> None:
        ours, theirs = multiprocessing.Pipe()
        pid = os.fork()
        if pid == 0:  # the child: serve until the parent goes, never run the parent's cleanup
            status = 0
            try:
                ours.close()
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                faulthandler.disable()
                run_deep(_serve, theirs, self.fn, self.arg)
            except BaseException:  # noqa: B036 - the child must leave through os._exit
                status = 70
            finally:
                os._exit(status)
        theirs.close()
        self.pid, self.conn = pid, ours

    def call(self, item: Any, budget: Optional[float]) -> Tuple[str, Any]:
        """("ok", result), (CRASHED, exit code) or (TIMED_OUT, None)."""
        if self.pid is None:
            self._start()
        try:
            self.conn.send((0, item))
            if wait([self.conn], budget):
                return "ok", self.conn.recv()[1]
            how = TIMED_OUT
        except (EOFError, OSError, pickle.UnpicklingError):
            how = CRASHED
        return how, self._reap(kill=how == TIMED_OUT)

    def _reap(self, kill: bool) -> Optional[int]:
        pid, self.pid = self.pid, None
        self.conn.close()
        if kill:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _, status = os.waitpid(pid, 0)
        return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)

    def close(self) -> None:
        if self.pid is not None:
            try:
                self.conn.send(None)
            except OSError:
                pass
            self._reap(kill=False)
