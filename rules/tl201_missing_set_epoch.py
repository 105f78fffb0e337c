"""TL201 missing-set-epoch.

The value tracking (what a name may hold, which loader draws from which sampler, what another
file's function returns or does with the loader it is handed) lives in torchlint/analysis/:
`facts.possible_values`, `samplers.sampler_source` and the project model (`ctx.project`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Set

import libcst as cst

from torchlint.analysis.dataflow import local_assignments, self_name
from torchlint.analysis.facts import (
    EpochLoop,
    access_path,
    attribute_values,
    bind_arguments,
    calls_in,
    epoch_loops,
    function_facts,
    has_star_args,
    iterated_expressions,
    possible_values,
    reachable_functions,
    resolve_call,
)
from torchlint.analysis.project import Project, Symbol
from torchlint.analysis.samplers import (
    BATCH_SAMPLER,
    DATALOADER,
    DISTRIBUTED_SAMPLER,
    LOADER_SLOTS,
    SAMPLER_SHUFFLE_SLOT,
    SamplerSource,
    argument,
    is_dataloader_call,
    is_distributed_sampler_call,
    sampler_source,
    shuffles,
)
from torchlint.analysis.summaries import SAMPLER
from torchlint.context import FileContext
from torchlint.findings import Related, shown_path
from torchlint.rule import Rule, Violation

_ = (LOADER_SLOTS, BATCH_SAMPLER, DATALOADER, DISTRIBUTED_SAMPLER, SAMPLER_SHUFFLE_SLOT, argument, shuffles,
     has_star_args, is_distributed_sampler_call)  # re-exported for TL202 and older imports


# -- what an epoch loop iterates ---------------------------------------------------------
@dataclass
class IteratedLoader:
    """A loader iterated in an epoch loop, named by an expression in the loop's own scope."""

    handle: Optional[cst.BaseExpression]  # `loader`, `self.train_loader`, or None (reached otherwise)
    source: SamplerSource
    handle_attr: str = ""  # `self` + "train_loader" when a same-file method iterates `self.train_loader`


def _loader_values(ctx: FileContext, root: cst.BaseExpression, path: str) -> List:
    """DataLoader calls that `root` + `.path` may be (`self` + "train_loader" -> self.train_loader)."""
    if path == "":
        values, _ = possible_values(ctx, root)
    elif "." not in path and isinstance(root, cst.Name) and root.value == self_name(ctx, root):
        values, _ = attribute_values(ctx, root, path)
    else:
        return []
    return [v for v in values if is_dataloader_call(ctx, v)]


def _loaders_from(ctx: FileContext, root: cst.BaseExpression, path: str, handle, handle_attr: str = ""):
    for loader_call in _loader_values(ctx, root, path):
        source = sampler_source(ctx, loader_call)
        if source is not None:
            yield IteratedLoader(handle, source, handle_attr)


def iterated_loaders(ctx: FileContext, loop: cst.CSTNode) -> List[IteratedLoader]:
    """Loaders with a shuffling DistributedSampler that `loop` iterates, itself or through same-file calls
    (or through a function of another file that iterates what it is handed)."""
    found: List[IteratedLoader] = []
    for expr in iterated_expressions(ctx, loop.body):
        found.extend(_loaders_from(ctx, expr, "", expr if access_path(ctx, expr) else None))
    facts = function_facts(ctx)
    for call, callee in calls_in(ctx, loop.body):
        iterated = facts[callee].iterated
        for param, expr in bind_arguments(ctx, call, callee).items():
            for path in iterated.get(param, ()):
                handle = expr if access_path(ctx, expr) else None
                found.extend(_loaders_from(ctx, expr, path, handle, path))
    for call in _unresolved_calls(ctx, loop.body):
        remote, looked = None, False
        for index, arg in enumerate(call.args):
            if arg.keyword is not None and arg.keyword.value == "sampler":
                continue
            handed = list(_loaders_from(ctx, arg.value, "", arg.value if access_path(ctx, arg.value) else None))
            if not handed:
                continue
            if not looked:  # the callee's file is read only when it is handed such a loader
                remote, looked = _remote_function(ctx, call), True
            if remote is not None and not _remote_consumes(remote[1], _slot(call, index)):
                continue  # the other file's function neither iterates it nor hands it on
            found.extend(handed)
    return found


def _project(ctx: FileContext) -> Optional[Project]:
    project = getattr(ctx, "project", None)
    return project if project is not None and project.enabled else None


def _remote_function(ctx: FileContext, call: cst.Call):
    """(Symbol, FUNCTION summary) of the other-file function `call` runs, or None if unknown."""
    project = _project(ctx)
    target = project.call_target(ctx, call) if project is not None else None
    if target is None or target.kind != "function":
        return None
    facts = project.function_facts(target)
    return (target, facts) if facts is not None else None


def _slot(call: cst.Call, index: int):
    """The argument's slot as summaries spell it: its position among positionals, or its keyword."""
    arg = call.args[index]
    if arg.star:
        return "*"
    if arg.keyword is not None:
        return arg.keyword.value
    return sum(1 for a in call.args[:index] if a.keyword is None and not a.star)


def _remote_consumes(facts: dict, slot) -> bool:
    params = Project._bind(facts, {slot})
    if not params:
        return False
    if any("" in facts["iterated"].get(p, ()) for p in params):
        return True
    return any(set(used) & params for _callee, slots, _line in facts["calls"] for _s, used in slots)


def _unresolved_calls(ctx: FileContext, root: cst.CSTNode) -> Iterator[cst.Call]:
    for call in ctx.walk(root, cst.Call):
        if resolve_call(ctx, call) is None and not _is_wrapper_or_builtin(ctx, call):
            yield call


def _is_wrapper_or_builtin(ctx: FileContext, call: cst.Call) -> bool:
    name = ctx.code(call.func)
    return name.rsplit(".", 1)[-1] in {"enumerate", "zip", "iter", "tqdm", "len", "print", "next", "isinstance"}


# -- does the loop reset the sampler's epoch? ---------------------------------------------
def _calls_set_epoch(ctx: FileContext, root: cst.CSTNode) -> bool:
    for call in ctx.walk(root, cst.Call):
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "set_epoch":
            return True
    return False


def _names_in(ctx: FileContext, node: cst.CSTNode) -> set:
    return {n.value for n in ctx.walk(node, cst.Name)} | ({node.value} if isinstance(node, cst.Name) else set())


@dataclass
class Handoff:
    """A function of another file that the loop hands the loader to, seen not to call set_epoch."""

    target: Symbol
    line: int


def may_set_epoch(ctx: FileContext, loop: EpochLoop, loaders: List[IteratedLoader]) -> bool:
    """Could something in the loop call `set_epoch`?  Errs on the side of yes.

    Functions of other files are followed through the project model: one that (or whose callees)
    calls `set_epoch` silences the rule, one we cannot see that is handed the loader and the
    epoch keeps it silent too; one we can see that never does is named in the finding."""
    body = loop.node.body
    reachable = reachable_functions(ctx, body)
    if _calls_set_epoch(ctx, body) or any(_calls_set_epoch(ctx, f) for f in reachable):
        return True
    handed = set()
    for item in loaders:
        for expr in (item.source.sampler_expr, item.handle):
            path = access_path(ctx, expr) if expr is not None else None
            if path is not None:
                handed.add(path[0])
    project = _project(ctx)
    handoffs: List[Handoff] = ctx.memo(("tl201.handoffs", id(loop.node)), list)
    for call in _unresolved_calls(ctx, body):
        names = set()
        slots_loader: Set = set()
        slots_epoch: Set = set()
        for index, arg in enumerate(call.args):
            used = _names_in(ctx, arg.value)
            names |= used
            if used & handed:
                slots_loader.add(_slot(call, index))
            if loop.var is not None and loop.var in used:
                slots_epoch.add(_slot(call, index))
        if isinstance(call.func, cst.Attribute):
            names |= _names_in(ctx, call.func.value)
        remote = _remote_function(ctx, call)
        if remote is not None and project is not None:
            target, facts = remote
            verdict = project.may_set_epoch(target, Project._bind(facts, slots_loader),
                                            Project._bind(facts, slots_epoch))  # fmt: skip
            if verdict:
                return True
            if verdict is False:
                if slots_loader:
                    handoffs.append(Handoff(target, facts["line"]))
                continue
        if names & handed and (loop.var is None or loop.var in names):
            return True  # an unknown function handed the loader (or sampler) and the epoch
    if project is not None:
        # Same-file helpers run in the loop may call into other files that set the epoch.
        for function in reachable:
            for call in _unresolved_calls(ctx, function):
                remote = _remote_function(ctx, call)
                if remote is not None:
                    everything = set(remote[1]["params"])
                    if project.may_set_epoch(remote[0], everything, everything):
                        return True
    return False


def _seeded_per_epoch(ctx: FileContext, loop: cst.CSTNode, source: SamplerSource) -> bool:
    """A sampler built inside the loop with an explicit seed may vary it per epoch."""
    return any(ctx.contains(loop, s) and argument(s, "seed", 4) is not None for s in source.local_sampler_calls)


# -- where to call set_epoch from the loop ------------------------------------------------
def loader_binding(ctx: FileContext, loader_call: cst.Call) -> Optional[cst.BaseExpression]:
    """`loader` in `loader = DataLoader(...)` (or `self.loader`): the name the loader was bound to."""
    parent = ctx.parent(loader_call)
    if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
        target = parent.targets[0].target
        if access_path(ctx, target) is not None:
            return target
    return None


def visible_spelling(ctx: FileContext, loop: cst.CSTNode, expr: Optional[cst.BaseExpression]) -> Optional[str]:
    """How the loop's scope spells `expr` (`sampler`, `self.sampler`) when it is bound before
    the loop and not rebound inside it; None when the loop cannot reach it by that name."""
    path = access_path(ctx, expr) if expr is not None else None
    if path is None:
        return None
    root, attrs = path
    if attrs:
        # `self.sampler`: any method of the same class reaches it through its own `self`.
        loop_self = self_name(ctx, loop)
        if "." in attrs or root != self_name(ctx, expr) or loop_self is None:
            return None
        if ctx.enclosing(loop, (cst.ClassDef,)) is not ctx.enclosing(expr, (cst.ClassDef,)):
            return None
        return f"{loop_self}.{attrs}"
    if ctx.scope_of(expr) is not ctx.scope_of(loop):
        return None
    for assignment in local_assignments(ctx, ctx.scope_of(loop)).get(root, []):
        if ctx.contains(loop, assignment.statement) or ctx.order(assignment.statement) > ctx.order(loop):
            return None
    return root


def set_epoch_statement(ctx: FileContext, loop: EpochLoop, item: IteratedLoader, var: str) -> Optional[str]:
    """The statement that sets this loader's sampler epoch from the top of `loop`, if one is sure."""
    source = item.source
    if not source.only_distributed:
        return None  # sometimes another sampler type, which has no set_epoch
    remote_loader = source.remote is not None and source.remote.kind != SAMPLER
    sampler = None if remote_loader else visible_spelling(ctx, loop.node, source.sampler_expr)
    if sampler is not None:
        call = f"{sampler}.set_epoch({var})"
        return f"if {sampler} is not None:\n    {call}\n" if source.maybe_none else call + "\n"
    chain = "batch_sampler.sampler" if source.via_batch_sampler else "sampler"
    loader = visible_spelling(ctx, loop.node, loader_binding(ctx, source.loader_call))
    if loader is None and item.handle is not None:
        handle = visible_spelling(ctx, loop.node, item.handle)
        if handle is not None and not (item.handle_attr and "." in handle):
            loader = f"{handle}.{item.handle_attr}" if item.handle_attr else handle
            if not item.handle_attr and not _is_the_loader(ctx, item.handle, source.loader_call):
                loader = None  # e.g. `bar = tqdm(loader)`: `bar.sampler` is not the loader's
    if loader is None:
        return None
    call = f"{loader}.{chain}.set_epoch({var})"
    if source.maybe_none:  # without a sampler the loader makes a RandomSampler, which has no set_epoch
        return f"if hasattr({loader}.{chain}, \"set_epoch\"):\n    {call}\n"
    return call + "\n"


def _is_the_loader(ctx: FileContext, handle: cst.BaseExpression, loader_call: cst.Call) -> bool:
    values, open_ = possible_values(ctx, handle)
    return not open_ and bool(values) and all(getattr(v, "node", v) is loader_call for v in values)


def set_epoch_statements(ctx: FileContext, entry: MissingSetEpoch, var: str) -> Optional[List[str]]:
    """One statement per distinct loader of the finding, or None if any cannot be reached."""
    statements: List[str] = []
    for loader_call in {id(i.source.loader_call): i.source.loader_call for i in entry.loaders}.values():
        routes = [i for i in entry.loaders if i.source.loader_call is loader_call]
        code = next((c for c in (set_epoch_statement(ctx, entry.loop, i, var) for i in routes) if c), None)
        if code is None:
            return None  # a partial fix would hide the rest
        if code not in statements:
            statements.append(code)
    return statements


# -- the rule ----------------------------------------------------------------------------
@dataclass
class MissingSetEpoch:
    loop: EpochLoop
    loaders: List[IteratedLoader] = field(default_factory=list)


def findings(ctx: FileContext) -> Dict[int, MissingSetEpoch]:
    """id(loop node) -> what is missing there (memoised: the fixer reads it too)."""
    return ctx.memo("tl201.findings", lambda: _compute(ctx))


def _outermost_epoch_loop(ctx: FileContext, loop: EpochLoop, loops: List[EpochLoop]) -> EpochLoop:
    function = ctx.enclosing(loop.node, (cst.FunctionDef,))
    outer = loop
    for other in loops:
        if other.node is not loop.node and ctx.contains(other.node, loop.node):
            if ctx.enclosing(other.node, (cst.FunctionDef,)) is function and ctx.order(other.node) < ctx.order(
                outer.node
            ):
                outer = other
    return outer


def _compute(ctx: FileContext) -> Dict[int, MissingSetEpoch]:
    loops = epoch_loops(ctx)
    result: Dict[int, MissingSetEpoch] = {}
    for loop in loops:
        loaders = [i for i in iterated_loaders(ctx, loop.node) if not _seeded_per_epoch(ctx, loop.node, i.source)]
        if not loaders:
            continue
        outer = _outermost_epoch_loop(ctx, loop, loops)
        if may_set_epoch(ctx, outer, loaders):
            continue
        entry = result.setdefault(id(outer.node), MissingSetEpoch(outer))
        entry.loaders.extend(loaders)
    return result


class MissingSetEpochRule(Rule):
    code = "TL201"
    name = "missing-set-epoch"
    summary = "Epoch loop over a shuffling `DistributedSampler` never calls `sampler.set_epoch(epoch)`"
    why = """
        `DistributedSampler` shuffles with a generator seeded by `seed + epoch`, and `epoch`
        only changes when you call `sampler.set_epoch(epoch)`.  Without it every epoch draws
        the very same permutation: each rank trains on the same samples in the same order
        every epoch, which silently weakens training (no error, just worse models and
        suspiciously periodic loss curves).  PyTorch's documentation: "calling the
        set_epoch() method at the beginning of each epoch before creating the DataLoader
        iterator is necessary to make shuffling work properly across multiple epochs.
        Otherwise, the same ordering will be always used."

        torchlint reports an epoch loop (`for epoch in range(...)`, `trange`,
        `tqdm(range(...))`, `itertools.count()`, `while`) that iterates -- itself or through a
        same-file function -- a `DataLoader` whose `sampler=` (or `batch_sampler=` built on
        it) is a `DistributedSampler` with shuffling on, when nothing in the loop calls
        `set_epoch`.  The sampler or the loader may be built by a function or module-level
        code of another first-party file, and the loop may hand the loader and the epoch to a
        function of another file: torchlint follows those through the project model, names
        the other half in the message (`built in data.py:41`), and stays silent when a function
        it follows calls `set_epoch` or when the callee is truly unknown (third-party code,
        a module it cannot find or parse).  The loop's iterable is resolved through local names
        (`train_iterator = trange(n)` ... `for _ in train_iterator:`).  It stays silent for
        `shuffle=False`, for a single pass, and for loops owned by a framework (Lightning, HF
        `Trainer`, Accelerate set the epoch themselves).
    """
    bad = """
        from torch.utils.data import DataLoader, DistributedSampler

        sampler = DistributedSampler(dataset)
        loader = DataLoader(dataset, batch_size=32, sampler=sampler)
        for epoch in range(epochs):
            for batch in loader:
                train_step(model, batch)
    """
    good = """
        from torch.utils.data import DataLoader, DistributedSampler

        sampler = DistributedSampler(dataset)
        loader = DataLoader(dataset, batch_size=32, sampler=sampler)
        for epoch in range(epochs):
            sampler.set_epoch(epoch)
            for batch in loader:
                train_step(model, batch)
    """
    fix_does = """
        Inserts `<sampler>.set_epoch(<epoch>)` (or `<loader>.sampler.set_epoch(<epoch>)`) as the
        first statement of the epoch loop, when the loop has an epoch variable (not `_`) and
        the sampler or loader is bound before the loop to a name the loop can see.  When the
        sampler may be `None` (`DistributedSampler(ds) if distributed else None`) the call is
        guarded by `if <sampler> is not None:` (or, through the loader, by
        `if hasattr(<loader>.sampler, "set_epoch"):`).
    """
    # The sampler or the loader may come from another file: any file that names a loader or sampler.
    requires_text = (("DistributedSampler", "loader", "Loader", "sampler"),)

    # Its screen is `tl201` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for entry in findings(ctx).values():
            loop = entry.loop
            source = entry.loaders[0].source
            related: List[Related] = []
            remote = source.remote
            if remote is not None:
                what = f"built in {remote.display}"
                related.append(Related(shown_path(remote.path), remote.line, "the sampler is built here"))
            elif access_path(ctx, source.sampler_expr) is not None:
                what = f"`{ctx.code(source.sampler_expr)}`"
            else:
                what = "built inline"
            handoffs = ctx.memo(("tl201.handoffs", id(loop.node)), list)
            for handoff in handoffs[:1]:
                related.append(Related(shown_path(handoff.target.path), handoff.line,
                                       f"`{handoff.target.name}()` is handed the loader and never calls set_epoch"))
            epoch = loop.var if loop.var not in (None, "_") else "epoch"
            statements = set_epoch_statements(ctx, entry, epoch)
            if statements:
                todo = " and ".join(f"`{code.strip().splitlines()[-1].strip()}`" for code in statements)
            else:
                todo = f"`<sampler>.set_epoch({epoch})`"
            callee = f" here or in `{handoffs[0].target.name.rsplit('.', 1)[-1]}()`" if handoffs else ""
            candidates = [
                f"shuffling DistributedSampler ({what}) never gets `set_epoch()`{callee}: every epoch repeats one "
                f"order; call {todo} per epoch",
                f"shuffling DistributedSampler ({what}) never gets `set_epoch()`: every epoch repeats one order; "
                f"call {todo} per epoch",
                f"shuffling DistributedSampler ({what}) never gets `set_epoch()`: every epoch repeats one order",
            ]
            if remote is not None:  # a deep path: the file name alone (the related location has the path)
                short = f"built in {os.path.basename(remote.path)}:{remote.line}"
                candidates.append(candidates[-1].replace(f"({what})", f"({short})"))
            candidates.append("shuffling DistributedSampler never gets `set_epoch()`: every epoch repeats one order")
            message = next(m for m in candidates if len(m) <= 160)
            found = self.violation(ctx, loop.node, message)
            found.related = tuple(related)
            yield found
