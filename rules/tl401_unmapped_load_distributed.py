"""TL401 unmapped-load-distributed."""

from __future__ import annotations

from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.facts import call_sites
from torchlint.context import FileContext
from torchlint.names import dotted_name
from torchlint.rule import Rule, Violation

LOAD = "torch.load"
MAP_LOCATION_SLOT = 1  # torch.load(f, map_location=None, ...)
PROCESS_GROUP_INIT = ("torch.distributed.init_process_group",)
DDP = ("torch.nn.parallel.DistributedDataParallel",)
SPAWNERS = ("torch.multiprocessing.spawn", "torch.multiprocessing.start_processes")
RANK_VARIABLES = {"LOCAL_RANK", "RANK"}
# Guards that keep a block on one process: `if rank == 0:`, `if is_main_process():`.
_SINGLE_PROCESS_HINTS = ("is_main_process", "is_master", "main_process", "is_rank_zero", "is_global_zero")


def multiprocess_evidence(ctx: FileContext) -> Optional[str]:
    """Why this file runs in several processes (a phrase for the message), or None."""
    return ctx.memo("tl401.evidence", lambda: _evidence(ctx))


def _evidence(ctx: FileContext) -> Optional[str]:
    for call in ctx.nodes(cst.Call):
        if ctx.is_name(call.func, *PROCESS_GROUP_INIT):
            return "initialises a process group"
        if ctx.is_name(call.func, *DDP):
            return "wraps a model in DistributedDataParallel"
        if ctx.is_name(call.func, *SPAWNERS):
            return "starts workers with torch.multiprocessing.spawn"
        if _reads_rank_variable(ctx, call):
            return "reads the rank from the environment"
    for subscript in ctx.nodes(cst.Subscript):
        if dotted_name(subscript.value) == "os.environ" and _rank_literal(subscript.slice[0].slice):
            if not isinstance(ctx.parent(subscript), (cst.AssignTarget, cst.Del)):  # a read, not a set-up
                return "reads the rank from the environment"
    return None


def _rank_literal(node) -> bool:
    value = getattr(node, "value", None)
    return isinstance(value, cst.SimpleString) and value.evaluated_value in RANK_VARIABLES


def _reads_rank_variable(ctx: FileContext, call: cst.Call) -> bool:
    """`os.environ.get("LOCAL_RANK")`, `os.getenv("RANK", 0)`."""
    if dotted_name(call.func) not in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
        return False
    first = call.args[0].value if call.args else None
    return isinstance(first, cst.SimpleString) and first.evaluated_value in RANK_VARIABLES


def unmapped_load(ctx: FileContext, call: cst.Call) -> bool:
    """A `torch.load(...)` with no `map_location` (or `map_location=None`)."""
    if not ctx.is_name(call.func, LOAD) or not call.args:
        return False
    positional = 0
    for arg in call.args:
        if arg.star:
            return False  # `**kwargs` may carry it
        if arg.keyword is None:
            if positional == MAP_LOCATION_SLOT:
                return _is_none(arg.value)
            positional += 1
        elif arg.keyword.value == "map_location":
            return _is_none(arg.value)
    return True


def _is_none(node) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _saved_here_before(ctx: FileContext, load: cst.Call) -> bool:
    """`torch.save(x, path)` earlier in the same function, to the same path: a round trip."""
    path = ctx.code(load.args[0].value)
    scope = ctx.scope_of(load)
    for call in ctx.nodes(cst.Call):
        if ctx.order(call) >= ctx.order(load):
            break
        if ctx.is_name(call.func, "torch.save") and len(call.args) >= 2 and ctx.scope_of(call) is scope:
            target = next((a for a in call.args if a.keyword and a.keyword.value == "f"), call.args[1])
            if ctx.code(target.value) == path:
                return True
    return False


def _on_one_process(ctx: FileContext, node: cst.CSTNode, depth: int = 0) -> bool:
    """Inside `if rank == 0:` / `if is_main_process():` -- only the first rank loads -- or in a
    same-file function called only from such places."""
    for ancestor in ctx.ancestors(node):
        if isinstance(ancestor, cst.If) and ctx.contains(ancestor.body, node) and _rank_zero_test(ctx, ancestor.test):
            return True
    function = ctx.enclosing(node, (cst.FunctionDef,))
    if function is None or depth >= 3:
        return False
    sites = call_sites(ctx, function)
    return bool(sites) and all(_on_one_process(ctx, site, depth + 1) for site in sites)


def _rank_zero_test(ctx: FileContext, test: cst.BaseExpression) -> bool:
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return False  # `if not is_main_process():` runs everywhere else
    code = ctx.code(test).replace(" ", "")
    if any(hint in code for hint in _SINGLE_PROCESS_HINTS):
        return True
    lowered = code.lower()
    return "rank" in lowered and any(zero in lowered for zero in ("==0", "in[-1,0]", "in(-1,0)", "in[0,-1]"))


class UnmappedLoadDistributed(Rule):
    code = "TL401"
    name = "unmapped-load-distributed"
    summary = "`torch.load()` without `map_location` in multi-process code: every rank loads onto `cuda:0`"
    why = """
        `torch.load` puts each tensor back on the device it was saved from -- for a checkpoint
        written by rank 0 of a GPU job, `cuda:0`.  When every process of a distributed job loads
        it, every rank allocates the whole checkpoint on GPU 0: GPU 0 runs out of memory

            torch.OutOfMemoryError: CUDA out of memory. Tried to allocate ... (GPU 0; ...)

        or the ranks silently share one device, and on a machine without that GPU the load
        fails outright ("Attempting to deserialize object on a CUDA device but
        torch.cuda.is_available() is False").  Pass `map_location` (`"cpu"`, or the rank's own
        device) whenever several processes load.

        torchlint reports loads in files that initialise a process group, wrap a model in
        `DistributedDataParallel`, read `LOCAL_RANK`/`RANK` from the environment, or start
        workers with `torch.multiprocessing.spawn`; not loads guarded to rank 0, and not a
        reload of a file the same function has just saved.
    """
    bad = """
        import torch
        import torch.distributed as dist

        dist.init_process_group("nccl")
        model.load_state_dict(torch.load("checkpoint.pt"))
    """
    good = """
        import torch
        import torch.distributed as dist

        dist.init_process_group("nccl")
        model.load_state_dict(torch.load("checkpoint.pt", map_location="cpu"))
    """
    fix_does = """
        Adds `map_location="cpu"`.  Unsafe in general: code that uses the loaded tensors
        directly now gets CPU tensors where it got CUDA ones.  It is safe in fact when the
        result only flows into `load_state_dict`, which copies values onto the parameters' own
        devices.
    """
    requires_text = (("load",), ("init_process_group", "DistributedDataParallel", "RANK", "multiprocessing"))

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        evidence = None
        for call in ctx.nodes(cst.Call):
            if not unmapped_load(ctx, call):
                continue
            evidence = evidence or multiprocess_evidence(ctx)
            if evidence is None:
                return
            if _saved_here_before(ctx, call) or _on_one_process(ctx, call):
                continue
            yield self.violation(
                ctx,
                call,
                f"`torch.load()` without `map_location` in code that runs on several processes (this file "
                f"{evidence}): every rank restores the tensors onto the device they were saved from, "
                f"usually cuda:0; pass `map_location=\"cpu\"` (or the rank's device)",
            )
