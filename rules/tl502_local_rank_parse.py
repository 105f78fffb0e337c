"""TL502 local-rank-parse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Optional

import libcst as cst

from torchlint.context import FileContext
from torchlint.rule import Rule, Violation

ENV_READERS = ("os.getenv", "os.environ.get")
ERROR = "ValueError: int() base must be >= 2 and <= 36, or 0"


@dataclass
class BadBase:
    call: cst.Call  # the `int(...)` call
    base: cst.Arg  # its base argument
    value: int  # the base's literal value
    env_read: Optional[cst.Call]  # `os.getenv("NAME")` when that is what `int()` parses, with no default


def _literal_int(node: cst.BaseExpression) -> Optional[int]:
    sign = 1
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        sign = -1 if isinstance(node.operator, cst.Minus) else 1
        node = node.expression
    if isinstance(node, cst.Integer):
        try:
            return sign * int(node.evaluated_value)
        except ValueError:
            return None
    return None


def bad_base(ctx: FileContext, call: cst.Call) -> Optional[BadBase]:
    """`int(x, <literal base outside 0 and 2..36>)`, if `call` is one (the builtin `int`)."""
    if not (isinstance(call.func, cst.Name) and call.func.value == "int") or ctx.names.is_bound("int"):
        return None
    if any(arg.star for arg in call.args):
        return None
    positional = [arg for arg in call.args if arg.keyword is None]
    keyword = [arg for arg in call.args if arg.keyword is not None]
    if len(positional) == 2 and not keyword:
        base = positional[1]
    elif len(positional) == 1 and len(keyword) == 1 and keyword[0].keyword.value == "base":
        base = keyword[0]
    else:
        return None
    value = _literal_int(base.value)
    if value is None or value == 0 or 2 <= value <= 36:
        return None
    parsed = positional[0].value
    env_read = None
    if (isinstance(parsed, cst.Call) and ctx.call_name(parsed) in ENV_READERS and len(parsed.args) == 1
            and parsed.args[0].keyword is None and not parsed.args[0].star):  # fmt: skip
        env_read = parsed
    return BadBase(call, base, value, env_read)


class LocalRankParse(Rule):
    code = "TL502"
    name = "local-rank-parse"
    summary = "`int(os.getenv(\"LOCAL_RANK\"), -1)` passes the default as `int()`'s base: the script cannot start"
    why = """
        The default of an environment variable belongs inside `os.getenv(...)`, not after it.
        `int(os.getenv("LOCAL_RANK"), -1)` calls `int(value, base=-1)`, and Python rejects the
        base before it looks at the value, whether the variable is set or not:

            ValueError: int() base must be >= 2 and <= 36, or 0

        so the script dies at start-up under `torchrun` and without it.  The same goes for
        `os.environ.get(...)`, any variable (`RANK`, `WORLD_SIZE`...), and any literal base
        outside 0 and 2..36 given to `int()`.
    """
    bad = """
        import os

        local_rank = int(os.getenv("LOCAL_RANK"), -1)
    """
    good = """
        import os

        local_rank = int(os.getenv("LOCAL_RANK", -1))
    """
    fix_does = """
        Moves the default into the environment read: `int(os.getenv("LOCAL_RANK", -1))`.  Safe:
        the original raised on every run.  Other invalid bases (`int(x, 1)`) are reported only.
    """
    # A call of the builtin `int`: `int(` after a character that cannot end a name or an attribute
    # (`print(`, `np.int(` never match).  A file that starts with `int(` is matched through the
    # leading newline both the CLI and the flake8 plugin put in front of the text they check.
    requires_text = (tuple(f"{before}int{gap}(" for before in " \t\n\r([{,=:+-*/%<>!&|^~;@" for gap in ("", " ")),)

    def may_match(self, source: str) -> bool:
        return super().may_match("\n" + source)

    # Its screen is `tl502` in torchlint/rule_screens.py (libcst-free, run before any parse).

    def check(self, ctx: FileContext) -> Iterator[Violation]:
        for call in ctx.nodes(cst.Call):
            found = bad_base(ctx, call)
            if found is None:
                continue
            if found.env_read is not None:
                read = ctx.code(found.env_read.func)
                variable = ctx.code(found.env_read.args[0].value)
                default = ctx.code(found.base.value)
                message = (
                    f"`{default}` is passed as int()'s base, not as the default: \"{ERROR}\"; "
                    f"write `int({read}({variable}, {default}))`"
                )
            else:
                message = f"`int()` with base {found.value} raises \"{ERROR}\"; pass a base of 0 or 2..36"
            yield self.violation(ctx, found.base, message)
