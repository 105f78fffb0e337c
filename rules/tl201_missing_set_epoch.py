"""TL201 missing-set-epoch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

import libcst as cst

from torchlint.analysis.dataflow import attribute_assignments, local_assignments, reaching_assignments, self_name
from torchlint.analysis.facts import (
    EpochLoop,
    access_path,
    bind_arguments,
    call_sites,
    calls_in,
    epoch_loops,
    function_facts,
    iterated_expressions,
    param_default,
    param_names,
    reachable_functions,
    resolve_call,
    return_values,
    same_file_class,
)
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation

DATALOADER = "torch.utils.data.DataLoader"
DISTRIBUTED_SAMPLER = "torch.utils.data.DistributedSampler"
BATCH_SAMPLER = "torch.utils.data.BatchSampler"

# Positional slots: DataLoader(dataset, batch_size, shuffle, sampler, batch_sampler, ...),
# DistributedSampler(dataset, num_replicas, rank, shuffle, seed, drop_last), BatchSampler(sampler, ...).
LOADER_SLOTS = {"shuffle": 2, "sampler": 3, "batch_sampler": 4}
SAMPLER_SHUFFLE_SLOT = 3
_MAX_HOPS = 6


def argument(call: cst.Call, keyword: str, position: Optional[int]) -> Optional[cst.Arg]:
    """The argument passed for `keyword` (by name, or at `position` if positional), when visible.

    A keyword written out cannot also come from `**kwargs` (Python would raise), so only
    positions after a `*args` are unknown.
    """
    index = 0
    positions_known = True
    for arg in call.args:
        if arg.star == "*":
            positions_known = False
        elif arg.star:
            continue
        elif arg.keyword is None:
            if positions_known and position is not None and index == position:
                return arg
            index += 1
        elif arg.keyword.value == keyword:
            return arg
    return None


def has_star_args(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def _is_subclass_call(ctx: FileContext, call: cst.Call, qualified: str, depth: int = 0) -> bool:
    """Is `call` a construction of `qualified` or of a same-file subclass of it?"""
    if ctx.is_name(call.func, qualified):
        return True
    if not isinstance(call.func, cst.Name) or depth > 4:
        return False
    return _class_derives(ctx, call.func.value, qualified, depth)


def _class_derives(ctx: FileContext, name: str, qualified: str, depth: int) -> bool:
    class_def = same_file_class(ctx, name)
    if class_def is None or depth > 4:
        return False
    for base in class_def.bases:
        if ctx.is_name(base.value, qualified):
            return True
        if isinstance(base.value, cst.Name) and _class_derives(ctx, base.value.value, qualified, depth + 1):
            return True
    return False


def is_dataloader_call(ctx: FileContext, node) -> bool:
    return isinstance(node, cst.Call) and _is_subclass_call(ctx, node, DATALOADER)


def is_distributed_sampler_call(ctx: FileContext, node) -> bool:
    return isinstance(node, cst.Call) and _is_subclass_call(ctx, node, DISTRIBUTED_SAMPLER)


def shuffles(call: cst.Call) -> bool:
    """Does this DistributedSampler shuffle for certain (default, or a literal `shuffle=True`)?"""
    arg = argument(call, "shuffle", SAMPLER_SHUFFLE_SLOT)
    if arg is None:
        return not has_star_args(call)  # the default, unless `*args`/`**kwargs` may pass it
    return isinstance(arg.value, cst.Name) and arg.value.value == "True"


# -- what an expression may hold ---------------------------------------------------------
def _is_none(node) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def possible_values(ctx: FileContext, node: cst.BaseExpression, hops: int = 0) -> Tuple[List, bool]:
    """(the expressions `node` may evaluate to, whether other values we cannot see are possible).

    Follows local names (reaching assignments), `self.attr` (assignments in the class) and
    both arms of `a if c else b`.
    """
    if isinstance(node, cst.IfExp):
        body, body_open = possible_values(ctx, node.body, hops)
        orelse, else_open = possible_values(ctx, node.orelse, hops)
        return body + orelse, body_open or else_open
    if hops >= _MAX_HOPS:
        return [], True
    if isinstance(node, cst.Name) and not _is_none(node):
        reaching = reaching_assignments(ctx, node)
        values, open_ = [], not reaching or not reaching[-1].unconditional
        for assignment in reaching:
            value = assignment.value
            if value is None:
                value = _unpacked_value(ctx, assignment.statement, node.value, hops)
            if value is None:
                open_ = True
                continue
            more, more_open = possible_values(ctx, value, hops + 1)
            values.extend(more)
            open_ = open_ or more_open
        if open_:
            from_params = _parameter_values(ctx, node, hops)
            if from_params is not None:
                more, open_ = from_params
                values.extend(more)
        return values, open_
    if isinstance(node, cst.Call):
        callee = resolve_call(ctx, node)
        if callee is not None:  # a same-file factory: what it returns
            returned = return_values(ctx, callee)
            values, open_ = [], not returned
            for value in returned:
                more, more_open = possible_values(ctx, value, hops + 1)
                values.extend(more)
                open_ = open_ or more_open
            return values, open_
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
        if node.value.value == self_name(ctx, node):
            class_def = ctx.enclosing(node, (cst.ClassDef,))
            assigned = attribute_assignments(ctx, class_def, node.attr.value) if class_def else []
            values, open_ = [], not assigned
            for assignment in assigned:
                more, more_open = possible_values(ctx, assignment.value, hops + 1)
                values.extend(more)
                open_ = open_ or more_open
            return values, open_
        return [], True
    return [node], False


def _unpacked_value(ctx: FileContext, statement, name: str, hops: int) -> Optional[cst.BaseExpression]:
    """`a, b = x, y` or `a, b = f()` with `f` returning `x, y`: the element bound to `name`."""
    if not isinstance(statement, cst.Assign) or len(statement.targets) != 1:
        return None
    target = statement.targets[0].target
    if not isinstance(target, (cst.Tuple, cst.List)):
        return None
    names = [e.value.value if isinstance(e.value, cst.Name) else None for e in target.elements]
    if names.count(name) != 1 or any(isinstance(e, cst.StarredElement) for e in target.elements):
        return None
    index = names.index(name)
    value = statement.value
    if isinstance(value, cst.Call) and hops < _MAX_HOPS:
        callee = resolve_call(ctx, value)
        returned = return_values(ctx, callee) if callee is not None else []
        value = returned[0] if len(returned) == 1 else None
    if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(names):
        element = value.elements[index]
        return None if isinstance(element, cst.StarredElement) else element.value
    return None


def _parameter_values(ctx: FileContext, use: cst.Name, hops: int) -> Optional[Tuple[List, bool]]:
    """What a parameter (not reassigned before `use`) is given at the file's own call sites."""
    function = ctx.scope_of(use)
    if not isinstance(function, cst.FunctionDef) or use.value not in param_names(function):
        return None
    if reaching_assignments(ctx, use):
        return None  # reassigned on some path: the parameter is only part of the story
    sites = call_sites(ctx, function)
    if not sites:
        return None
    values, open_ = [], False
    for call in sites:
        bound = bind_arguments(ctx, call, function)
        given = bound.get(use.value, param_default(function, use.value))
        if given is None or has_star_args(call):
            open_ = True
            continue
        more, more_open = possible_values(ctx, given, hops + 1)
        values.extend(more)
        open_ = open_ or more_open
    return values, open_


def _attribute_values(ctx: FileContext, at: cst.CSTNode, attr: str) -> Tuple[List, bool]:
    """Values of `self.<attr>` seen from a method containing `at`."""
    class_def = ctx.enclosing(at, (cst.ClassDef,))
    assigned = attribute_assignments(ctx, class_def, attr) if class_def else []
    values, open_ = [], not assigned
    for assignment in assigned:
        more, more_open = possible_values(ctx, assignment.value, 1)
        values.extend(more)
        open_ = open_ or more_open
    return values, open_


# -- the samplers behind a loader --------------------------------------------------------
@dataclass
class SamplerSource:
    """A shuffling DistributedSampler that a DataLoader draws from."""

    loader_call: cst.Call
    sampler_calls: List[cst.Call]  # the DistributedSampler(...) constructions it may be
    sampler_expr: cst.BaseExpression  # as passed to DataLoader (or to BatchSampler)
    via_batch_sampler: bool
    maybe_none: bool  # `DistributedSampler(ds) if distributed else None`
    only_distributed: bool  # every non-None value is one of `sampler_calls`


def sampler_source(ctx: FileContext, loader_call: cst.Call) -> Optional[SamplerSource]:
    """The shuffling DistributedSampler behind `DataLoader(..., sampler=/batch_sampler=...)`, if any."""
    via_batch = False
    arg = argument(loader_call, "sampler", LOADER_SLOTS["sampler"])
    if arg is None or _is_none(arg.value):
        arg = argument(loader_call, "batch_sampler", LOADER_SLOTS["batch_sampler"])
        if arg is None:
            return None
        batch_values, _ = possible_values(ctx, arg.value)
        inner = [v for v in batch_values if isinstance(v, cst.Call) and _is_subclass_call(ctx, v, BATCH_SAMPLER)]
        if len(inner) != 1 or len(batch_values) != 1:
            return None
        arg = argument(inner[0], "sampler", 0)
        if arg is None:
            return None
        via_batch = True
    values, open_ = possible_values(ctx, arg.value)
    samplers = [v for v in values if is_distributed_sampler_call(ctx, v)]
    if not samplers or not all(shuffles(s) for s in samplers):
        return None
    others = [v for v in values if not is_distributed_sampler_call(ctx, v)]
    maybe_none = any(_is_none(v) for v in others)
    only = not open_ and all(_is_none(v) for v in others)
    return SamplerSource(loader_call, samplers, arg.value, via_batch, maybe_none, only)


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
        values, _ = _attribute_values(ctx, root, path)
    else:
        return []
    return [v for v in values if is_dataloader_call(ctx, v)]


def _loaders_from(ctx: FileContext, root: cst.BaseExpression, path: str, handle, handle_attr: str = ""):
    for loader_call in _loader_values(ctx, root, path):
        source = sampler_source(ctx, loader_call)
        if source is not None:
            yield IteratedLoader(handle, source, handle_attr)


def iterated_loaders(ctx: FileContext, loop: cst.CSTNode) -> List[IteratedLoader]:
    """Loaders with a shuffling DistributedSampler that `loop` iterates, itself or through same-file calls."""
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
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value != "sampler":
                found.extend(_loaders_from(ctx, arg.value, "", arg.value if access_path(ctx, arg.value) else None))
    return found


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


def may_set_epoch(ctx: FileContext, loop: EpochLoop, loaders: List[IteratedLoader]) -> bool:
    """Could something in the loop call `set_epoch`?  Errs on the side of yes."""
    body = loop.node.body
    if _calls_set_epoch(ctx, body) or any(_calls_set_epoch(ctx, f) for f in reachable_functions(ctx, body)):
        return True
    # An unknown (other-file) function handed the sampler or the loader, together with the
    # epoch, may set the epoch itself (`train_one_epoch(model, loader, epoch)` sometimes calls
    # `loader.sampler.set_epoch(epoch)`).  We cannot see it, so we stay silent.
    handed = set()
    for item in loaders:
        for expr in (item.source.sampler_expr, item.handle):
            path = access_path(ctx, expr) if expr is not None else None
            if path is not None:
                handed.add(path[0])
    for call in _unresolved_calls(ctx, body):
        names = set()
        for arg in call.args:
            names |= _names_in(ctx, arg.value)
        if isinstance(call.func, cst.Attribute):
            names |= _names_in(ctx, call.func.value)
        if names & handed and (loop.var is None or loop.var in names):
            return True
    return False


def _seeded_per_epoch(ctx: FileContext, loop: cst.CSTNode, source: SamplerSource) -> bool:
    """A sampler built inside the loop with an explicit seed may vary it per epoch."""
    return any(ctx.contains(loop, s) and argument(s, "seed", 4) is not None for s in source.sampler_calls)


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
    sampler = visible_spelling(ctx, loop.node, source.sampler_expr)
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
    return not open_ and bool(values) and all(v is loader_call for v in values)


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
        `set_epoch`.  It stays silent for `shuffle=False`, for a single pass, for loops
        owned by a framework (Lightning, HF `Trainer`, Accelerate set the epoch
        themselves), and when the loader and the epoch are handed to a function of another
        file that might call `set_epoch`.
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
    requires_text = (("DistributedSampler",), ("DataLoader",))

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for entry in findings(ctx).values():
            loop = entry.loop
            expr = entry.loaders[0].source.sampler_expr
            what = f"`{ctx.code(expr)}`" if access_path(ctx, expr) is not None else "built inline"
            epoch = loop.var if loop.var not in (None, "_") else "epoch"
            statements = set_epoch_statements(ctx, entry, epoch)
            if statements:
                todo = " and ".join(f"`{code.strip().splitlines()[-1].strip()}`" for code in statements)
            else:
                todo = f"`<sampler>.set_epoch({epoch})`"
            yield self.violation(
                ctx,
                loop.node,
                f"this epoch loop iterates a DataLoader whose shuffling DistributedSampler ({what}) never gets "
                f"`set_epoch()`, so every epoch replays the same sample order on every rank; call "
                f"{todo} at the start of each epoch",
            )
