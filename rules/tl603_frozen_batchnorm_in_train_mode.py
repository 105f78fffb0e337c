"""TL603 frozen-batchnorm-in-train-mode (opt-in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

import libcst as cst

from torchlint.analysis.dataflow import attribute_assignments, local_assignments, self_name
from torchlint.analysis.facts import same_file_class
from torchlint.context import FileContext
from torchlint.names import dotted_name
from torchlint.rule import Rule, Violation

_BATCHNORMS = ("torch.nn.BatchNorm1d", "torch.nn.BatchNorm2d", "torch.nn.BatchNorm3d", "torch.nn.SyncBatchNorm",
               "torch.nn.LazyBatchNorm1d", "torch.nn.LazyBatchNorm2d", "torch.nn.LazyBatchNorm3d")  # fmt: skip
# torchvision architectures built with batch norm (vgg*_bn too; plain vgg, alexnet, vit, swin... are not).
_TORCHVISION_BN = ("resnet", "resnext", "wide_resnet", "densenet", "mobilenet", "efficientnet", "regnet",
                   "inception", "googlenet", "shufflenet", "mnasnet", "convnext_bn")  # fmt: skip
_SELF_RETURNING = frozenset({"to", "cuda", "cpu", "half", "float", "train", "requires_grad_"})
_MAX_DEPTH = 4


@dataclass
class FrozenInTrainMode:
    freeze: cst.CSTNode  # the `requires_grad = False` statement or `requires_grad_(False)` call
    frozen: str  # the frozen module as spelled: "model.backbone"
    train_call: cst.Call  # the `.train()` that puts it back in training mode


def _literal_false(node: Optional[cst.BaseExpression]) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def freeze_sites(ctx: FileContext) -> List[tuple]:
    """(statement, frozen module as spelled, its expression) for whole-module freezes."""
    found = []
    for call in ctx.nodes(cst.Call):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "requires_grad_" and len(call.args) == 1:
            if _literal_false(call.args[0].value) and dotted_name(func.value) is not None:
                found.append((call, dotted_name(func.value), func.value))
    for loop in ctx.nodes(cst.For):
        owner = _parameters_owner(loop)
        param = _loop_param(loop)
        if owner is None or param is None or not isinstance(loop.body, cst.IndentedBlock):
            continue
        for statement in loop.body.body:  # unconditional statements only: `if "fc" in name:` freezes a part
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and _literal_false(small.value) and any(
                    isinstance(t.target, cst.Attribute) and t.target.attr.value == "requires_grad"
                    and dotted_name(t.target.value) == param for t in small.targets
                ):  # fmt: skip
                    found.append((small, owner, loop.iter.func.value))
    return found


def _parameters_owner(loop: cst.For) -> Optional[str]:
    """`model.backbone` in `for p in model.backbone.parameters():`."""
    it = loop.iter
    if isinstance(it, cst.Call) and isinstance(it.func, cst.Attribute) and it.func.attr.value in (
            "parameters", "named_parameters") and not it.args:  # fmt: skip
        return dotted_name(it.func.value)
    return None


def _loop_param(loop: cst.For) -> Optional[str]:
    target = loop.target
    if isinstance(target, cst.Name):
        return target.value
    if isinstance(target, cst.Tuple) and len(target.elements) == 2 and isinstance(target.elements[1].value, cst.Name):
        return target.elements[1].value.value
    return None


# -- does the frozen module contain batch norm? ---------------------------------------------
def has_batchnorm(ctx: FileContext, expr: Optional[cst.BaseExpression], depth: int = 0) -> bool:
    if expr is None or depth > _MAX_DEPTH:
        return False
    if isinstance(expr, cst.Call):
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in _SELF_RETURNING:
            return has_batchnorm(ctx, func.value, depth + 1)
        qualified = ctx.call_name(expr) or ""
        if qualified in _BATCHNORMS:
            return True
        if qualified.startswith("torchvision.models."):
            arch = qualified.rsplit(".", 1)[-1].lower()
            return arch.startswith(_TORCHVISION_BN) or arch.endswith("_bn")
        if qualified in ("torch.nn.Sequential", "torch.nn.ModuleList"):
            return any(has_batchnorm(ctx, a.value, depth + 1) for a in expr.args) or any(
                has_batchnorm(ctx, e.value, depth + 1)
                for a in expr.args if isinstance(a.value, (cst.List, cst.Tuple)) for e in a.value.elements
            )  # fmt: skip
        if isinstance(func, cst.Name):
            class_def = same_file_class(ctx, func.value)
            if class_def is not None:
                return _class_has_batchnorm(ctx, class_def, depth + 1)
        return False
    if isinstance(expr, cst.Name):
        scope = ctx.scope_of(expr)
        assigned = [a.value for a in local_assignments(ctx, scope).get(expr.value, []) if a.value is not None]
        if not assigned and scope is not ctx.module:
            assigned = [a.value for a in local_assignments(ctx, ctx.module).get(expr.value, []) if a.value is not None]
        return any(has_batchnorm(ctx, value, depth + 1) for value in assigned)
    if isinstance(expr, cst.Attribute):
        return any(has_batchnorm(ctx, value, depth + 1) for value in _attribute_values(ctx, expr))
    return False


def _attribute_values(ctx: FileContext, expr: cst.Attribute) -> List[cst.BaseExpression]:
    """What `self.backbone` / `model.backbone` was assigned, through a same-file class."""
    owner = expr.value
    class_def = None
    if isinstance(owner, cst.Name) and owner.value == self_name(ctx, expr):
        class_def = ctx.enclosing(expr, (cst.ClassDef,))
    elif isinstance(owner, cst.Name):
        scope = ctx.scope_of(expr)
        for assignment in local_assignments(ctx, scope).get(owner.value, []):
            value = assignment.value
            while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                    value.func.attr.value in _SELF_RETURNING:  # fmt: skip
                value = value.func.value
            if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
                class_def = same_file_class(ctx, value.func.value) or class_def
    values = []
    if class_def is not None:
        values = [a.value for a in attribute_assignments(ctx, class_def, expr.attr.value) if a.value is not None]
    spelled = dotted_name(expr)
    scope = ctx.scope_of(expr)
    for node in ctx.nodes(cst.Assign):  # `model.backbone = resnet50()` in the same function
        if ctx.scope_of(node) is scope and any(dotted_name(t.target) == spelled for t in node.targets):
            values.append(node.value)
    return values


def _class_has_batchnorm(ctx: FileContext, class_def: cst.ClassDef, depth: int) -> bool:
    for call in ctx.walk(class_def, cst.Call):
        if has_batchnorm(ctx, call, depth):
            return True
    return False


# -- is it put back in eval mode? --------------------------------------------------------------
def _restores_eval(ctx: FileContext, frozen: str, train_call: cst.Call) -> bool:
    """An `.eval()` of the frozen part after the `.train()` (same function), a `train()` override,
    or a helper that sets batch norms to eval (`m.eval()` over `.modules()`, `set_bn_eval`)."""
    for function in ctx.nodes(cst.FunctionDef):
        if function.name.value == "train" and isinstance(ctx.scope_of(function), cst.ClassDef):
            return True
    tail = frozen.rsplit(".", 1)[-1]
    scope = ctx.scope_of(train_call)
    for call in ctx.nodes(cst.Call):
        func = call.func
        spelled = dotted_name(func) or ""
        if isinstance(func, cst.Attribute) and func.attr.value == "eval":
            receiver = dotted_name(func.value) or ""
            if receiver == frozen or receiver.endswith("." + tail) or receiver == tail:
                if ctx.scope_of(call) is not scope or ctx.order(call) > ctx.order(train_call):
                    return True
            loop = ctx.enclosing(call, (cst.For,))
            if loop is not None and ".modules()" in ctx.code(loop.iter):
                return True
        if isinstance(func, cst.Attribute) and func.attr.value == "apply":
            return True  # `backbone.apply(set_bn_eval)`: some module function we trust to handle it
        lowered = spelled.lower()
        if "bn" in lowered and any(word in lowered for word in ("eval", "freeze", "fix", "frozen")):
            return True
    return False


def _train_calls(ctx: FileContext, frozen: str, after: cst.CSTNode) -> Iterator[cst.Call]:
    root = frozen.split(".", 1)[0]
    for call in ctx.nodes(cst.Call):
        func = call.func
        if not (isinstance(func, cst.Attribute) and func.attr.value == "train"):
            continue
        if call.args and not (len(call.args) == 1 and isinstance(call.args[0].value, cst.Name)
                              and call.args[0].value.value == "True"):  # fmt: skip
            continue  # `train(False)`, `train(mode)`
        receiver = dotted_name(func.value)
        if receiver is None:
            continue
        covers = frozen == receiver or frozen.startswith(receiver + ".")
        # `self.backbone` frozen in `__init__`, `model.train()` on an instance of that class elsewhere.
        via_class = root == "self" and "." in frozen and receiver.split(".", 1)[0] != "self"
        if covers and (ctx.scope_of(call) is not ctx.scope_of(after) or ctx.order(call) > ctx.order(after)):
            yield call
        elif via_class and _instance_of_class_around(ctx, func.value, after):
            yield call


def _instance_of_class_around(ctx: FileContext, receiver: cst.BaseExpression, freeze: cst.CSTNode) -> bool:
    class_def = ctx.enclosing(freeze, (cst.ClassDef,))
    if class_def is None or not isinstance(receiver, cst.Name):
        return False
    for assignment in local_assignments(ctx, ctx.scope_of(receiver)).get(receiver.value, []):
        value = assignment.value
        while isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
                value.func.attr.value in _SELF_RETURNING:  # fmt: skip
            value = value.func.value
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name):
            if value.func.value == class_def.name.value:
                return True
    return False


def findings(ctx: FileContext) -> Dict[int, FrozenInTrainMode]:
    found: Dict[int, FrozenInTrainMode] = {}
    for freeze, frozen, expr in freeze_sites(ctx):
        if not has_batchnorm(ctx, expr):
            continue
        for train_call in _train_calls(ctx, frozen, freeze):
            if _restores_eval(ctx, frozen, train_call) or id(train_call) in found:
                continue
            found[id(train_call)] = FrozenInTrainMode(freeze, frozen, train_call)
            break
    return found


class FrozenBatchnormInTrainMode(Rule):
    code = "TL603"
    name = "frozen-batchnorm-in-train-mode"
    summary = "A frozen backbone with batch norm is put back in training mode: its running statistics keep changing"
    why = """
        Freezing a module's parameters (`requires_grad = False`, `requires_grad_(False)`) stops the
        optimizer from changing its weights, but not its batch norm layers from changing their
        buffers: in training mode, every forward pass updates `running_mean` and `running_var`
        with the statistics of the current batch (and normalises with the batch's own statistics
        instead of the stored ones).  `model.train()` puts every submodule in training mode, the
        frozen backbone included, so a "frozen" pretrained ResNet drifts away from the statistics
        it was trained with -- fine-tuning a head on small or differently distributed batches then
        degrades the features it relies on, and evaluation results differ from what the frozen
        model gave before training.

        torchlint reports a `.train()` that covers a module whose parameters were all frozen and
        that contains batch norm (a same-file class that builds `nn.BatchNorm*`, a torchvision
        architecture with batch norm), unless the frozen module is put in eval mode after it,
        a class overrides `train()`, or a helper handles the batch norms (`.apply(...)`, a loop
        over `.modules()` calling `.eval()`).  Opt-in: freezing batch norm statistics is not always
        wanted.
    """
    bad = """
        import torch.nn as nn
        import torchvision

        model = nn.Module()
        model.backbone = torchvision.models.resnet50(weights="DEFAULT")
        for p in model.backbone.parameters():
            p.requires_grad = False
        model.head = nn.Linear(1000, 10)
        model.train()
    """
    good = """
        import torch.nn as nn
        import torchvision

        model = nn.Module()
        model.backbone = torchvision.models.resnet50(weights="DEFAULT")
        for p in model.backbone.parameters():
            p.requires_grad = False
        model.head = nn.Linear(1000, 10)
        model.train()
        model.backbone.eval()  # after every model.train()
    """
    default = False
    requires_text = (("requires_grad",), ("train(",))

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for found in findings(ctx).values():
            receiver = ctx.code(found.train_call.func.value)
            candidates = [
                f"`{receiver}.train()` lets batch norm in frozen `{found.frozen}` update: its running stats drift; "
                f"call its `.eval()` after each `.train()` or override `train()`",
                f"`.train()` lets batch norm in frozen `{found.frozen}` update: its running stats drift; call its "
                f"`.eval()` after each `.train()`",
                "`.train()` lets batch norm in a frozen submodule update: its running stats drift; call its "
                "`.eval()` after each `.train()` or override `train()`",
            ]
            message = next(m for m in candidates if len(m) <= 160 or m is candidates[-1])
            yield self.violation(ctx, found.train_call, message)
