"""CUDA facts: does a function run work on the GPU, and where may CUDA get initialised?

TL701 (cuda-timing-without-sync) and TL703 (cuda-visible-devices-too-late) ask:

- `cuda_certainty(ctx, scope)`: CERTAIN when `scope` moves data to CUDA unconditionally
  (`.cuda()`, `.to("cuda")`, `device="cuda"`), POSSIBLE when its CUDA use depends on a
  condition (`"cuda" if torch.cuda.is_available() else "cpu"`, a module-level `device` of that
  kind), None when nothing in it mentions CUDA.
- `initialises_cuda(ctx, call)`: does this call create the CUDA context (`torch.cuda.*` except
  the lazily queued seeding calls, `.cuda()`, `.to("cuda...")`, a tensor built with
  `device="cuda..."`)?
- `cuda_initialised_before(ctx, node)`: the first CUDA-initialising call that may run before
  `node`: earlier in its function (directly or through same-file calls), or -- for code in a
  function -- before the calls of that function, up to the module's top level.
- `implicit_sync(ctx, call)`: calls that wait for the GPU (`.item()`, `.cpu()`, `synchronize`...).
"""

from __future__ import annotations

from typing import List, Optional

import libcst as cst

from torchlint.analysis.dataflow import in_exclusive_branches, local_assignments
from torchlint.analysis.facts import call_sites, reachable_functions, resolve_call
from torchlint.context import FileContext
from torchlint.names import dotted_name

CERTAIN, POSSIBLE = "certain", "possible"
# torch.cuda functions that queue their work until CUDA is initialised (or only ask about it).
_LAZY_CUDA = frozenset({"manual_seed", "manual_seed_all", "seed", "seed_all", "is_initialized", "set_rng_state",
                        "set_rng_state_all", "get_rng_state_all"})  # fmt: skip
_SYNCING_METHODS = frozenset({"item", "cpu", "numpy", "tolist", "synchronize", "elapsed_time", "wait", "barrier"})
_CONDITION_WORDS = ("cuda", "gpu", "device", "available")


def _own(ctx: FileContext, root: cst.CSTNode, node_type):
    nodes = ctx.nodes(node_type) if root is ctx.module else ctx.walk(root, node_type)
    return [n for n in nodes if not ctx.inside_nested_scope(n, root)]


def _is_cuda_string(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.SimpleString) and node.evaluated_value.split(":", 1)[0] == "cuda"


def _moves_to_cuda(ctx: FileContext, call: cst.Call) -> bool:
    """`.cuda()`, `.to("cuda")`, `.to(torch.device("cuda:0"))`, `torch.zeros(3, device="cuda")`."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "cuda" and not ctx.is_name(func, "torch.cuda"):
        return dotted_name(func) is None or not dotted_name(func).startswith("torch.")
    for arg in call.args:
        value = arg.value
        if isinstance(value, cst.Call) and ctx.is_name(value.func, "torch.device") and value.args:
            value = value.args[0].value
        if _is_cuda_string(value) and (arg.keyword is None and isinstance(func, cst.Attribute)
                                       and func.attr.value == "to" or arg.keyword is not None
                                       and arg.keyword.value == "device"):  # fmt: skip
            return True
    return False


def _conditional(ctx: FileContext, node: cst.CSTNode, scope: cst.CSTNode) -> bool:
    """Inside `x if torch.cuda.is_available() else y`, or under `if args.gpu:` and the like."""
    child = node
    for ancestor in ctx.ancestors(node):
        if ancestor is scope:
            return False
        if isinstance(ancestor, (cst.If, cst.IfExp)) and child is not ancestor.test:
            test = ctx.code(ancestor.test).lower()
            if any(word in test for word in _CONDITION_WORDS):
                return True
        if isinstance(ancestor, cst.Try):
            return True
        child = ancestor
    return False


def cuda_certainty(ctx: FileContext, scope: cst.CSTNode) -> Optional[str]:
    """CERTAIN, POSSIBLE or None: does `scope` (a function or the module) put work on CUDA?"""

    def compute():
        found = None
        for call in _own(ctx, scope, cst.Call):
            if _moves_to_cuda(ctx, call):
                if not _conditional(ctx, call, scope):
                    return CERTAIN
                found = POSSIBLE
        for string in _own(ctx, scope, cst.SimpleString):
            if _is_cuda_string(string):
                found = POSSIBLE
        if found is None and scope is not ctx.module:
            # `device = torch.device("cuda" if ... else "cpu")` at module level, used here.
            used = {n.value for n in _own(ctx, scope, cst.Name)}
            for name, assignments in local_assignments(ctx, ctx.module).items():
                if name in used and any(a.value is not None and _mentions_cuda(a.value) for a in assignments):
                    found = POSSIBLE
        return found

    return ctx.memo(("devices.certainty", id(scope)), compute)


def _mentions_cuda(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.SimpleString):
        return _is_cuda_string(node)
    return any(_mentions_cuda(child) for child in node.children)


def initialises_cuda(ctx: FileContext, call: cst.Call) -> bool:
    name = ctx.call_name(call) or ""
    if name.startswith("torch.cuda."):
        rest = name[len("torch.cuda."):]
        return rest.split(".", 1)[0] not in _LAZY_CUDA and not rest.startswith("amp.autocast")
    return _moves_to_cuda(ctx, call)


def implicit_sync(ctx: FileContext, call: cst.Call) -> bool:
    """Calls that wait for queued GPU work: `.item()`, `.cpu()`, `torch.cuda.synchronize()`,
    CUDA events, `float(t)`, `torch.save`, `.to("cpu")`."""
    func = call.func
    name = ctx.call_name(call) or ""
    if name.startswith("torch.cuda.") and ("synchronize" in name or name.endswith("Event")):
        return True
    if name in ("torch.save",):
        return True
    if isinstance(func, cst.Attribute):
        if func.attr.value in _SYNCING_METHODS:
            return True
        if func.attr.value == "to" and any(isinstance(a.value, cst.SimpleString) and
                                           a.value.evaluated_value == "cpu" for a in call.args):  # fmt: skip
            return True
    if isinstance(func, cst.Name) and func.value in ("float", "int", "bool") and call.args:
        return not isinstance(call.args[0].value, (cst.SimpleString, cst.Integer, cst.Float))
    return False


def syncs(ctx: FileContext, call: cst.Call) -> bool:
    """`implicit_sync`, also inside a same-file function the call runs."""
    if implicit_sync(ctx, call):
        return True
    callee = resolve_call(ctx, call)
    if callee is None:
        return False
    functions = [callee, *reachable_functions(ctx, callee)]
    return any(implicit_sync(ctx, inner) for function in functions for inner in _own(ctx, function, cst.Call))


def cuda_initialised_before(ctx: FileContext, node: cst.CSTNode, depth: int = 0) -> Optional[cst.Call]:
    """A call that may initialise CUDA and run before `node` (see the module docstring)."""
    scope = ctx.scope_of(node)
    while isinstance(scope, cst.ClassDef):
        scope = ctx.scope_of(scope)
    statement = ctx.statement_of(node)
    before = ctx.order(statement) if statement is not None else ctx.order(node)
    for call in _own(ctx, scope, cst.Call):
        if ctx.order(call) >= before:
            break
        if in_exclusive_branches(ctx, call, node):
            continue  # `if gpu: x.cuda() else: os.environ[...] = ...` (a call in the `if` test runs first)
        if initialises_cuda(ctx, call):
            return call
        callee = resolve_call(ctx, call)
        if callee is not None and depth < 3:
            for function in [callee, *reachable_functions(ctx, callee)]:
                if any(initialises_cuda(ctx, inner) for inner in _own(ctx, function, cst.Call)):
                    return call
    if isinstance(scope, cst.FunctionDef) and depth < 3:
        for site in call_sites(ctx, scope):
            found = cuda_initialised_before(ctx, site, depth + 1)
            if found is not None:
                return found
    return None


def calls_in_order(ctx: FileContext, scope: cst.CSTNode) -> List[cst.Call]:
    return sorted(_own(ctx, scope, cst.Call), key=ctx.order)


__all__ = [
    "CERTAIN", "POSSIBLE", "calls_in_order", "cuda_certainty", "cuda_initialised_before", "implicit_sync",
    "initialises_cuda", "syncs",
]  # fmt: skip
