"""What the language server computes, without the protocol: findings, fixes and edits of one buffer.

`torchlint server` (torchlint/server.py) is a thin pygls adapter over this module, so that the logic
can be tested without a client and reused by other editor integrations.  Everything here works on the
unsaved text of a buffer and on the configuration found from the document's path, with the same rules,
messages and `noqa` handling as the CLI.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from torchlint import registry
from torchlint.findings import Finding
from torchlint.rule import Rule

# Where a rule's page lives; `{code}` is the rule code.  Editors show it as the diagnostic's link.
RULE_URL = "https://github.com/torchlint/torchlint/blob/main/docs/rules/{code}.md"

SEVERITIES = ("error", "warning", "information", "hint")


@dataclass
class Settings:
    """The editor's settings (`initializationOptions`, `workspace/didChangeConfiguration`)."""

    select: Optional[List[str]] = None
    extend_select: Optional[List[str]] = None
    ignore: Optional[List[str]] = None
    unsafe_fixes: Optional[bool] = None
    severity: str = "warning"
    config_path: Optional[str] = None

    @classmethod
    def from_options(cls, options: object, previous: Optional[Settings] = None) -> Settings:
        """Settings from a JSON object; tolerant of the `{"torchlint": {...}}` nesting clients use."""
        settings = Settings(**vars(previous)) if previous is not None else Settings()
        if not isinstance(options, dict):
            return settings
        if isinstance(options.get("torchlint"), dict):
            options = options["torchlint"]

        def codes(value) -> Optional[List[str]]:
            if isinstance(value, str):
                value = [c for c in re.split(r"[,\s]+", value) if c]
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return [v.strip().upper() for v in value if v.strip()]
            return None

        for key, attr in (("select", "select"), ("extendSelect", "extend_select"), ("ignore", "ignore")):
            if key in options:
                setattr(settings, attr, codes(options[key]))
        if isinstance(options.get("unsafeFixes"), bool):
            settings.unsafe_fixes = options["unsafeFixes"]
        if options.get("severity") in SEVERITIES:
            settings.severity = options["severity"]
        if "configPath" in options:
            value = options["configPath"]
            settings.config_path = value if isinstance(value, str) and value else None
        return settings


@dataclass
class DocumentSetup:
    rules: List[Rule]
    unsafe_fixes: bool
    error: Optional[str] = None  # a configuration problem, shown once as a message


def setup_for(path: str, settings: Settings) -> DocumentSetup:
    """The rules for a document at `path`: its project's [tool.torchlint], overridden by the settings."""
    from torchlint.config import ConfigError, load_config
    from torchlint.discovery import matches_any

    error = None
    try:
        config = load_config(settings.config_path, start=os.path.dirname(os.path.abspath(path)))
    except (ConfigError, OSError) as exc:
        from torchlint.config import Config

        config, error = Config(root=os.path.dirname(os.path.abspath(path))), str(exc)
    select = settings.select if settings.select is not None else config.select
    extend = settings.extend_select if settings.extend_select is not None else config.extend_select
    ignore = list(settings.ignore if settings.ignore is not None else config.ignore)
    try:
        for selectors in (select or [], extend, ignore):
            registry.check_selectors(selectors, "settings")
    except registry.UnknownCodeError as exc:
        error = str(exc)
        select, extend, ignore = None, [], []
    for glob, codes in config.per_file_ignores.items():
        if matches_any(path, [glob], config.root):
            ignore.extend(codes)
    rules = registry.select_rules(select, extend, ignore)
    unsafe = config.unsafe_fixes if settings.unsafe_fixes is None else settings.unsafe_fixes
    return DocumentSetup(rules=rules, unsafe_fixes=bool(unsafe), error=error)


def lint_text(path: str, text: str, rules: Sequence[Rule]) -> List[Finding]:
    """The buffer's findings, with cross-file facts from the project model (neighbours read from disk)."""
    from torchlint.engine import fewer_collections, lint_source

    with fewer_collections():  # parsing: see engine.GC_THRESHOLD
        return lint_source(path, text, rules, project_for(path))


def project_for(path: str):
    """A fresh project model around `path` (neighbours' summaries through the CLI's cache), or None.

    Fresh for every lint: the server lives long, and files around the buffer change under it; the
    summaries themselves come from the content-keyed cache, so this costs little."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        return None
    try:
        from torchlint.analysis.project import Project, find_root
        from torchlint.cache import Cache, default_directory

        return Project((), cache=Cache(default_directory(find_root(path))))
    except Exception:  # no project model is no cross-file facts, never a failed lint
        return None


# -- positions --------------------------------------------------------------------------------
def split_lines(text: str) -> List[str]:
    """Lines without their ends, as LSP counts them (only \\n, \\r\\n and \\r end a line; after a final
    line break there is one more, empty line)."""
    from torchlint.source import split_lines as lines_with_ends

    lines = [line.rstrip("\r\n") for line in lines_with_ends(text)]
    if not lines or text.endswith(("\n", "\r")):
        lines.append("")
    return lines


# The position encoding negotiated with the client ("utf-16" unless it offered another).
ENCODING = {"value": "utf-16"}


def _units(ch: str, encoding: str) -> int:
    if encoding == "utf-32":
        return 1
    if encoding == "utf-8":
        return len(ch.encode("utf-8", "surrogatepass"))
    return 2 if ord(ch) > 0xFFFF else 1


def utf16_column(line_text: str, column: int) -> int:
    """A 0-based code-point column in the negotiated encoding's code units (UTF-16 by default)."""
    encoding = ENCODING["value"]
    if encoding == "utf-32":
        return column
    return sum(_units(ch, encoding) for ch in line_text[:column])


def codepoint_column(line_text: str, units: int) -> int:
    """The inverse of `utf16_column`."""
    encoding = ENCODING["value"]
    seen = 0
    for index, ch in enumerate(line_text):
        if seen >= units:
            return index
        seen += _units(ch, encoding)
    return len(line_text)


def finding_range(lines: List[str], finding: Finding) -> Tuple[Tuple[int, int], Tuple[int, int]]:
    """((line, character), (line, character)), 0-based, UTF-16, for a finding's 1-based span."""

    def at(line: int, column: int) -> Tuple[int, int]:
        index = min(max(line - 1, 0), max(len(lines) - 1, 0))
        text = lines[index] if lines else ""
        return index, utf16_column(text, max(column - 1, 0))

    start = at(finding.line, finding.column)
    end = at(finding.end_line, finding.end_column)
    if end <= start:  # a TL000 at a point: underline to the end of the line
        end = (start[0], utf16_column(lines[start[0]] if lines else "", len(lines[start[0]]) if lines else 0))
    return start, end


# -- edits ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextEdit:
    """Replace text between two 0-based (line, UTF-16 character) positions."""

    start: Tuple[int, int]
    end: Tuple[int, int]
    new_text: str


def minimal_edits(old: str, new: str) -> List[TextEdit]:
    """Line-based hunks that turn `old` into `new`, each trimmed to its changed characters."""
    if old == new:
        return []
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    # Line starts of `old` in (line, column) terms that match LSP's idea of lines.
    edits: List[TextEdit] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    offsets = [0]
    for line in old_lines:
        offsets.append(offsets[-1] + len(line))
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before = "".join(old_lines[i1:i2])
        after = "".join(new_lines[j1:j2])
        # Trim the common prefix and suffix so the edit spans only what changed.
        prefix = 0
        while prefix < min(len(before), len(after)) and before[prefix] == after[prefix]:
            prefix += 1
        suffix = 0
        while (suffix < min(len(before), len(after)) - prefix
               and before[len(before) - 1 - suffix] == after[len(after) - 1 - suffix]):  # fmt: skip
            suffix += 1
        start = offsets[i1] + prefix
        end = offsets[i1] + len(before) - suffix
        edits.append(TextEdit(_position(old, start), _position(old, end), after[prefix : len(after) - suffix]))
    return edits


def _position(text: str, offset: int) -> Tuple[int, int]:
    """A character offset of `text` as a 0-based (line, UTF-16 character) position."""
    head = text[:offset]
    breaks = list(re.finditer(r"\r\n|\r|\n", head))
    # A "\r" right before `offset` followed by "\n" is one break that is not finished: LSP counts
    # the position as still on the line, which is what the offset arithmetic below gives.
    if breaks and breaks[-1].end() == offset and head.endswith("\r") and text[offset : offset + 1] == "\n":
        breaks = breaks[:-1]
    line = len(breaks)
    line_start = breaks[-1].end() if breaks else 0
    return line, utf16_column(text[line_start:offset], offset - line_start)


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """Apply LSP-style edits (non-overlapping) to `text`, as a client would."""
    lines = split_lines(text)
    line_starts = [0]
    for match in re.finditer(r"\r\n|\r|\n", text):
        line_starts.append(match.end())

    def offset(position: Tuple[int, int]) -> int:
        line, character = position
        if line >= len(line_starts):
            return len(text)
        return line_starts[line] + codepoint_column(lines[line], character)

    result = text
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        result = result[: offset(edit.start)] + edit.new_text + result[offset(edit.end) :]
    return result


# -- fixes ------------------------------------------------------------------------------------
@dataclass
class FixOffer:
    finding: Finding
    applicability: str
    description: str
    edits: List[TextEdit] = field(default_factory=list)


def fix_one(path: str, text: str, rules: Sequence[Rule], finding: Finding) -> Optional[str]:
    """The text with only this finding's fix applied (fixing.py's guarantees), or None if none applies."""
    from torchlint.fixing import fix_source

    def is_this(violation, where) -> bool:
        return (violation.rule.code, where.start.line, where.start.column + 1) == (
            finding.code, finding.line, finding.column
        )

    result = fix_source(path, text, rules, unsafe=True, project=project_for(path), only=is_this)
    return result.source if result.fixed and result.source != text else None


def fix_all(path: str, text: str, rules: Sequence[Rule], unsafe: bool) -> str:
    from torchlint.fixing import fix_source

    return fix_source(path, text, rules, unsafe=unsafe, project=project_for(path)).source


def noqa_edit(text: str, line: int, code: str) -> Optional[TextEdit]:
    """The edit that adds `# noqa: CODE` to a 1-based line, as `--add-noqa` does (extending an existing
    noqa's codes; never inside a string or after a backslash)."""
    from torchlint.suppress import add_noqa

    new, changed = add_noqa(text, {line: [code]})
    edits = minimal_edits(text, new) if changed else []
    return edits[0] if len(edits) == 1 else None


# -- rule pages -------------------------------------------------------------------------------
def rule_url(code: str) -> str:
    return RULE_URL.format(code=code)


def rule_markdown(rule: Rule) -> str:
    """The rule's page as Markdown (the same page SARIF's `help.markdown` carries)."""
    from torchlint.cli import explain_markdown

    return explain_markdown(rule)


def rules_by_code() -> Dict[str, Rule]:
    return registry.all_rules()
