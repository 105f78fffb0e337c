"""TL502: a DDP training script reads its local rank with the default after `os.getenv(...)`
instead of inside it, in every rank of a real 2-process gloo job.

Symptom: `int(os.getenv("LOCAL_RANK"), -1)` raises `ValueError: int() base must be >= 2 and
<= 36, or 0` on every rank, with the variable set (as torchrun sets it) and without it.  After
the safe fix (`int(os.getenv("LOCAL_RANK", -1))`) every rank reads its own local rank, the ranks
agree on the world size, and a run without the variable falls back to -1.  Equivalence: not
applicable, the original never gets past start-up.
"""

WORLD_SIZE = 2
TIMEOUT = 120

PROGRAM = '''
import os

import torch.distributed as dist


def setup():
    local_rank = int(os.getenv("LOCAL_RANK"), -1)
    world_size = int(os.environ.get("WORLD_SIZE"), -1)
    return local_rank, world_size
'''


def symptom(program):
    import os

    import torch.distributed as dist

    errors = []
    for environment in ("set", "unset"):
        saved = dict(os.environ)
        if environment == "unset":
            os.environ.pop("LOCAL_RANK", None)
            os.environ.pop("WORLD_SIZE", None)
        try:
            local_rank, world_size = program.setup()
        except ValueError as error:
            if "base must be" not in str(error):
                raise
            errors.append(f"{environment}: ValueError: {error}")
            continue
        finally:
            os.environ.clear()
            os.environ.update(saved)
        if environment == "set":
            assert local_rank == dist.get_rank() and world_size == dist.get_world_size() == 2, (local_rank, world_size)
        else:
            assert (local_rank, world_size) == (-1, -1), (local_rank, world_size)
    return "; ".join(errors) or None


def judge(ranks):
    shown = [bool(r["symptom"]) for r in ranks]
    assert all(shown) or not any(shown), f"the symptom shows on some ranks only: {ranks}"
