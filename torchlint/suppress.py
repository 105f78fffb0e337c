"""`--add-noqa`: append a noqa comment with the codes to every line with a finding, keeping what is there."""

from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, Iterable, List, Set, Tuple

from torchlint.noqa import _LINE_NOQA as _NOQA  # one pattern for suppression comments
from torchlint.source import split_lines


def _commentable_lines(text: str) -> Set[int]:
    """Lines (1-based) whose end is outside any string and not continued by a backslash."""
    lines: Set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.COMMENT):
                lines.add(token.start[0])
    except (tokenize.TokenError, SyntaxError):
        pass
    return lines


def add_noqa(text: str, codes_by_line: Dict[int, Iterable[str]]) -> Tuple[str, int]:
    """`text` with noqa comments added on the given 1-based lines; returns (new text, lines changed)."""
    if not codes_by_line:
        return text, 0
    allowed = _commentable_lines(text)
    lines: List[str] = split_lines(text)  # \n, \r\n, \r only: as finding lines count (issue 14)
    changed = 0
    for number, codes in sorted(codes_by_line.items()):
        if number not in allowed or not 1 <= number <= len(lines):
            continue
        line = lines[number - 1]
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        match = _NOQA.search(body) if "#" in body else None
        wanted = sorted(set(codes))
        if match is None:
            body = body.rstrip() + "  # noqa: " + ", ".join(wanted)
        elif match.group("codes") is None:
            continue  # a bare noqa comment already silences every code
        else:
            present = [c.upper() for c in re.findall(r"[A-Z]+[0-9]+", match.group("codes"), re.IGNORECASE)]
            missing = [c for c in wanted if c not in present]
            if not missing:
                continue
            merged = "# noqa: " + ", ".join(present + missing)
            body = body[: match.start()] + merged + body[match.end() :]
        lines[number - 1] = body + ending
        changed += 1
    return "".join(lines), changed
