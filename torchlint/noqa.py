"""`# noqa` comments, with flake8's semantics, and the file-level `# torchlint: noqa`."""

from __future__ import annotations

import re
from typing import Dict, FrozenSet, Optional

from torchlint.source import split_lines

# Same shape as flake8's: `# noqa`, `# noqa: TL301`, `# NOQA:TL301,TL501`.
_LINE_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
_LETTERS_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
_FILE_NOQA = re.compile(
    r"^[ \t]*#[ \t]*torchlint[ \t]*:[ \t]*noqa(?:[ \t]*:[ \t]*(?P<codes>[A-Z0-9, \t]+))?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)


def file_noqa(source: str) -> FrozenSet[str]:
    """Code prefixes skipped for the whole file (`{"TL"}` for all, empty for none)."""
    codes: set = set()
    if "torchlint" not in source and "TORCHLINT" not in source.upper():
        return frozenset()
    for match in _FILE_NOQA.finditer(source):
        if not match.group("codes"):
            return frozenset({"TL"})  # prefix of every torchlint code
        codes.update(c.upper() for c in _LETTERS_CODE.findall(match.group("codes")))
    return frozenset(codes)

def line_noqa(source: str) -> Dict[int, Optional[FrozenSet[str]]]:
    """Line number (1-based) -> codes silenced on it (None: all codes)."""
    result: Dict[int, Optional[FrozenSet[str]]] = {}
    if "noqa" not in source.lower():
        return result
    # Only \n, \r\n and \r end a line, as for libcst's positions: str.splitlines would also
    # split at form feeds, \x1c-\x1e and U+2028/U+2029 and shift every later line number.
    for number, line in enumerate(split_lines(source), start=1):
        if "#" not in line:
            continue
        match = _LINE_NOQA.search(line)
        if match is None:
            continue
        codes = match.group("codes")
        result[number] = None if not codes else frozenset(c.upper() for c in _LETTERS_CODE.findall(codes))
    return result

def is_silenced(code: str, codes: Optional[FrozenSet[str]]) -> bool:
    """Is `code` silenced by these noqa codes (None: a bare noqa)?  TL000 never is."""
    if code == "TL000":
        return False
    return codes is None or any(code.startswith(c) for c in codes)


UNUSED_NOQA_CODE = "TL001"


def noqa_codes_with_columns(source: str):
    """Line (1-based) -> [(code, 1-based column of the noqa comment)] for `# noqa: CODES` comments (real
    comments only: a `# noqa` inside a string is text, not a directive to judge)."""
    import io
    import tokenize

    result = {}
    if "noqa" not in source.lower():
        return result
    try:
        comments = [
            (token.start, token.string)
            for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT and "noqa" in token.string.lower()
        ]
    except (tokenize.TokenError, SyntaxError):
        return result
    for (number, column), comment in comments:
        match = _LINE_NOQA.search(comment)
        if match is None or not match.group("codes"):
            continue
        codes = _LETTERS_CODE.findall(match.group("codes"))
        result[number] = [(c.upper(), column + match.start() + 1) for c in codes]
    return result


def unused_noqa(path: str, source: str, used, ran, known):
    """TL001 findings: `TL` codes in `# noqa:` comments that silenced nothing (`used`: {(line, code)}) though
    their rule ran (`ran`), or that no rule has (`known`: every rule code)."""
    from torchlint.findings import Finding

    findings = []
    for line, entries in noqa_codes_with_columns(source).items():
        codes = {code for code, _ in entries}
        if UNUSED_NOQA_CODE in codes:
            continue  # a comment that names TL001 itself is kept as it is
        for code, column in entries:
            if not code.startswith("TL") or code == "TL000":
                continue
            if not any(k.startswith(code) for k in known):
                message = f"unknown code {code} in `noqa` comment; remove it or fix the code"
            elif (line, code) not in used and any(r.startswith(code) for r in ran):
                message = f"unused `noqa` code {code}: nothing to silence on this line; remove it"
            else:
                continue
            end = column + len("# noqa")
            findings.append(Finding(path, line, column, line, end, UNUSED_NOQA_CODE, "unused-noqa", message))
    return findings
