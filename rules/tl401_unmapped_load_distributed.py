"""TL401 unmapped-load-distributed."""

from __future__ import annotations

import os
from typing import Iterator, Optional, Set, Tuple

import libcst as cst

from torchlint.analysis.dataflow import reaching_assignments
from torchlint.analysis.facts import call_sites
from torchlint.analysis.project import project_of
from torchlint.analysis.summaries import statement_line
from torchlint.context import FileContext
from torchlint.findings import Related, shown_path
from torchlint.names import dotted_name
from torchlint.rule import Rule, Violation
from torchlint.rule_screens import LOAD

MAP_LOCATION_SLOT = 1  # torch.load(f, map_location=None, ...)
PROCESS_GROUP_INIT = ("torch.distributed.init_process_group",)
DDP = ("torch.nn.parallel.DistributedDataParallel",)
SPAWNERS = ("torch.multiprocessing.spawn", "torch.multiprocessing.start_processes")
DISTRIBUTED_SAMPLERS = ("torch.utils.data.distributed.DistributedSampler", "torch.utils.data.DistributedSampler")
# Guards that keep a block on one process: `if rank == 0:`, `if is_main_process():`.
_SINGLE_PROCESS_HINTS = ("is_main_process", "is_master", "main_process", "is_rank_zero", "is_global_zero")
_RANK_VARIABLES = {"RANK", "LOCAL_RANK"}
_MAX_PATH_HOPS = 4


def multiprocess_evidence(ctx: FileContext) -> Optional[str]:
    """Why this file runs in several processes (a phrase for the message), or None.

    Only what starts or joins a multi-process job counts.  Reading `RANK`/`LOCAL_RANK` from the
    environment does not: logging helpers and vendored utilities do it in single-process code too.
    """
    return ctx.memo("tl401.evidence", lambda: _evidence(ctx))


def _evidence(ctx: FileContext) -> Optional[str]:
    for call in ctx.nodes(cst.Call):
        if ctx.is_name(call.func, *PROCESS_GROUP_INIT):
            return "initialises a process group"
        if ctx.is_name(call.func, *DDP):
            return "wraps a model in DDP"
        if ctx.is_name(call.func, *SPAWNERS):
            return "starts workers with mp.spawn"
        if ctx.is_name(call.func, *DISTRIBUTED_SAMPLERS):
            return "builds a DistributedSampler"
    return None


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
    """`torch.save(x, path)` in the same function, to the same path: a round trip, or a cache this
    code writes itself (`if os.path.exists(cached): features = torch.load(cached)` / `else: ...
    torch.save(features, cached)`, the fine-tuning scripts' feature cache)."""
    path = ctx.code(load.args[0].value)
    scope = ctx.scope_of(load)
    for call in ctx.nodes(cst.Call):
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


def _mapped_in_sibling_branch(ctx: FileContext, load: cst.Call) -> bool:
    """`if args.gpu is None: torch.load(p)` / `else: torch.load(p, map_location=loc)` (the ImageNet
    example): the author chose per branch; the unmapped branch is the one-process-per-node mode."""
    child = load
    for ancestor in ctx.ancestors(load):
        if isinstance(ancestor, cst.FunctionDef):
            return False
        if isinstance(ancestor, cst.If) and child is not ancestor.test:
            other = ancestor.orelse if child is ancestor.body else ancestor.body
            if other is not None and any(_mapped_load(ctx, call) for call in ctx.walk(other, cst.Call)):
                return True
        child = ancestor
    return False


def _mapped_load(ctx: FileContext, call: cst.Call) -> bool:
    return ctx.is_name(call.func, LOAD) and bool(call.args) and not unmapped_load(ctx, call) and \
        not any(arg.star for arg in call.args)  # fmt: skip


def _per_rank_path(ctx: FileContext, load: cst.Call) -> bool:
    """`torch.load(f"queue{rank}.pth")`, `os.path.join(d, "mb" + str(args.rank) + ".pth")`: each rank
    reads back the file it saved from its own device."""
    path = _path_expression(load)
    return path is not None and _mentions_rank(ctx, path, 0)


def _mentions_rank(ctx: FileContext, expr: cst.BaseExpression, hops: int) -> bool:
    for node in [expr, *_descendants(ctx, expr)]:
        if isinstance(node, cst.Name) and _rank_word(node.value):
            return True
        if isinstance(node, cst.Attribute) and _rank_word(node.attr.value):
            return True
        if isinstance(node, cst.SimpleString) and _rank_literal_string(node):
            return True
        if isinstance(node, cst.Name) and hops < _MAX_PATH_HOPS:
            for assignment in reaching_assignments(ctx, node):
                if assignment.value is not None and _mentions_rank(ctx, assignment.value, hops + 1):
                    return True
    return False


def _path_expression(load: cst.Call) -> Optional[cst.BaseExpression]:
    first = load.args[0]
    path = next((a.value for a in load.args if a.keyword is not None and a.keyword.value == "f"), None)
    return path if path is not None or first.keyword is not None else first.value


def _file_names(ctx: FileContext, expr: Optional[cst.BaseExpression], hops: int = 0) -> Set[str]:
    """The file names a path expression spells literally (`"trainfeat.pth"` in `os.path.join(d, ...)`),
    following local names."""
    found: Set[str] = set()
    if expr is None:
        return found
    for node in [expr, *_descendants(ctx, expr)]:
        if isinstance(node, cst.SimpleString):
            try:
                value = node.evaluated_value
            except Exception:  # noqa: BLE001 - an odd literal is simply not a file name
                continue
            if isinstance(value, str) and "." in value.rsplit("/", 1)[-1]:
                found.add(value.rsplit("/", 1)[-1])
        elif isinstance(node, cst.Name) and hops < _MAX_PATH_HOPS:
            for assignment in reaching_assignments(ctx, node):
                if assignment.value is not None:
                    found |= _file_names(ctx, assignment.value, hops + 1)
    return found


def _saved_from_cpu_in_file(ctx: FileContext, load: cst.Call) -> bool:
    """`torch.save(feats.cpu(), os.path.join(out, "trainfeat.pth"))` elsewhere in the file: the file of
    that name holds CPU tensors, so loading it needs no `map_location`."""
    names = _file_names(ctx, _path_expression(load))
    if not names:
        return False
    for call in ctx.nodes(cst.Call):
        if not ctx.is_name(call.func, "torch.save") or len(call.args) < 2 or call.args[0].keyword is not None:
            continue
        saved = call.args[0].value
        on_cpu = isinstance(saved, cst.Call) and isinstance(saved.func, cst.Attribute) and \
            saved.func.attr.value == "cpu"  # fmt: skip
        target = next((a for a in call.args if a.keyword and a.keyword.value == "f"), call.args[1])
        if on_cpu and names & _file_names(ctx, target.value):
            return True
    return False


def _tensor_free_state(ctx: FileContext, load: cst.Call) -> bool:
    """A scheduler's state or saved arguments hold plain numbers, no tensors to misplace:
    `scheduler.load_state_dict(torch.load(".../scheduler.pt"))`, `torch.load("training_args.bin")`."""
    for name in _file_names(ctx, _path_expression(load)):
        stem_words = name.rsplit(".", 1)[0].lower().replace("-", "_").split("_")
        if "scheduler" in stem_words or "args" in stem_words:
            return True
    parent = ctx.parent(ctx.parent(load))
    if isinstance(parent, cst.Call) and isinstance(parent.func, cst.Attribute) and \
            parent.func.attr.value == "load_state_dict":  # fmt: skip
        receiver = (ctx.code(parent.func.value) or "").lower()
        return "sched" in receiver
    return False


def _descendants(ctx: FileContext, expr: cst.BaseExpression):
    for node_type in (cst.Name, cst.Attribute, cst.SimpleString):
        yield from ctx.walk(expr, node_type)


def _rank_word(name: str) -> bool:
    """`rank`, `local_rank`, `args.rank`, `get_rank`, `global_rank` -- not `node_rank` (one per machine)."""
    parts = name.lower().split("_")
    if "node" in parts or "rank" not in parts:
        return name.lower() in ("localrank", "getrank")
    return parts[-1] == "rank" or parts[-1] in ("id", "idx", "index", "num")  # not `rank_model_path`


def _rank_literal_string(node: cst.SimpleString) -> bool:
    try:
        return node.evaluated_value in _RANK_VARIABLES
    except Exception:  # noqa: BLE001 - byte strings and odd prefixes are simply not rank names
        return False


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

        torchlint reports loads in files that start or join a multi-process job: they initialise
        a process group, wrap a model in `DistributedDataParallel`, build a `DistributedSampler`
        or start workers with `torch.multiprocessing.spawn`.  Merely reading `RANK`/`LOCAL_RANK`
        from the environment is not enough (logging helpers do it in single-process code).

        Not reported:
        - loads guarded to rank 0 (`if rank == 0:`, `if is_main_process():`);
        - a load whose sibling branch of the same `if` passes `map_location` (the ImageNet
          example's `if args.gpu is None: torch.load(p)` / `else: torch.load(p, map_location=loc)`:
          the unmapped branch is the one-process-per-node mode);
        - a path built from the rank (`f"queue{rank}.pth"`): each rank reads back what it saved
          from its own device;
        - a file the same function also saves (a round trip, or its own feature cache), or that
          the module saves from the CPU (`torch.save(x.cpu(), ...)` to that file name);
        - a scheduler's state or saved arguments (`scheduler.pt`, `training_args.bin`): plain
          numbers, no tensors to misplace.
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
        queue = torch.load(f"queue{dist.get_rank()}.pth")  # each rank's own file
    """
    fix_does = """
        Adds `map_location="cpu"`.  Unsafe in general: code that uses the loaded tensors
        directly now gets CPU tensors where it got CUDA ones.  It is safe in fact when the
        result only flows into `load_state_dict`, which copies values onto the parameters' own
        devices.
    """
    # A helper without evidence of its own may be reached from an entry point with some (another file).
    requires_text = (("load",),)

    # Its screen is `tl401` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        evidence = None
        for call in ctx.nodes(cst.Call):
            if not unmapped_load(ctx, call):
                continue
            evidence = evidence or multiprocess_evidence(ctx)
            entry = None
            if evidence is None:  # a helper: is it reached from an entry point that runs several processes?
                entry = _entry_point(ctx, call)
                if entry is None:
                    continue
            if _saved_here_before(ctx, call) or _on_one_process(ctx, call):
                continue
            if _mapped_in_sibling_branch(ctx, call) or _per_rank_path(ctx, call):
                continue
            if _saved_from_cpu_in_file(ctx, call) or _tensor_free_state(ctx, call):
                continue
            if entry is None:
                yield self.violation(
                    ctx,
                    call,
                    f"`torch.load()` without `map_location` in multi-process code (this file {evidence}): all "
                    f"ranks load onto one GPU; pass `map_location=\"cpu\"`",
                )
                continue
            path, line, name, why = entry
            shown = shown_path(path)
            message = (f"`torch.load()` without `map_location` in multi-process code (`{name}()` is called from "
                       f"{shown}:{line}, which {why}): all ranks load onto one GPU; pass `map_location=\"cpu\"`")
            if len(message) > 160:
                message = (f"`torch.load()` without `map_location`, reached from {os.path.basename(path)}:{line} "
                           f"({why}): all ranks load onto one GPU; pass `map_location=\"cpu\"`")
            if len(message) > 160:
                message = "`torch.load()` without `map_location` in multi-process code: pass `map_location=\"cpu\"`"
            found = self.violation(ctx, call, message)
            found.related = (Related(shown, line, f"`{name}()` is called here, in a file that {why}"),)
            yield found


_EVIDENCE_WORDS = ("init_process_group", "DistributedDataParallel", "DistributedSampler", "spawn", "start_processes")
_MAX_HELPER_DEPTH = 3


def _entry_point(ctx: FileContext, load: cst.Call) -> Optional[Tuple[str, int, str, str]]:
    """(path, line, function, evidence) of a call, in another file of the project that starts or
    joins a multi-process job, of the module-level function of this file that runs `load` (or of
    a same-file function calling it), outside a rank-0 guard there; None when none is visible."""
    project = project_of(ctx)
    names = _functions_reaching(ctx, load)
    if not names or not project.enabled:
        return None
    referrers = project.referrers(ctx.path, names, _EVIDENCE_WORDS)
    for path in referrers or ():
        other = project.context(path)
        if other is None:
            continue
        why = multiprocess_evidence(other)
        if why is None:
            continue
        for call in other.nodes(cst.Call):
            spelled = dotted_name(call.func)
            if spelled is None or spelled.rsplit(".", 1)[-1] not in names:
                continue
            target = project.call_target(other, call)
            if target is None or target.kind != "function" or target.name not in names:
                continue
            if os.path.abspath(target.path) != os.path.abspath(ctx.path) or _on_one_process(other, call):
                continue
            if _behind_a_default(ctx, load, target.name, call):
                continue
            return path, statement_line(other, call), target.name, why
    return None


def _behind_a_default(ctx: FileContext, load: cst.Call, called: str, call: cst.Call) -> bool:
    """The load runs only under an `if` on a parameter with a default (`if pretrain_path != "":`)
    that this call does not pass (or, through a same-file caller, may not pass): the call may never
    reach it."""
    function = ctx.enclosing(load, (cst.FunctionDef,))
    if function is None:
        return False
    defaults = {p.name.value: i for i, p in enumerate(function.params.params) if p.default is not None}
    defaults.update({p.name.value: None for p in function.params.kwonly_params if p.default is not None})
    if not defaults:
        return False
    if function.name.value == called:  # called directly: the parameters this call passes are known
        if any(arg.star for arg in call.args):
            return False
        positional = sum(1 for arg in call.args if arg.keyword is None)
        passed = {arg.keyword.value for arg in call.args if arg.keyword is not None}
        defaults = {n: i for n, i in defaults.items() if n not in passed and (i is None or i >= positional)}
    for ancestor in ctx.ancestors(load):
        if ancestor is function:
            break
        if isinstance(ancestor, (cst.If, cst.IfExp)) and not ctx.contains(ancestor.test, load):
            if any(isinstance(n, cst.Name) and n.value in defaults for n in ctx.walk(ancestor.test, cst.Name)):
                return True
    return False


def _functions_reaching(ctx: FileContext, load: cst.Call) -> Set[str]:
    """Names of the module-level functions of this file that run `load`: the one it is in, and
    same-file functions calling that one (a few levels up)."""
    names: Set[str] = set()
    todo = [(ctx.enclosing(load, (cst.FunctionDef,)), 0)]
    while todo:
        function, depth = todo.pop()
        if function is None or ctx.enclosing(function, (cst.FunctionDef, cst.ClassDef)) is not None:
            continue  # a method or a nested function: not something another file imports
        if function.name.value in names:
            continue
        names.add(function.name.value)
        if depth < _MAX_HELPER_DEPTH:
            todo.extend((ctx.enclosing(site, (cst.FunctionDef,)), depth + 1) for site in call_sites(ctx, function))
    return names
