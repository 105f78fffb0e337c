"""Fix for TL803: `models.resnet50(pretrained=True)` -> `models.resnet50(weights=<ResNet50_Weights.IMAGENET1K_V1>)`.

The member is the one torchvision's compatibility shim maps `pretrained=True` to (from the
generated table), so the same weights load.  One fix rewrites every call of the file and adds
the enum imports it needs; every finding carries that same set of edits.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst
from torchlint.fixers.tl802_autograd_variable import add_import, is_module_binding
from torchlint.rules.tl803_torchvision_pretrained import PretrainedCall, pretrained_calls, short_enum

from torchlint.context import FileContext
from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE
NEW_NAMES = {"pretrained": "weights", "pretrained_backbone": "weights_backbone"}


def fix(ctx: FileContext, violation) -> Optional[Fix]:
    edits = ctx.memo("tl803.edits", lambda: _file_edits(ctx))
    if violation.node not in edits:
        return None
    return Fix(SAFE, "pass the weights enum `pretrained=True` stands for, or `None`", edits)


def _file_edits(ctx: FileContext) -> Dict[cst.CSTNode, object]:
    edits: Dict[cst.CSTNode, object] = {}
    plan = _ImportPlan(ctx)
    for found in pretrained_calls(ctx):
        if found.entry is None or "#" in ctx.code(found.call):
            continue
        args = _new_arguments(ctx, found, plan)
        if args is not None:
            edits[found.call] = found.call.with_changes(args=args)
    if not edits or not plan.apply(edits):
        return {}
    return edits


def _new_arguments(ctx: FileContext, found: PretrainedCall, plan: _ImportPlan) -> Optional[List[cst.Arg]]:
    given = {arg.keyword.value for arg in found.call.args if arg.keyword is not None}
    if any(arg.star == "*" for arg in found.call.args) or given & set(NEW_NAMES.values()):
        return None
    quantize = next((a.value for a in found.call.args if a.keyword is not None and a.keyword.value == "quantize"), None)
    if quantize is None and any(arg.star == "**" for arg in found.call.args):
        quantize = cst.Name("unknown")  # `**kwargs` may hold `quantize=`: only non-quantizable builders are fixed
    args = []
    for arg in found.call.args:
        legacy = arg.keyword.value if arg.keyword is not None else None
        if legacy not in found.legacy:
            args.append(arg)
            continue
        new = NEW_NAMES[legacy]
        value = _weights_value(ctx, found, new, arg.value, quantize, plan)
        if value is None:
            return None
        args.append(arg.with_changes(keyword=cst.Name(new), value=value))
    return args


def _literal(node: cst.BaseExpression) -> Optional[bool]:
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None


def _weights_value(ctx, found, new, flag, quantize, plan) -> Optional[cst.BaseExpression]:
    literal = _literal(flag)
    if literal is False:
        return cst.Name("None")
    item = found.entry.get(new)
    if item is None:
        return None  # no weights to load: `pretrained=True` raises; leave it
    if "quantized" in item:
        quantized = False if quantize is None else _literal(quantize)
        if quantized is None:
            return None
        if quantized:
            item = item["quantized"]
    enum = plan.spell(found.call, item["enum"])
    if enum is None:
        return None
    member = cst.Attribute(enum, cst.Name(item["member"]))
    if literal is True:
        return member
    test = flag
    if isinstance(flag, (cst.IfExp, cst.Lambda, cst.NamedExpr)) and not flag.lpar:
        test = flag.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.IfExp(test=test, body=member, orelse=cst.Name("None"))


class _ImportPlan:
    """How to spell each weights enum here, and the imports that takes."""

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.added_to: Dict[cst.ImportFrom, List[str]] = {}  # `from torchvision.models import resnet50` + enum
        self.new_imports: Dict[str, List[str]] = {}  # module -> enums for a new `from module import ...`

    def spell(self, call: cst.Call, enum_path: str) -> Optional[cst.BaseExpression]:
        ctx = self.ctx
        module, _, enum = enum_path.rpartition(".")
        func = call.func
        if isinstance(func, cst.Attribute) and ctx.qualified_name(func.value) == module:
            return cst.Attribute(func.value, cst.Name(enum))  # `models.resnet50` -> `models.ResNet50_Weights`
        if ctx.qualified_name(cst.Name(enum)) == enum_path and is_module_binding(ctx, enum):
            return cst.Name(enum)
        modules = {name: ctx.qualified_name(cst.Name(name)) or "" for name in sorted(ctx.import_bindings())
                   if name != "*" and is_module_binding(ctx, name)}  # fmt: skip
        for name, bound in sorted(modules.items(), key=lambda item: (-len(item[1]), item[0])):
            if bound == module or (bound and module.startswith(bound + ".")):  # the closest module first
                return cst.parse_expression(f"{name}{module[len(bound):]}.{enum}")
        if ctx.names.is_bound(enum):
            return None  # the name means something else here
        target = self._import_of(func, module)
        if target is not None:
            self.added_to.setdefault(target, [])
            if enum not in self.added_to[target]:
                self.added_to[target].append(enum)
        elif enum not in self.new_imports.setdefault(module, []):
            self.new_imports[module].append(enum)
        return cst.Name(enum)

    def _import_of(self, func: cst.BaseExpression, module: str) -> Optional[cst.ImportFrom]:
        """`from <module> import <func>` at the top level, to add the enum to."""
        if not isinstance(func, cst.Name):
            return None
        for node in self.ctx.import_bindings().get(func.value, ()):
            if (isinstance(node, cst.ImportFrom) and self.ctx.scope_of(node) is self.ctx.module
                    and node.module is not None and not node.relative
                    and self.ctx.code(node.module) == module):  # fmt: skip
                return node
        return None

    def apply(self, edits: Dict[cst.CSTNode, object]) -> bool:
        for node, enums in self.added_to.items():
            names = list(node.names)
            comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            names[-1] = names[-1].with_changes(comma=comma)
            names.extend(cst.ImportAlias(cst.Name(e), comma=comma) for e in enums)
            names[-1] = names[-1].with_changes(comma=node.names[-1].comma)
            edits[node] = node.with_changes(names=names)
        for module, enums in sorted(self.new_imports.items()):
            if not add_import(self.ctx, edits, f"from {module} import {', '.join(enums)}"):
                return False
        return True


__all__ = ["fix", "short_enum"]
