"""TL202 shuffle-with-sampler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

import libcst as cst

from torchlint.analysis.facts import possible_values
from torchlint.analysis.samplers import LOADER_SLOTS, argument, is_dataloader_call
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation

ALWAYS, SOMETIMES = "always", "sometimes"
ERRORS = {
    "sampler": "sampler option is mutually exclusive with shuffle",
    "batch_sampler": "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last",
}
SHORT_ERRORS = {**ERRORS, "batch_sampler": "batch_sampler option is mutually exclusive..."}


@dataclass
class ShuffleConflict:
    shuffle: cst.Arg  # the `shuffle=True` argument
    option: str  # "sampler" or "batch_sampler"
    option_arg: cst.Arg
    how_often: str  # ALWAYS: the option is never None; SOMETIMES: it is on some paths


def _is_true(node) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def _is_none(node) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def shuffle_conflict(ctx: FileContext, call: cst.Call) -> Optional[ShuffleConflict]:
    """`DataLoader(..., shuffle=True, sampler=<not None on some path>)`, if `call` is one."""
    if not is_dataloader_call(ctx, call):
        return None
    shuffle = argument(call, "shuffle", LOADER_SLOTS["shuffle"])
    if shuffle is None or not _is_true(shuffle.value):
        return None  # `shuffle=(sampler is None)`, `shuffle=args.shuffle`: fine or unknown
    for option in ("sampler", "batch_sampler"):
        arg = argument(call, option, LOADER_SLOTS[option])
        if arg is None or _is_none(arg.value):
            continue
        values, open_ = possible_values(ctx, arg.value)
        provided = [v for v in values if not _is_none(v)]
        if not provided:
            continue  # only None, or nothing we can see (a parameter): cannot prove
        always = not open_ and len(provided) == len(values)
        return ShuffleConflict(shuffle, option, arg, ALWAYS if always else SOMETIMES)
    return None


class ShuffleWithSampler(Rule):
    code = "TL202"
    name = "shuffle-with-sampler"
    summary = "`DataLoader(shuffle=True, sampler=...)`: the options are mutually exclusive and raise"
    why = """
        A `DataLoader` either shuffles itself (`shuffle=True`, which builds a `RandomSampler`) or
        draws indices from the sampler you pass; it refuses both:

            ValueError: sampler option is mutually exclusive with shuffle

        and with `batch_sampler=`:

            ValueError: batch_sampler option is mutually exclusive with batch_size, shuffle,
            sampler, and drop_last

        Shuffling belongs to the sampler (`DistributedSampler(ds, shuffle=True)` is the
        default).  The common `shuffle=(sampler is None)` idiom is fine and not reported; a
        sampler that is `None` on some paths (`DistributedSampler(ds) if distributed else None`)
        is reported, since the program raises on the paths where it is set.
    """
    bad = """
        from torch.utils.data import DataLoader, DistributedSampler

        sampler = DistributedSampler(dataset)
        loader = DataLoader(dataset, batch_size=32, shuffle=True, sampler=sampler)
    """
    good = """
        from torch.utils.data import DataLoader, DistributedSampler

        sampler = DistributedSampler(dataset)
        loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    """
    fix_does = """
        Removes `shuffle=True` (or passes `False` where it is positional).  When the sampler is
        `None` on some paths, writes `shuffle=(<sampler> is None)` instead, which keeps shuffling
        on the paths without a sampler.  Only programs that raised change behaviour.
    """
    requires_text = (("DataLoader",), ("True",))  # shuffle and sampler may both be positional

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for call in ctx.nodes(cst.Call):
            conflict = shuffle_conflict(ctx, call)
            if conflict is None:
                continue
            given = ctx.code(conflict.option_arg.value)
            given = given if len(given) <= 14 and "\n" not in given else conflict.option
            where = "" if conflict.how_often == ALWAYS else f" where `{given}` is not None"
            error = SHORT_ERRORS[conflict.option]
            yield self.violation(
                ctx,
                conflict.shuffle,
                f"`shuffle=True` with `{conflict.option}=`{where} raises \"ValueError: {error}\"; drop `shuffle=True`",
            )
