"""DataLoaders and the shuffling DistributedSamplers behind them (TL201, TL202 and the summaries).

- `argument(call, keyword, position)`: the argument passed for a parameter, when visible.
- `is_dataloader_call` / `is_distributed_sampler_call`: constructions of those classes (or of a
  same-file subclass), and `RemoteValue`s that another file's summary says are one.
- `sampler_source(ctx, loader)`: the shuffling DistributedSampler a loader draws from, if any.

A value that comes from another file (`loader = build_loader(cfg)` with `build_loader` in
`data.py`) is a `summaries.RemoteValue`: the local expression plus the summary's plain data
(`{"k": "loader", "line": 41, ...}`) and where it is built, so messages can name the other half.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

import libcst as cst

from torchlint.analysis.facts import has_star_args, possible_values, same_file_class
from torchlint.analysis.summaries import LOADER, LOADER_OF, SAMPLER, RemoteValue
from torchlint.context import FileContext

DATALOADER = "torch.utils.data.DataLoader"
DISTRIBUTED_SAMPLER = "torch.utils.data.DistributedSampler"
BATCH_SAMPLER = "torch.utils.data.BatchSampler"

# Positional slots: DataLoader(dataset, batch_size, shuffle, sampler, batch_sampler, ...),
# DistributedSampler(dataset, num_replicas, rank, shuffle, seed, drop_last), BatchSampler(sampler, ...).
LOADER_SLOTS = {"shuffle": 2, "sampler": 3, "batch_sampler": 4}
SAMPLER_SHUFFLE_SLOT = 3


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


def is_remote(node, kind: str) -> bool:
    return isinstance(node, RemoteValue) and node.kind == kind


def is_dataloader_call(ctx: FileContext, node) -> bool:
    if is_remote(node, LOADER) or is_remote(node, LOADER_OF):
        return True
    return isinstance(node, cst.Call) and _is_subclass_call(ctx, node, DATALOADER)


def is_distributed_sampler_call(ctx: FileContext, node) -> bool:
    """A DistributedSampler construction, or another file's shuffling one (summaries keep only those)."""
    if is_remote(node, SAMPLER):
        return True
    return isinstance(node, cst.Call) and _is_subclass_call(ctx, node, DISTRIBUTED_SAMPLER)


def is_batch_sampler_call(ctx: FileContext, node) -> bool:
    return isinstance(node, cst.Call) and _is_subclass_call(ctx, node, BATCH_SAMPLER)


def shuffles(call) -> bool:
    """Does this DistributedSampler shuffle for certain (default, or a literal `shuffle=True`)?"""
    if isinstance(call, RemoteValue):
        return True
    arg = argument(call, "shuffle", SAMPLER_SHUFFLE_SLOT)
    if arg is None:
        return not has_star_args(call)  # the default, unless `*args`/`**kwargs` may pass it
    return isinstance(arg.value, cst.Name) and arg.value.value == "True"


def _is_none(node) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


@dataclass
class SamplerSource:
    """A shuffling DistributedSampler that a DataLoader draws from."""

    loader_call: cst.CSTNode  # the DataLoader(...) call, or the local call/name of a loader built elsewhere
    sampler_calls: List  # the DistributedSampler(...) constructions it may be (cst.Call or RemoteValue)
    sampler_expr: cst.BaseExpression  # as passed to DataLoader (or to BatchSampler), or the remote loader's node
    via_batch_sampler: bool
    maybe_none: bool  # `DistributedSampler(ds) if distributed else None`
    only_distributed: bool  # every non-None value is one of `sampler_calls`
    remote: Optional[RemoteValue] = None  # the other file's loader or sampler, when it is built there

    @property
    def local_sampler_calls(self) -> List[cst.Call]:
        return [s for s in self.sampler_calls if isinstance(s, cst.Call)]


def sampler_source(ctx: FileContext, loader_call) -> Optional[SamplerSource]:
    """The shuffling DistributedSampler behind `DataLoader(..., sampler=/batch_sampler=...)`, if any."""
    if is_remote(loader_call, LOADER_OF):
        # another file's `make_loader(ds, sampler)` wraps the sampler this call passes it
        value = loader_call.value
        call = loader_call.node
        index = value.get("index")
        arg = argument(call, value.get("param", ""), index if isinstance(index, int) else None) \
            if isinstance(call, cst.Call) else None  # fmt: skip
        if arg is None:
            return None
        values, open_ = possible_values(ctx, arg.value)
        samplers = [v for v in values if is_distributed_sampler_call(ctx, v)]
        if not samplers or not all(shuffles(s) for s in samplers):
            return None
        others = [v for v in values if not is_distributed_sampler_call(ctx, v)]
        remote = next((s for s in samplers if isinstance(s, RemoteValue)), None)
        return SamplerSource(call, samplers, arg.value, False, any(_is_none(v) for v in others),
                             not open_ and all(_is_none(v) for v in others), remote)  # fmt: skip
    if isinstance(loader_call, RemoteValue):
        value = loader_call.value
        return SamplerSource(loader_call.node, [], loader_call.node, bool(value.get("batch")),
                             bool(value.get("none")), bool(value.get("only")), loader_call)  # fmt: skip
    via_batch = False
    arg = argument(loader_call, "sampler", LOADER_SLOTS["sampler"])
    if arg is None or _is_none(arg.value):
        arg = argument(loader_call, "batch_sampler", LOADER_SLOTS["batch_sampler"])
        if arg is None:
            return None
        batch_values, _ = possible_values(ctx, arg.value)
        inner = [v for v in batch_values if is_batch_sampler_call(ctx, v)]
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
    remote = next((s for s in samplers if isinstance(s, RemoteValue)), None)
    return SamplerSource(loader_call, samplers, arg.value, via_batch, maybe_none, only, remote)


__all__ = [
    "BATCH_SAMPLER", "DATALOADER", "DISTRIBUTED_SAMPLER", "LOADER_SLOTS", "SAMPLER_SHUFFLE_SLOT", "SamplerSource",
    "argument", "is_batch_sampler_call", "is_dataloader_call", "is_distributed_sampler_call", "is_remote",
    "sampler_source", "shuffles",
]  # fmt: skip
