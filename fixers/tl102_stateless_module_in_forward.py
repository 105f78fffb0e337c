"""Fix for TL102: `nn.ReLU()(x)` -> `F.relu(x)`, where the functional form is exactly equivalent.

The argument mapping comes from the nn_modules table, which reads it off the module's own
`forward` (`return F.relu(input, inplace=self.inplace)`), so the rewrite calls exactly what
the module would have called.  Only the inline form `Module(...)(...)` is rewritten.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import libcst as cst
from torchlint.rules.tl102_stateless_module_in_forward import is_called_inline, stateless_entry

from torchlint.analysis.modules import bind_arguments
from torchlint.context import FileContext
from torchlint.rule import SAFE, Fix

APPLICABILITY = SAFE


def fix(ctx: FileContext, violation) -> Optional[Fix]:
    construction = violation.node
    entry = stateless_entry(ctx, construction)
    if entry is None or not is_called_inline(ctx, construction):
        return None
    functional = entry["functional"]
    if not functional or not functional["exact"]:
        return None
    outer = ctx.parent(construction)
    init_args = bind_arguments(construction, entry["init"])
    forward_args = _bind_forward(outer, functional["forward"])
    if init_args is None or forward_args is None:
        return None
    by_keyword = {arg.keyword.value for arg in construction.args if arg.keyword is not None}
    args = _functional_args(functional["args"], init_args, forward_args, entry["init"], by_keyword)
    if args is None:
        return None
    edits: Dict[cst.CSTNode, object] = {}
    func = _function_spelling(ctx, functional["function"], construction, edits)
    if func is None:
        return None
    replacement = outer.with_changes(func=func, args=_with_commas(args))
    edits[outer] = replacement
    return Fix(SAFE, f"call `{functional['function']}` instead of building `{ctx.code(construction.func)}`", edits)


def _bind_forward(call: cst.Call, names: List[str]) -> Optional[Dict[str, cst.BaseExpression]]:
    bound = {}
    for index, arg in enumerate(call.args):
        if arg.star:
            return None
        if arg.keyword is None:
            if index >= len(names):
                return None
            bound[names[index]] = arg.value
        elif arg.keyword.value in names:
            bound[arg.keyword.value] = arg.value
        else:
            return None
    return bound if all(name in bound for name in names) else None


def _functional_args(spec, init_args, forward_args, init_params, by_keyword) -> Optional[List[cst.Arg]]:
    """The function's arguments: (keyword or None, expression) in the order the module passes them."""
    defaults = {p["name"]: p["default"] for p in init_params}
    if set(init_args) - set(defaults):
        return None  # a keyword the constructor does not take: leave it to the user
    planned = []
    for item in spec:
        if item["from"] == "forward":
            value = forward_args[item["name"]]
        elif item["from"] == "init" and item["name"] in init_args:
            value = init_args[item["name"]]
        elif item["from"] == "init" and item["omit_when_default"]:
            value = None  # the function's own default is the constructor's
        elif item["from"] in ("init", "constant"):
            text = defaults.get(item["name"]) if item["from"] == "init" else item["value"]
            value = _literal(text)
            if value is None:
                return None
        else:
            return None
        planned.append([item["keyword"], value])
    # From the first positional argument that is left out or that the user named, pass the rest
    # by keyword (readable: `F.softmax(x, dim=1)`), when the function's parameter names are known.
    positional = [i for i, item in enumerate(spec) if item["keyword"] is None]
    switch = next((i for i in positional if planned[i][1] is None or
                   (spec[i]["from"] == "init" and spec[i]["name"] in by_keyword)), None)  # fmt: skip
    later = [i for i in positional if switch is not None and i >= switch and planned[i][1] is not None]
    if switch is not None and all(spec[i]["parameter"] for i in later):
        for i in later:
            planned[i][0] = spec[i]["parameter"]
    else:  # positional throughout: a left-out argument followed by a kept one gets its default
        kept_after = False
        for i in reversed(positional):
            if planned[i][1] is None and kept_after:
                planned[i][1] = _literal(defaults.get(spec[i]["name"]))
                if planned[i][1] is None:
                    return None
            kept_after = kept_after or planned[i][1] is not None
    no_space = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
    return [
        cst.Arg(value=value, keyword=cst.Name(keyword) if keyword else None,
                equal=no_space if keyword else cst.MaybeSentinel.DEFAULT)
        for keyword, value in planned if value is not None
    ]  # fmt: skip


def _literal(text: Optional[str]) -> Optional[cst.BaseExpression]:
    if text is None:
        return None
    try:
        node = cst.parse_expression(text)
    except cst.ParserSyntaxError:
        return None
    simple = (cst.Integer, cst.Float, cst.SimpleString, cst.Name, cst.UnaryOperation, cst.Tuple)
    if isinstance(node, cst.Name) and node.value not in ("True", "False", "None"):
        return None
    return node if isinstance(node, simple) else None


def _with_commas(args: List[cst.Arg]) -> List[cst.Arg]:
    result = []
    for index, arg in enumerate(args):
        last = index == len(args) - 1
        comma = cst.MaybeSentinel.DEFAULT if last else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        result.append(arg.with_changes(comma=comma))
    return result


# -- how to spell the function here ------------------------------------------------------------
def _function_spelling(ctx: FileContext, qualified: str, at: cst.CSTNode, edits) -> Optional[cst.BaseExpression]:
    module_path, _, function = qualified.rpartition(".")
    visible = _visible_module_aliases(ctx)
    for local, target in visible:
        if target == module_path:
            return cst.parse_expression(f"{local}.{function}")
    for local, target in visible:
        if module_path.startswith(target + "."):  # `torch.nn.functional.relu` through `torch` or `nn`
            rest = module_path[len(target) + 1:]
            return cst.parse_expression(f"{local}.{rest}.{function}")
    if ctx.names.is_bound("torch"):
        return None  # `torch` means something else here: adding `import torch` would clash
    anchor = _last_top_level_import(ctx)
    if anchor is None or ctx.contains(anchor, at):
        return None
    edits[anchor] = cst.FlattenSentinel([anchor, cst.parse_statement("import torch\n")])
    return cst.parse_expression(f"{module_path}.{function}")


def _visible_module_aliases(ctx: FileContext):
    """(local name, module it names) for module-level imports of torch modules."""
    found = []
    for name, nodes in ctx.import_bindings().items():
        if name == "*" or not any(ctx.scope_of(node) is ctx.module for node in nodes):
            continue
        target = ctx.qualified_name(cst.Name(name))
        if target in ("torch", "torch.nn", "torch.nn.functional"):
            found.append((name, target))
    order = {"torch.nn.functional": 0, "torch": 1, "torch.nn": 2}
    return sorted(set(found), key=lambda pair: (order[pair[1]], pair[0]))


def _last_top_level_import(ctx: FileContext) -> Optional[cst.CSTNode]:
    last = None
    for statement in ctx.module.body:
        if isinstance(statement, cst.SimpleStatementLine) and all(
            isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body
        ):
            last = statement
    return last
