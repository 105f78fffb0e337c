"""Work that may crash or stall, done in child processes that the parent watches.

libcst's parser is native code: on some inputs it overflows the C stack (the process
dies of SIGSEGV) or runs for minutes, and no Python signal can interrupt it.  So the
CLI lints in worker processes: the parent hands each worker one file at a time, and
when a worker dies or overruns the per-file budget, the parent kills it, reports that
one file, starts a fresh worker and goes on.  Workers are forked where the platform
can (a few milliseconds; they inherit the imported rules), spawned elsewhere.

`call_with_budget` is the same protection for one call (the flake8 plugin).
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

# libcst's code generation and visitors recurse once per nesting level (a 500-branch
# `elif` chain is 500 levels, ~8 frames each): children run on a big thread stack with
# a recursion limit to match, so such valid files are simply linted.
DEEP_STACK_BYTES = 512 * 1024 * 1024  # address space only: pages are touched as used
DEEP_RECURSION_LIMIT = 60_000


def run_deep(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` on a thread with a deep stack and a recursion limit to match (for child processes)."""
    outcome: List[Any] = []

    def target() -> None:
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


def _worker_main(conn, fn: Callable, arg: Any) -> None:
    # The parent owns Ctrl-C: it stops the run and kills the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.disable()  # a crash is reported by the parent, as one TL000 line
    run_deep(_serve, conn, fn, arg)


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
    def __init__(self, fn: Callable, arg: Any) -> None:
        ours, theirs = _context().Pipe()
        self.conn = ours
        self.process = _context().Process(target=_worker_main, args=(theirs, fn, arg), daemon=True)
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


def supervised_map(
    fn: Callable[[Any, Any], Any],
    arg: Any,
    items: Sequence[Any],
    workers: int,
    budget: Optional[float],
    on_failure: Callable[[Any, str, Optional[int]], Any],
) -> List[Any]:
    """`[fn(arg, item) for item in items]`, in `workers` child processes.

    An item whose worker dies (exit code given) or overruns `budget` seconds gets
    `on_failure(item, CRASHED | TIMED_OUT, exitcode)` instead, and the run goes on.
    """
    results: List[Any] = [None] * len(items)
    queue: Deque[Tuple[int, Any]] = deque(enumerate(items))
    pool: List[_Worker] = []
    busy: Dict[Any, _Worker] = {}

    def replace(worker: _Worker) -> _Worker:
        worker.kill()
        pool.remove(worker)
        fresh = _Worker(fn, arg)
        pool.append(fresh)
        return fresh

    def feed(worker: _Worker) -> None:
        while queue:
            index, item = queue.popleft()
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
        feed(replace(worker) if queue else worker)

    finished = False
    try:
        for _ in range(max(1, min(workers, len(items)))):
            pool.append(_Worker(fn, arg))
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


def call_with_budget(fn: Callable[..., Any], args: tuple, budget: Optional[float]) -> Tuple[str, Any]:
    """Run `fn(*args)` in a forked child: ("ok", result), (CRASHED, exitcode) or (TIMED_OUT, None).

    Without fork (Windows), runs in this process: no protection, but no change either.
    """
    if not CAN_FORK:
        return "ok", fn(*args)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: compute, send, leave without running the parent's cleanup
        status = 0
        try:
            faulthandler.disable()
            os.close(read_fd)
            data = pickle.dumps(("ok", run_deep(fn, *args)))
            with os.fdopen(write_fd, "wb") as out:
                out.write(data)
        except BaseException:
            status = 70
        finally:
            os._exit(status)
    os.close(write_fd)
    chunks: List[bytes] = []
    deadline = time.monotonic() + budget if budget else None
    with os.fdopen(read_fd, "rb") as source:
        conn_ready = _read_until(source, chunks, deadline)
    if not conn_ready:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return TIMED_OUT, None
    _, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and chunks:
        try:
            return pickle.loads(b"".join(chunks))
        except Exception:
            pass
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    return CRASHED, code


def _read_until(source, chunks: List[bytes], deadline: Optional[float]) -> bool:
    """Read `source` to EOF into `chunks`; False if the deadline passes first."""
    import select

    fd = source.fileno()
    while True:
        timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return False
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return True
        chunks.append(chunk)
