"""TL701 cuda-timing-without-sync."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

import libcst as cst

from torchlint.analysis.dataflow import reaching_assignments
from torchlint.analysis.devices import calls_in_order, cuda_certainty, implicit_sync, syncs
from torchlint.analysis.facts import resolve_call, same_file_class
from torchlint.analysis.training import innermost_loop
from torchlint.context import FileContext
from torchlint.names import dotted_name
from torchlint.rule import Rule, Violation
from torchlint.rule_screens import CLOCKS

# Calls that never put work on the GPU: they do not make a measured region "GPU work".
_HOST_ONLY = frozenset({"print", "len", "range", "enumerate", "zip", "str", "repr", "format", "isinstance", "next",
                        "iter", "list", "tuple", "dict", "set", "sorted", "min", "max", "round", "abs", "open",
                        "getattr", "hasattr", "setattr", "sum", "map", "filter"})  # fmt: skip
_HOST_ROOTS = ("time", "logging", "logger", "log", "os", "sys", "json", "np", "numpy", "math", "random", "tqdm",
               "pbar", "writer", "wandb", "args", "opt", "cfg", "parser", "datetime", "shutil", "pickle", "csv",
               "warnings", "self.logger", "self.writer")  # fmt: skip
_HOST_METHODS = frozenset({"format", "join", "append", "extend", "update", "info", "debug", "warning", "write",
                           "add_scalar", "set_description", "set_postfix", "keys", "values", "items", "get",
                           "strip", "replace", "reset", "display", "flush", "close", "size", "dim", "cuda", "to",
                           "eval", "train", "parameters", "state_dict", "numel", "encode", "decode",
                           "zero_grad"})  # fmt: skip
# Methods that queue GPU kernels on a CUDA tensor, module or optimizer.
_GPU_METHODS = frozenset({"backward", "step", "view", "reshape", "permute", "transpose", "contiguous",
                          "float", "half", "sum", "mean", "max", "min", "argmax", "softmax", "log_softmax", "sigmoid",
                          "exp", "log", "matmul", "mm", "bmm", "squeeze", "unsqueeze", "expand", "repeat", "clamp",
                          "add", "add_", "mul", "mul_", "div", "sub", "pow", "sqrt", "abs", "topk", "sort", "gather",
                          "index_select", "masked_fill", "flatten", "chunk", "norm", "t", "zero_", "fill_", "copy_",
                          "clone", "detach", "relu", "tanh", "type"})  # fmt: skip
_NOT_WORK_TORCH = ("torch.no_grad", "torch.inference_mode", "torch.set_grad_enabled", "torch.device",
                   "torch.manual_seed", "torch.load", "torch.autocast", "torch.cuda.amp.autocast",
                   "torch.amp.autocast", "torch.from_numpy")  # fmt: skip
HOST, WORK, OPAQUE, SYNC = "host", "work", "opaque", "sync"
_MAX_DEPTH = 3


@dataclass
class UnsyncedTiming:
    start: cst.Call  # the clock read that starts the interval
    end: cst.Call  # the clock read that ends it
    certainty: str  # CERTAIN: CUDA is certainly in use (a plain synchronize is safe); else POSSIBLE
    sync_before_start: bool  # GPU work precedes the start read too


def is_clock(ctx: FileContext, node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and not node.args and ctx.call_name(node) in CLOCKS


def timings(ctx: FileContext) -> Dict[int, UnsyncedTiming]:
    """id(end clock call) -> the unsynchronised interval it closes."""
    return ctx.memo("tl701.timings", lambda: _find(ctx))


def _start_of(ctx: FileContext, name: cst.BaseExpression) -> Optional[cst.Call]:
    """`t0` in `time.time() - t0`: the clock read assigned to it, when that is the only value reaching."""
    if not isinstance(name, cst.Name):
        return None
    reaching = reaching_assignments(ctx, name)
    if not reaching or not all(is_clock(ctx, a.value) for a in reaching):
        return None
    return max((a.value for a in reaching), key=ctx.order)  # the latest read that may reach


def _intervals(ctx: FileContext):
    """(start call, end call) for `clock() - t0` and for `t1 = clock()` ... `t1 - t0`."""
    for op in ctx.nodes(cst.BinaryOperation):
        if not isinstance(op.operator, cst.Subtract):
            continue
        start = _start_of(ctx, op.right)
        if start is None:
            continue
        if is_clock(ctx, op.left):
            yield start, op.left
        else:
            end = _start_of(ctx, op.left)
            if end is not None and ctx.order(end) > ctx.order(start):
                yield start, end


def classify(ctx: FileContext, call: cst.Call, depth: int = 0) -> str:
    """HOST (no GPU work), WORK (queues GPU kernels), SYNC (waits for the GPU) or OPAQUE (code we cannot
    see, which may wait for the GPU itself: an imported helper, a method of some object)."""
    if syncs(ctx, call) if depth == 0 else implicit_sync(ctx, call):
        return SYNC
    if is_clock(ctx, call):
        return HOST
    qualified = ctx.call_name(call)
    if qualified is not None:
        if qualified.startswith("torch."):
            return HOST if qualified.startswith(_NOT_WORK_TORCH) or qualified.startswith("torch.cuda.") else WORK
        root = qualified.split(".", 1)[0]
        return HOST if root in _HOST_ROOTS or root in _HOST_ONLY else OPAQUE
    callee = resolve_call(ctx, call)
    if callee is not None:
        if depth >= _MAX_DEPTH:
            return OPAQUE
        kinds = {classify(ctx, inner, depth + 1) for inner in calls_in_order(ctx, callee)}
        for kind in (SYNC, OPAQUE, WORK):
            if kind in kinds:
                return kind
        return HOST
    func = call.func
    spelled = dotted_name(func)
    if isinstance(func, cst.Name):
        if func.value in _HOST_ONLY or same_file_class(ctx, func.value) is not None:
            return HOST
        return WORK  # `model(x)`, `criterion(out, y)`: a module held in a variable
    if isinstance(func, cst.Attribute) and spelled is not None:
        receiver = spelled.rsplit(".", 1)[0]
        if receiver.split(".", 1)[0] in _HOST_ROOTS or receiver in _HOST_ROOTS:
            return HOST
        if func.attr.value in _HOST_METHODS:
            return HOST
        if func.attr.value in _GPU_METHODS:
            return WORK
        if receiver.split(".", 1)[0] == "self" and receiver.count(".") == 0:
            return WORK  # `self.net(x)`: a submodule called (methods resolved above)
        return OPAQUE
    if isinstance(func, cst.Attribute) and func.attr.value in _GPU_METHODS:
        return WORK  # `model(x).sum()`, `(a @ b).float()`
    return HOST if isinstance(func, cst.Attribute) and func.attr.value in _HOST_METHODS else OPAQUE


def _repeated_or_training(ctx: FileContext, region: List[cst.Call], start: cst.Call, end: cst.Call) -> bool:
    """A benchmark loop (work repeated inside the interval) or a training step (backward/optimizer step).

    One timed forward is not reported: a model whose code we cannot see often waits for the GPU
    itself (data-dependent control flow in detection post-processing), which makes such timings right.
    """
    for call in region:
        if classify(ctx, call) != WORK:
            continue
        if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("backward", "step"):
            return True
        loop = innermost_loop(ctx, call)
        if loop is not None and not ctx.contains(loop, start) and not ctx.contains(loop, end):
            return True
    return False


def blocking_copy(ctx: FileContext, call: cst.Call) -> bool:
    """`x.cuda()`, `x.to(device)` without `non_blocking=True`: the copy waits for the queued work."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in ("cuda", "to")):
        return False
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "non_blocking":
            return isinstance(arg.value, cst.Name) and arg.value.value == "False"
    if func.attr.value == "cuda":
        return True
    first = call.args[0].value if call.args else None
    if first is None or ctx.qualified_name(first) is not None and "float" in (ctx.qualified_name(first) or ""):
        return False  # `.to(torch.float16)`: no copy between devices
    text = ctx.code(first).lower()
    return any(word in text for word in ("cuda", "device", "gpu", "rank"))


def _drop_synced_loops(ctx: FileContext, region: List[cst.Call], start: cst.Call, end: cst.Call) -> List[cst.Call]:
    """Leave out loops inside the interval whose every iteration copies data to the GPU (a data loop):
    the blocking copy waits for the previous iteration, so at most one iteration's work is unmeasured."""
    synced = []
    for call in region:
        if blocking_copy(ctx, call):
            loop = innermost_loop(ctx, call)
            if loop is not None and not ctx.contains(loop, start) and not ctx.contains(loop, end):
                synced.append(loop)
    if not synced:
        return region
    return [c for c in region if not any(ctx.contains(loop, c) for loop in synced)]


def _loop_carried(ctx: FileContext, start: cst.Call, end: cst.Call) -> Optional[cst.CSTNode]:
    """The loop around `end` that `start` was read outside of: the interval spans iterations."""
    loop = innermost_loop(ctx, end)
    outer = None
    while loop is not None and ctx.contains(loop, end) and not ctx.contains(loop, start):
        outer = loop
        loop = innermost_loop(ctx, loop)
    return outer


def _find(ctx: FileContext) -> Dict[int, UnsyncedTiming]:
    found: Dict[int, UnsyncedTiming] = {}
    for start, end in _intervals(ctx):
        scope = ctx.scope_of(end)
        if ctx.scope_of(start) is not scope or id(end) in found:
            continue
        certainty = cuda_certainty(ctx, scope)
        if certainty is None:
            continue
        calls = calls_in_order(ctx, scope)
        if any(ctx.call_name(c) == "torch.cuda.Event" for c in calls):
            continue  # the function times with CUDA events: the clock is for something else
        region = [c for c in calls if ctx.order(start) < ctx.order(c) < ctx.order(end)]
        region = _drop_synced_loops(ctx, region, start, end)
        kinds = {classify(ctx, c) for c in region}
        if WORK not in kinds or SYNC in kinds or OPAQUE in kinds:
            continue
        if not _repeated_or_training(ctx, region, start, end):
            continue
        carried = _loop_carried(ctx, start, end)
        if carried is not None and any(classify(ctx, c) == SYNC or blocking_copy(ctx, c)
                                       for c in calls_in_order(ctx, carried)):  # fmt: skip
            # `end = time.time()` carried over iterations with a `.item()` somewhere in the loop: every
            # iteration waits for the previous one, so the running average is right.
            continue
        earlier = [c for c in calls if ctx.order(c) < ctx.order(start)]
        found[id(end)] = UnsyncedTiming(start, end, certainty, any(classify(ctx, c) == WORK for c in earlier))
    return found


def _clock_names(ctx: FileContext, calls: List[cst.Call]) -> str:
    return ctx.code(calls[0].func)


class CudaTimingWithoutSync(Rule):
    code = "TL701"
    name = "cuda-timing-without-sync"
    summary = "`time.time()` around CUDA work without `torch.cuda.synchronize()` measures only the kernel launches"
    why = """
        CUDA kernels run asynchronously: a model call or a tensor operation on a CUDA tensor
        returns as soon as its kernels are queued, long before the GPU has finished them.  A
        host clock (`time.time()`, `time.perf_counter()`, `time.monotonic()`) read right after the
        work therefore measures how long Python took to launch it, not how long it ran -- the
        time then shows up wherever the program next waits for the GPU.  Published benchmark
        numbers have been off by 30x for this; per-batch timings in training logs look
        implausibly fast and then jump at the first `.item()`.

        torchlint reports an interval `end - start` between two clock reads in a function that
        uses CUDA (`.cuda()`, `.to("cuda")`, `device="cuda"`) when the interval repeats GPU work in
        a loop (a benchmark) or runs a training step, and nothing in it waits for the GPU
        (`torch.cuda.synchronize()`, `.item()`, `.cpu()`, CUDA events...).  It stays silent when
        the interval calls code it cannot see (an imported helper may synchronise), when a single
        forward is timed (many models wait for the GPU in their own post-processing), and when the
        start time is carried across iterations of a loop that waits for the GPU somewhere, or
        when every iteration of the timed loop copies its batch to the GPU with a blocking
        `.cuda()`/`.to(device)` (each copy waits for the previous iteration, so the total is right
        up to one step).  Prefer `torch.cuda.Event(enable_timing=True)` pairs or
        `torch.utils.benchmark.Timer`, which synchronise for you.
    """
    bad = """
        import time
        import torch

        model, x = model.cuda(), x.cuda()
        start = time.perf_counter()
        for _ in range(100):
            out = model(x)
        elapsed = (time.perf_counter() - start) / 100
    """
    good = """
        import time
        import torch

        model, x = model.cuda(), x.cuda()
        start = time.perf_counter()
        for _ in range(100):
            out = model(x)
        torch.cuda.synchronize()
        elapsed = (time.perf_counter() - start) / 100
    """
    fix_does = """
        Inserts `torch.cuda.synchronize()` before the statement that reads the end time, and
        before the one that reads the start time when GPU work comes before it.  Safe where the
        function certainly uses CUDA (an unconditional `.cuda()`/`.to("cuda")`); where CUDA use is
        conditional, inserts `if torch.cuda.is_available(): torch.cuda.synchronize()` instead, which
        changes nothing on a CPU-only machine.  Offered when `torch` is imported.
    """
    requires_text = (("time", "perf_counter", "monotonic", "default_timer"), ("cuda",))

    # Its screen is `tl701` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for timing in timings(ctx).values():
            clock = _clock_names(ctx, [timing.end])
            if len(clock) > 25:
                clock = "time"
            yield self.violation(
                ctx,
                timing.end,
                f"`{clock}()` after CUDA work without `torch.cuda.synchronize()` times only the launches; sync, "
                f"or use `torch.cuda.Event`/`torch.utils.benchmark`",
            )
