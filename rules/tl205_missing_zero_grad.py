"""TL205 missing-zero-grad."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List

import libcst as cst

from torchlint.analysis.facts import resolve_call
from torchlint.analysis.training import (
    OptimizerStep,
    backward_calls_in,
    engine_backward,
    optimizer_steps_in,
    resets_gradients,
    training_loops,
)
from torchlint.context import FileContext
from torchlint.names import dotted_name
from torchlint.rule import Rule, Violation


@dataclass
class Accumulating:
    """A loop that runs backward passes and optimizer steps and never resets the gradients."""

    loop: cst.CSTNode
    backwards: List[cst.Call]
    steps: List[OptimizerStep]


def accumulating_loops(ctx: FileContext) -> Dict[int, Accumulating]:
    """id(first backward call) -> the loop it is reported for."""
    return ctx.memo("tl205.loops", lambda: _find(ctx))


def _find(ctx: FileContext) -> Dict[int, Accumulating]:
    candidates = []
    for loop in training_loops(ctx):
        steps = optimizer_steps_in(ctx, loop)
        backwards = backward_calls_in(ctx, loop)
        if not steps or any(engine_backward(ctx, call) for call in backwards):
            continue
        candidates.append(Accumulating(loop, backwards, steps))
    found = {}
    for candidate in candidates:
        # An inner loop that steps and backpropagates is the one to judge (an epoch loop around
        # a batch loop, a GAN's critic loop); the outer loop is not reported for it.
        if any(other is not candidate and ctx.contains(candidate.loop, other.loop) for other in candidates):
            continue
        if resets_gradients(ctx, candidate.loop) or _hands_optimizer_to_unseen_code(ctx, candidate):
            continue
        found[id(candidate.backwards[0])] = candidate
    return found


def _hands_optimizer_to_unseen_code(ctx: FileContext, found: Accumulating) -> bool:
    """`clip_and_step(optimizer)` from another module, `self.after_step()` inherited from elsewhere:
    code we cannot see that may zero the gradients."""
    optimizers = {ctx.code(step.optimizer) for step in found.steps}
    owners = {name.split(".", 1)[0] for name in optimizers if "." in name}
    for call in ctx.walk(found.loop, cst.Call):
        if ctx.inside_nested_scope(call, found.loop) or resolve_call(ctx, call) is not None:
            continue
        func = call.func
        last = (dotted_name(func) or "").rsplit(".", 1)[-1]
        if any(ctx.code(arg.value) in optimizers for arg in call.args) and last not in _TAKE_OPTIMIZER:
            return True
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in owners:
            if _hook_like(func.attr.value):
                return True  # `self.after_iter()` of a base class in another file
    return False


# Calls that take the optimizer and certainly leave its gradients alone.
_TAKE_OPTIMIZER = frozenset({"step", "scale_loss", "unscale_", "update", "print", "len"})


def _hook_like(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith(("on_", "after_", "before_", "_after", "_before", "_on_")) or any(
        word in lowered for word in ("hook", "callback", "optim", "grad", "update_param")
    )


def optimizer_names(ctx: FileContext, found: Accumulating) -> List[str]:
    names: List[str] = []
    for step in found.steps:
        spelled = ctx.code(step.optimizer)
        if spelled not in names:
            names.append(spelled)
    return names


class MissingZeroGrad(Rule):
    code = "TL205"
    name = "missing-zero-grad"
    summary = "A loop calls `backward()` and `optimizer.step()` but never `zero_grad()`: gradients add up across steps"
    why = """
        `loss.backward()` adds the new gradients to whatever `.grad` already holds; it never
        overwrites them.  `optimizer.step()` does not clear them either.  A training loop that calls
        `backward()` and `step()` every iteration without `optimizer.zero_grad()` (or
        `model.zero_grad()`, or `p.grad = None`) therefore steps, at iteration k, along the sum
        of all k gradients so far.  Nothing fails: the loss decreases for a few steps, then
        oscillates or diverges, and lowering the learning rate only delays it.

        torchlint reports the innermost loop that runs a backward pass and an optimizer step and
        has no gradient reset anywhere in its body, nor in a same-file function it calls.
        Gradient accumulation (`step()` and `zero_grad()` under `if (i + 1) % k == 0:`) has a
        reset in the loop and is not reported; neither are loops whose backward pass is run by a
        framework (`accelerator.backward(loss)`, `engine.backward(loss)`), which manages gradients.
    """
    bad = """
        import torch

        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for x, y in loader:
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
    """
    good = """
        import torch

        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for x, y in loader:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    """
    fix_does = """
        Inserts `optimizer.zero_grad()` just before the statement of the loop body that runs the
        backward pass (offered when the loop has one backward pass and one optimizer).  Unsafe:
        the parameter updates change -- each step uses only its own gradients, as intended.
    """
    requires_text = (("backward",), ("step",))

    # Its screen is `tl205` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for found in accumulating_loops(ctx).values():
            names = optimizer_names(ctx, found)
            shown = " / ".join(f"`{n}.step()`" for n in names[:2])
            candidates = [
                f"loop runs `backward()` and {shown} but never zeroes gradients, so they add up across steps; "
                f"call `{names[0]}.zero_grad()` before `backward()`",
                f"loop runs `backward()` and `{names[0]}.step()` but never zeroes gradients: they add up across "
                f"iterations; call `zero_grad()` first",
                "loop runs `backward()` and `optimizer.step()` but never zeroes gradients: they add up across "
                "iterations; call `optimizer.zero_grad()` before `backward()`",
            ]
            message = next(m for m in candidates if len(m) <= 160 or m is candidates[-1])
            yield self.violation(ctx, found.backwards[0], message)
