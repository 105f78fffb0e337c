"""Run one command as N processes the way `torchrun` does, bounded by a timeout.

Every process gets the torchrun environment (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR,
MASTER_PORT) for a free port on 127.0.0.1, so `dist.init_process_group("gloo")` works in
it unchanged.  Each process runs in its own session: on a timeout, or when one rank dies
(the others would wait for it forever in a collective), the whole job is killed, children
included.  This module does not import torch.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

# How long the surviving ranks may take to notice a dead peer before they are killed.
PEER_DEATH_GRACE_S = 2.0


@dataclass
class RankResult:
    rank: int
    returncode: int  # negative: killed by that signal (by us, on a timeout or a peer's death)
    output: str  # stdout and stderr together


class JobFailed(AssertionError):
    """A rank crashed or the job ran past its timeout; the message carries every rank's output."""


# Ports given to jobs of this process: two jobs started at once must not get the same one
# (the OS may hand a just-released port out again before the first job's rank 0 binds it).
_ports_handed_out = set()
_ports_lock = threading.Lock()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        with _ports_lock:
            if port not in _ports_handed_out:
                _ports_handed_out.add(port)
                return port


def rank_environment(rank: int, world_size: int, port: int) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world_size),
        LOCAL_WORLD_SIZE=str(world_size),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        OMP_NUM_THREADS=env.get("OMP_NUM_THREADS", "1"),  # N ranks on few cores: don't oversubscribe
    )
    # gloo otherwise binds to whatever the hostname resolves to, which may be unreachable.
    if sys.platform.startswith("linux"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    elif sys.platform == "darwin":
        env.setdefault("GLOO_SOCKET_IFNAME", "lo0")
    return env


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


def launch(argv: Sequence[str], world_size: int, cwd: str, timeout: float) -> List[RankResult]:
    """Run `argv` as ranks 0..world_size-1; every rank's result, or JobFailed."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="torchlint-launch-") as logs:
        log_paths = [os.path.join(logs, f"rank{rank}.log") for rank in range(world_size)]
        processes = []
        for rank, log_path in enumerate(log_paths):
            with open(log_path, "wb") as log:  # a file, not a pipe: a chatty rank cannot block
                processes.append(subprocess.Popen(
                    list(argv), cwd=cwd, env=rank_environment(rank, world_size, port),
                    stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                ))  # fmt: skip
        problem = _wait(processes, timeout)
        for process in processes:
            _kill(process)
        results = []
        for rank, (process, log_path) in enumerate(zip(processes, log_paths)):
            with open(log_path, encoding="utf-8", errors="replace") as log:
                output = log.read()
            results.append(RankResult(rank, process.returncode, output))
    if problem is None and any(r.returncode != 0 for r in results):
        problem = "a rank failed"
    if problem is not None:
        raise JobFailed(_describe(problem, argv, results))
    return results


def _wait(processes: List[subprocess.Popen], timeout: float) -> Optional[str]:
    """None when every rank exited 0; otherwise why the job is being stopped."""
    deadline = time.monotonic() + timeout
    first_death = None
    while True:
        codes = [p.poll() for p in processes]
        if all(code is not None for code in codes):
            return None if all(code == 0 for code in codes) else "a rank failed"
        if first_death is None and any(code not in (None, 0) for code in codes):
            first_death = time.monotonic()
        if first_death is not None and time.monotonic() - first_death > PEER_DEATH_GRACE_S:
            return "a rank failed; the others were killed"
        if time.monotonic() > deadline:
            return f"timed out after {timeout:g}s; every rank was killed"
        time.sleep(0.05)


def _describe(problem: str, argv: Sequence[str], results: List[RankResult]) -> str:
    lines = [f"{problem}: {' '.join(argv)}"]
    for r in results:
        status = f"killed by signal {-r.returncode}" if r.returncode < 0 else f"exit {r.returncode}"
        tail = r.output[-4000:]
        lines.append(f"--- rank {r.rank} ({status}) ---\n{tail}")
    return "\n".join(lines)
