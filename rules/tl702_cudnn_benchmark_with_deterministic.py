"""TL702 cudnn-benchmark-with-deterministic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

import libcst as cst

from torchlint.analysis.dataflow import in_exclusive_branches
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation
from torchlint.rule_screens import BENCHMARK, DETERMINISTIC


@dataclass
class Setting:
    statement: cst.Assign
    target: cst.BaseExpression
    value: Optional[bool]  # None: not a literal


@dataclass
class Conflict:
    benchmark: Setting
    deterministic: Setting
    same_scope: bool


def _literal(node: cst.BaseExpression) -> Optional[bool]:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    if isinstance(node, cst.Integer) and node.value in ("0", "1"):
        return node.value == "1"
    return None


def _settings(ctx: FileContext) -> Dict[str, List[Setting]]:
    found: Dict[str, List[Setting]] = {BENCHMARK: [], DETERMINISTIC: []}
    for node in ctx.nodes(cst.Assign):
        for target in node.targets:
            if not isinstance(target.target, cst.Attribute):
                continue
            name = ctx.qualified_name(target.target)
            if name in found:
                found[name].append(Setting(node, target.target, _literal(node.value)))
    return found


def conflicts(ctx: FileContext) -> Dict[int, Conflict]:
    """id(the `benchmark = True` statement) -> the conflict it is reported for."""
    return ctx.memo("tl702.conflicts", lambda: _find(ctx))


def _find(ctx: FileContext) -> Dict[int, Conflict]:
    settings = _settings(ctx)
    on = [s for s in settings[DETERMINISTIC] if s.value is True]
    found: Dict[int, Conflict] = {}
    for benchmark in (s for s in settings[BENCHMARK] if s.value is True):
        for deterministic in on:
            if in_exclusive_branches(ctx, benchmark.statement, deterministic.statement):
                continue  # `if args.deterministic: ... else: cudnn.benchmark = True`
            scope = ctx.scope_of(deterministic.statement)
            same = ctx.scope_of(benchmark.statement) is scope
            if _disabled_with_it(ctx, settings[BENCHMARK], deterministic, benchmark, same):
                continue
            found[id(benchmark.statement)] = Conflict(benchmark, deterministic, same)
            break
    return found


def _disabled_with_it(ctx, benchmarks: List[Setting], deterministic: Setting, benchmark: Setting, same: bool) -> bool:
    """Is benchmarking switched off next to the deterministic setting (and not switched on after that)?"""
    scope = ctx.scope_of(deterministic.statement)
    for other in benchmarks:
        if other.value is True or ctx.scope_of(other.statement) is not scope:
            continue
        if in_exclusive_branches(ctx, other.statement, deterministic.statement):
            continue
        if not same or ctx.order(other.statement) > ctx.order(benchmark.statement):
            return True
    return False


class CudnnBenchmarkWithDeterministic(Rule):
    code = "TL702"
    name = "cudnn-benchmark-with-deterministic"
    summary = "`cudnn.deterministic = True` with `cudnn.benchmark = True`: runs still pick different algorithms"
    why = """
        `torch.backends.cudnn.deterministic = True` makes cuDNN use deterministic convolution
        algorithms; `torch.backends.cudnn.benchmark = True` makes it time the candidate algorithms
        at run time and keep the fastest.  Which one is fastest depends on timing noise, so two runs
        of the same seeded script can select different algorithms and produce different numbers --
        the reproducibility the deterministic flag was set for is not there.  PyTorch's
        reproducibility notes ("CUDA convolution benchmarking"): "Due to benchmarking noise and
        different hardware, the benchmark may select different algorithms on subsequent runs, even
        on the same machine.  Disabling the benchmarking feature with
        `torch.backends.cudnn.benchmark = False` causes cuDNN to deterministically select an
        algorithm, possibly at the cost of reduced performance."  And ("CUDA convolution
        determinism"): disabling benchmarking "ensures that CUDA selects the same algorithm each
        time an application is run", but "that algorithm itself may be nondeterministic, unless
        either `torch.use_deterministic_algorithms(True)` or
        `torch.backends.cudnn.deterministic = True` is set" -- reproducible convolutions need both.

        torchlint reports `cudnn.benchmark = True` in a file that sets `cudnn.deterministic = True`
        (in the same function, or elsewhere in the file) unless the two are in different branches
        of one `if`, or the function that sets `deterministic` also sets `benchmark = False`.
    """
    bad = """
        import torch

        torch.manual_seed(0)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = True
    """
    good = """
        import torch

        torch.manual_seed(0)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    """
    fix_does = """
        When both settings are made in the same function (or both at module level): a `benchmark =
        True` after the deterministic setting becomes `cudnn.benchmark = not cudnn.deterministic`
        (same spelling), which is right whether or not `deterministic = True` ran -- scripts often
        set it only under `if args.seed is not None:`, and unseeded runs keep benchmarking; one
        before it becomes `benchmark = False`.  Otherwise the finding has no fix, since which setting
        wins depends on the order the functions run in.  Unsafe: seeded runs' convolutions may run
        slower.
    """
    requires_text = (("benchmark",), ("deterministic",))

    # Its screen is `tl702` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for conflict in conflicts(ctx).values():
            yield self.violation(
                ctx,
                conflict.benchmark.statement,
                "`cudnn.benchmark = True` defeats `cudnn.deterministic = True`: runs may pick different conv "
                "algorithms; set it False (see `torch.use_deterministic_algorithms`)",
            )
