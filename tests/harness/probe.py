"""Run one harness case's probes on one copy of its program, in this process (one rank).

    python tests/harness/probe.py CASE.py PROGRAM.py RESULTS_DIR

Imports the program as the module `program`, calls `case.symptom(program)` and, when the case
has it, `case.outputs(program)`, and writes RESULTS_DIR/rank<RANK>.json:
{"rank": r, "symptom": str | None, "outputs": ...}.  When WORLD_SIZE > 1 (set by launch.py)
the gloo process group is initialised first (and the process leaves without tearing it down); the ranks' results are
gathered and, when the case has it, rank 0 calls `case.judge(results)` on all of them
(a single process calls it on its own result).  Any exception other than the symptom the
probe looks for escapes: the process fails and the harness shows its output.
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import sys

# The process group's own timeout: a lost peer raises instead of hanging until launch.py kills us.
COLLECTIVE_TIMEOUT = datetime.timedelta(seconds=60)


def load_module(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # TorchScript and pickle look classes up by module name
    spec.loader.exec_module(module)
    return module


def _check_symptom_type(symptom) -> None:
    if symptom is not None and not isinstance(symptom, str):
        raise TypeError(f"symptom() must return a str (what showed) or None, got {symptom!r}")


def main(case_path: str, program_path: str, results_dir: str) -> None:
    rank = int(os.environ.get("RANK", "0"))
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    case = load_module("harness_case", case_path)
    distributed = world_size > 1
    if distributed:
        import torch.distributed as dist

        dist.init_process_group("gloo", rank=rank, world_size=world_size, timeout=COLLECTIVE_TIMEOUT)
    try:
        sys.path.insert(0, os.path.dirname(os.path.abspath(program_path)))
        program = load_module("program", program_path)
        result = {"rank": rank, "symptom": case.symptom(program)}
        if hasattr(case, "outputs"):
            result["outputs"] = case.outputs(program)
        _check_symptom_type(result["symptom"])
        ranks = [result]
        if distributed:
            ranks = [None] * world_size
            dist.all_gather_object(ranks, result)
        if hasattr(case, "judge") and rank == 0:
            case.judge(ranks)
        with open(os.path.join(results_dir, f"rank{rank}.json"), "w", encoding="utf-8") as handle:
            json.dump(result, handle)
        if distributed:
            dist.barrier()  # every rank has its result on disk before any rank leaves
    except BaseException:
        if distributed:
            dist.destroy_process_group()
        raise
    if distributed:
        # Leave without tearing gloo down: its background threads sometimes abort the process
        # at teardown ("terminate called without an active exception") after all work is done.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


if __name__ == "__main__":
    main(*sys.argv[1:])
