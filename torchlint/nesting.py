"""Nesting that would crash or stall libcst's parser, found cheaply before any parse.

libcst-free (the flake8 plugin asks before it imports libcst); torchlint.engine re-exports it.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from itertools import accumulate
from typing import Optional, Tuple


class ParseFailure(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


# CPython's own limit (tokenizer MAXLEVEL): deeper brackets are a syntax error, and far
# deeper ones overflow the C stack of libcst's native parser (SIGSEGV, no exception).
MAX_BRACKET_DEPTH = 200
# Chains that both parsers build by recursion (10,000 unary `-` never finish in libcst;
# 4,000 `.b` take it 30 s); beyond this length CPython's own parser gives up too.
MAX_CHAIN = 1000
_DEPTH_STEP = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}
_NOT_BRACKETS = re.compile(r"[^()\[\]{}]+")
# Unary chains (`- - - x`, `not not x`) and right-nested `**` chains; long `.attr` chains are
# left to the time budget (a screen for them costs more than it saves).
_LONG_CHAINS = tuple(
    re.compile(pattern % (MAX_CHAIN - 1))
    for pattern in (r"[-+~](?:\s*[-+~]){%d}", r"not(?:\s+not){%d}", r"\*\*\s*\w+(?:\s*\*\*\s*\w+){%d}")
)


def too_deep(source: str) -> Optional[ParseFailure]:
    """A cheap screen for nesting that would crash or stall libcst; Python's parser confirms.

    The screens over-count (brackets and dashes in strings and comments count too); only when
    one trips does Python's own tokenizer or parser (C, fast) look closer.
    """
    opened = source.count("(") + source.count("[") + source.count("{")
    if opened > MAX_BRACKET_DEPTH and max(
        accumulate(map(_DEPTH_STEP.__getitem__, _NOT_BRACKETS.sub("", source)))
    ) > MAX_BRACKET_DEPTH:
        try:
            compile(source, "<file>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
        except SyntaxError as exc:  # "too many nested parentheses"
            return ParseFailure(f"syntax error: {exc.msg}", exc.lineno or 1, exc.offset or 1)
        except (RecursionError, MemoryError):
            return ParseFailure("the file nests too deeply to parse")
        except ValueError:
            pass
    if any(chain.search(source) for chain in _LONG_CHAINS):
        where = _long_chain(source)
        if where is not None:
            return ParseFailure(
                f"skipped: an expression chains more than {MAX_CHAIN} operators, too deep to parse",
                *where,
            )
    return None


def _long_chain(source: str) -> Optional[Tuple[int, int]]:
    """Where a run of MAX_CHAIN unary operators (or `** x` links) starts, per the tokenizer."""
    run, start, previous = 0, (1, 1), None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            text = token.string
            unary = (token.type == tokenize.OP and text in ("-", "+", "~")) or text == "not"
            link = token.type == tokenize.NAME or token.type == tokenize.NUMBER
            if unary or text == "**" or (link and previous == "**"):
                if run == 0:
                    start = (token.start[0], token.start[1] + 1)
                run += 1
                if run >= MAX_CHAIN:
                    return start
            else:
                run = 0
            previous = text
    except (tokenize.TokenError, SyntaxError):
        return None
    return None
