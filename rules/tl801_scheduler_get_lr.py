"""TL801 scheduler-get-lr."""

from __future__ import annotations

from typing import Iterator, List, Optional

import libcst as cst

from torchlint import tables
from torchlint.analysis.dataflow import attribute_assignments, local_assignments, reaching_assignments, self_name
from torchlint.context import FileContext
from torchlint.rule import Rule, Violation


def scheduler_classes() -> set:
    return set(tables.load("deprecated_apis")["lr_schedulers"])


def get_lr_calls(ctx: FileContext) -> List[cst.Call]:
    """`<scheduler>.get_lr()` calls whose receiver is certainly a torch lr scheduler built in this file."""

    def compute():
        found = []
        for call in ctx.nodes(cst.Call):
            func = call.func
            if not (isinstance(func, cst.Attribute) and func.attr.value == "get_lr" and not call.args):
                continue
            if _inside_scheduler_class(ctx, call):
                continue  # a scheduler's own code (a subclass calling its parent's formula)
            if is_scheduler(ctx, func.value):
                found.append(call)
        return found

    return ctx.memo("tl801.get_lr_calls", compute)


def is_scheduler(ctx: FileContext, expr: cst.BaseExpression) -> bool:
    values = _possible_values(ctx, expr)
    classes = scheduler_classes()
    return bool(values) and all(
        isinstance(value, cst.Call) and ctx.call_name(value) in classes for value in values
    )


def _possible_values(ctx: FileContext, expr: cst.BaseExpression) -> Optional[list]:
    """Every value `expr` (a name or `self.attr`) may hold, or None when some are unknown."""
    if isinstance(expr, cst.Name):
        scope = ctx.scope_of(expr)
        if isinstance(scope, (cst.ClassDef, cst.Lambda)) or expr.value in {p.name.value for p in _params(scope)}:
            return None
        if any(expr.value in (n.name.value for n in d.names if isinstance(n.name, cst.Name))
               for d in ctx.walk(scope, cst.Global)):  # fmt: skip
            return None
        reaching = reaching_assignments(ctx, expr)
        if reaching:  # branches that all assign (`if resume: s = A(...) else: s = B(...)`) cover every value
            return [a.value for a in reaching]
        if scope is ctx.module or local_assignments(ctx, scope).get(expr.value):
            return None
        module_level = local_assignments(ctx, ctx.module).get(expr.value, [])  # a global of the script
        return [a.value for a in module_level] or None
    if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name):
        if expr.value.value != self_name(ctx, expr):
            return None
        class_def = ctx.enclosing(expr, (cst.ClassDef,))
        assigned = attribute_assignments(ctx, class_def, expr.attr.value) if class_def else []
        return [a.value for a in assigned] or None
    return None


def _params(scope: cst.CSTNode):
    if not isinstance(scope, (cst.FunctionDef, cst.Lambda)):
        return []
    p = scope.params
    return [*p.posonly_params, *p.params, *p.kwonly_params,
            *([p.star_arg] if isinstance(p.star_arg, cst.Param) else []),
            *([p.star_kwarg] if p.star_kwarg else [])]  # fmt: skip


def _inside_scheduler_class(ctx: FileContext, node: cst.CSTNode) -> bool:
    for class_def in (a for a in ctx.ancestors(node) if isinstance(a, cst.ClassDef)):
        for base in class_def.bases:
            name = ctx.qualified_name(base.value) or ""
            if name.startswith("torch.optim.lr_scheduler.") or name == "torch.optim.LRScheduler":
                return True
    return False


class SchedulerGetLr(Rule):
    code = "TL801"
    name = "scheduler-get-lr"
    summary = "`scheduler.get_lr()` outside the scheduler: it warns and can be one step off; use `get_last_lr()`"
    why = """
        Since PyTorch 1.4 (January 2020) an lr scheduler's `get_lr()` is its internal formula
        for the *next* update, meant to be called only by `step()`; the value the optimizer is
        using is `get_last_lr()`.  Called from a training loop, it warns

            UserWarning: To get the last learning rate computed by the scheduler, please use `get_last_lr()`.

        and, for the chainable schedulers (`StepLR`, `MultiStepLR`,
        `ExponentialLR`, `CosineAnnealingLR`...), returns the current lr decayed once more: at a
        `MultiStepLR` milestone with `gamma=0.1` the logged lr is 10x smaller than the one
        training really uses -- logs, dashboards and "lr-based" early stopping all see a wrong
        value.

        Reported only where the receiver is certainly a `torch.optim.lr_scheduler` scheduler
        built in the same file (a local name, a script global or `self.<attr>`), and not inside
        a scheduler subclass's own code.
    """
    bad = """
        import torch

        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1)
        for epoch in range(100):
            train(...)
            scheduler.step()
            print(f"epoch {epoch} lr {scheduler.get_lr()[0]}")
    """
    good = """
        import torch

        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1)
        for epoch in range(100):
            train(...)
            scheduler.step()
            print(f"epoch {epoch} lr {scheduler.get_last_lr()[0]}")
    """
    fix_does = """
        Replaces `get_lr()` with `get_last_lr()`.  Unsafe: the printed or logged values change (to
        the learning rates the optimizer really uses), and code that fed `get_lr()`'s result back
        into training would now get the current rate instead of the next one.
    """
    requires_text = (("get_lr",), ("lr_scheduler",))

    # Its screen is `tl801` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for call in get_lr_calls(ctx):
            yield self.violation(
                ctx,
                call,
                f"`{ctx.code(call.func.value)}.get_lr()` warns outside `step()` and can return the next step's lr "
                "(off by `gamma` at milestones): use `get_last_lr()`",
            )
