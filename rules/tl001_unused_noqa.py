"""TL001 unused-noqa (the engine does the work: see torchlint/noqa.py `unused_noqa`)."""

from __future__ import annotations

from typing import Iterable

from torchlint.context import FileContext
from torchlint.rule import Rule, Violation


class UnusedNoqa(Rule):
    code = "TL001"
    name = "unused-noqa"
    summary = "A `# noqa: TLxxx` silences nothing on its line, or names a code torchlint does not have"
    why = """
        A `# noqa` comment that no longer silences anything is noise that hides the next real finding
        on that line: the code was fixed, moved, or the comment names a rule that does not exist (a
        typo such as `TL31`, or a code from an older version).  This is ruff's RUF100.

        Only `TL` codes are checked (other codes belong to other tools), a bare `# noqa` is left alone,
        and a code is reported as unused only when its rule ran on the file (a rule you did not select
        cannot tell whether the comment is needed).  The check is done by the engine after every other
        rule, from the findings each `noqa` comment actually silenced; it runs in the command line
        tool, not under flake8 (flake8 handles `noqa` itself).
    """
    bad = """
        import torch

        y = x.reshape(-1)  # noqa: TL999
    """
    good = """
        import torch

        y = x.reshape(-1)
    """
    default = False
    requires_text = (("noqa", "NOQA", "Noqa"),)

    def check(self, ctx: FileContext) -> Iterable[Violation]:
        return ()  # reported by the engine (torchlint/engine.py), which knows what each noqa silenced
