"""TL503: a DDP training script written for `python -m torch.distributed.launch` declares only
`--local_rank`; every rank of a real 2-process gloo job gets its arguments the way the launcher
of PyTorch >= 2.0 passes them, `--local-rank=<LOCAL_RANK>`.

Symptom: argparse rejects the argument and exits (`error: unrecognized arguments:
--local-rank=0`) on every rank.  After the safe fix (the `"--local-rank"` alias) every rank
parses its own local rank, and the old spelling `--local_rank=N` (older launchers) still parses
to the same value (`outputs()`, equal before and after).
"""

WORLD_SIZE = 2
TIMEOUT = 120

PROGRAM = '''
import argparse

import torch
import torch.distributed as dist


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="ImageNet training")
    parser.add_argument("--epochs", type=int, default=90)
    parser.add_argument("--local_rank", type=int, default=-1, help="set by the launcher")
    return parser.parse_args(argv)


def setup(argv=None):
    args = parse_args(argv)
    if args.local_rank != -1:
        torch.manual_seed(args.local_rank)
    return args
'''


def symptom(program):
    import contextlib
    import io
    import os

    import torch.distributed as dist

    launcher_argv = ["--epochs", "1", f"--local-rank={os.environ['LOCAL_RANK']}"]  # what launch passes
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            args = program.setup(launcher_argv)
    except SystemExit:
        if "unrecognized arguments" not in stderr.getvalue():
            raise
        return stderr.getvalue().strip().splitlines()[-1]
    assert args.local_rank == dist.get_rank() and args.epochs == 1, args
    return None


def outputs(program):
    """The old launcher's spelling parses the same before and after the fix."""
    return vars(program.setup(["--local_rank=1"]))


def judge(ranks):
    shown = [bool(r["symptom"]) for r in ranks]
    assert all(shown) or not any(shown), f"the symptom shows on some ranks only: {ranks}"
