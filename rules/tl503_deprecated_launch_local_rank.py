"""TL503 deprecated-launch-local-rank."""

from __future__ import annotations

from typing import Iterator, List, Optional

import libcst as cst

from torchlint import tables
from torchlint.context import FileContext
from torchlint.names import dotted_name
from torchlint.rule import Rule, Violation

LAUNCH = "torch.distributed.launch"
UNDERSCORE, HYPHEN = "--local_rank", "--local-rank"
ADVICE = 'or use torchrun and `int(os.environ["LOCAL_RANK"])`'


def option_strings(call: cst.Call) -> List[cst.Arg]:
    """The leading positional string arguments of an `add_argument(...)` call."""
    found = []
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            break
        if not isinstance(arg.value, cst.SimpleString):
            break
        found.append(arg)
    return found


def underscore_only_option(call: cst.Call) -> Optional[cst.Arg]:
    """The `"--local_rank"` argument of `<parser>.add_argument(...)` when no `"--local-rank"` goes with it."""
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_argument"):
        return None
    options = option_strings(call)
    values = [arg.value.evaluated_value for arg in options]
    if UNDERSCORE not in values or HYPHEN in values:
        return None
    return options[values.index(UNDERSCORE)]


def under_version_check(ctx: FileContext, node: cst.CSTNode) -> bool:
    """`if TORCH_VERSION < (2, 0): parser.add_argument("--local_rank")`: the author handles both launchers."""
    return any(isinstance(a, cst.If) and "version" in ctx.code(a.test).lower() for a in ctx.ancestors(node))


DISTRIBUTED_PREFIXES = ("torch.distributed", "torch.utils.data.distributed", "torch.utils.data.DistributedSampler",
                        "torch.nn.parallel.DistributedDataParallel")  # fmt: skip


def _distributed(name: Optional[str]) -> bool:
    return name is not None and name.startswith(DISTRIBUTED_PREFIXES)


def uses_torch_distributed(ctx: FileContext) -> bool:
    """Does the file use distributed training (`torch.distributed`, `DistributedSampler`, DDP)?"""

    def compute():
        for node in ctx.nodes(cst.Import):
            if any(_distributed(dotted_name(a.name)) for a in node.names):
                return True
        for node in ctx.nodes(cst.ImportFrom):
            module = dotted_name(node.module) if node.module is not None and not node.relative else None
            if module is None or isinstance(node.names, cst.ImportStar):
                continue
            if any(_distributed(tables.canonical_name(f"{module}.{dotted_name(a.name)}")) for a in node.names):
                return True
        return any(_distributed(ctx.qualified_name(n)) for n in ctx.nodes(cst.Attribute))

    return ctx.memo("tl503.uses_torch_distributed", compute)


def launch_imports(ctx: FileContext) -> Iterator[cst.CSTNode]:
    """`import torch.distributed.launch`, `from torch.distributed import launch`, `from ...launch import`."""
    for node in ctx.nodes(cst.Import):
        for alias in node.names:
            if dotted_name(alias.name) in (LAUNCH,) or (dotted_name(alias.name) or "").startswith(LAUNCH + "."):
                yield alias
    for node in ctx.nodes(cst.ImportFrom):
        module = dotted_name(node.module) if node.module is not None and not node.relative else None
        if module == LAUNCH or (module or "").startswith(LAUNCH + "."):
            yield node
        elif module == "torch.distributed" and not isinstance(node.names, cst.ImportStar):
            yield from (a for a in node.names if dotted_name(a.name) == "launch")


def runpy_launches(ctx: FileContext) -> Iterator[cst.Call]:
    for call in ctx.nodes(cst.Call):
        if ctx.call_name(call) != "runpy.run_module" or not call.args:
            continue
        first = call.args[0].value
        if isinstance(first, cst.SimpleString) and first.evaluated_value == LAUNCH:
            yield call


class DeprecatedLaunchLocalRank(Rule):
    code = "TL503"
    name = "deprecated-launch-local-rank"
    summary = "`--local_rank` without a `--local-rank` alias: PyTorch >= 2.0's launcher passes the hyphenated form"
    why = """
        Scripts written for `python -m torch.distributed.launch` declare an argument for the
        local rank the launcher passes.  Since PyTorch 2.0 the launcher passes it with a hyphen,
        `--local-rank=0`, so a parser that only knows `--local_rank` stops every rank at once:

            error: unrecognized arguments: --local-rank=0

        `torch.distributed.launch` itself is deprecated in favour of `torchrun`, which passes no
        argument at all and sets `LOCAL_RANK` (and `RANK`, `WORLD_SIZE`) in the environment.
        Reported: an `add_argument("--local_rank", ...)` without a `"--local-rank"` alias in a
        file that uses distributed training (`torch.distributed`, `DistributedSampler`, DDP), unless
        it is declared under an `if` on a version, and imports or `runpy.run_module` uses of
        `torch.distributed.launch`.
    """
    bad = """
        import argparse
        import torch.distributed as dist

        parser = argparse.ArgumentParser()
        parser.add_argument("--local_rank", type=int, default=0)
    """
    good = """
        import os
        import torch.distributed as dist

        local_rank = int(os.environ["LOCAL_RANK"])  # set by torchrun
    """
    fix_does = """
        Adds the alias: `add_argument("--local_rank", "--local-rank", ...)`.  argparse stores both
        spellings in `args.local_rank`, so the script accepts old and new launchers alike.  Safe.
        The launcher imports are reported only.
    """
    requires_text = (("local_rank", "launch"), ("distributed",))

    # Its screen is `tl503` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        if "local_rank" in ctx.source and uses_torch_distributed(ctx):
            for call in ctx.nodes(cst.Call):
                option = underscore_only_option(call)
                if option is not None and not under_version_check(ctx, call):
                    yield self.violation(
                        ctx,
                        option,
                        "only `--local_rank` is accepted, but launch passes `--local-rank` since PyTorch 2.0; "
                        f"add the alias, {ADVICE}",
                    )
        for node in (*launch_imports(ctx), *runpy_launches(ctx)):
            yield self.violation(
                ctx,
                node,
                f"`{LAUNCH}` is deprecated and passes `--local-rank` to the script; use `torchrun`, "
                "which sets `LOCAL_RANK` in the environment",
            )
