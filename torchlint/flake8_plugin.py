"""flake8 adapter: the same rules, codes and messages as the CLI, through the shared engine.

flake8 runs every installed plugin on every file, selected or not, so this must cost
next to nothing on files that cannot match.  Two cheap tiers decide, without libcst or any rule
module: the text pre-check against the rule index (torchlint/data/rule_index.json, generated
from the rules), then the rules' screens (torchlint/rule_screens.py) over the `ast` tree flake8
already parsed.  Only when some rule's screen fires is the file linted, by the rules that passed, in a
forked worker that imports libcst and the rules itself: flake8's own process never holds them.  Codes
flake8's select/ignore options drop everywhere (the opt-in rules, by default) are neither screened nor
linted (`parse_options`).

Configuration: under flake8, flake8's own options (`select`, `extend-ignore`, `per-file-ignores` in
setup.cfg/tox.ini/.flake8) decide what is reported; `[tool.torchlint]` in pyproject.toml is the CLI's
and is not read here (one run, one configuration).
"""

from __future__ import annotations

import atexit
import json
import os
from typing import Iterator, List, Tuple

from torchlint import __version__

_INDEX_PATH = os.path.join(os.path.dirname(__file__), "data", "rule_index.json")


def _load_index() -> dict:
    with open(_INDEX_PATH, encoding="utf-8") as handle:
        return json.load(handle)


class TorchlintChecker:
    name = "torchlint"
    version = __version__
    _index = None
    _rules = None
    _worker = None  # one forked child per flake8 process, replaced when it crashes or overruns
    # flake8's decision on each code for this run (parse_options): codes it would drop everywhere are
    # never screened nor linted.  None: not told (the checker used without flake8's options), all run.
    _decisions = None

    def __init__(self, tree=None, filename: str = "(none)", lines: List[str] = ()) -> None:
        # flake8's own `ast` tree: the screens (torchlint/screens.py) read it, so a file no rule can
        # fire on costs no libcst parse.
        self.tree = tree
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, parser) -> None:
        # Opt-in (advice) rules stay off unless selected, like bugbear's B9xx.
        off = [code for code, entry in cls._rule_index().items() if not entry["default"]]
        if off:
            parser.extend_default_ignore(off)

    @classmethod
    def parse_options(cls, options) -> None:
        """flake8 reports only the codes its `select`/`ignore` options (with their extended defaults: the
        opt-in rules' extend_default_ignore above) select.  A code it ignores everywhere is not computed:
        an opt-in rule costs a flake8 run nothing unless selected.  `per-file-ignores` and `noqa` stay
        flake8's to apply."""
        try:
            from flake8.style_guide import Decision, DecisionEngine

            decisions = DecisionEngine(options)
            selected = Decision.Selected
            decisions.decision_for("TL999")  # options without select/ignore fail here, not per file
        except Exception:  # another flake8 (or options): compute every code, flake8 still filters
            cls._decisions = None
            return
        cls._decisions = lambda code: decisions.decision_for(code) is selected

    @classmethod
    def _reported(cls, code: str) -> bool:
        return cls._decisions is None or cls._decisions(code)

    @classmethod
    def _rule_index(cls) -> dict:
        if cls._index is None:
            cls._index = _load_index()
        return cls._index

    @classmethod
    def _all_rules(cls):
        if cls._rules is None:
            from torchlint import registry

            # TL001 (unused noqa) is the CLI's: flake8 handles `noqa` comments itself.
            cls._rules = [r for r in registry.all_rules().values() if r.code != "TL001"]
        return cls._rules

    def _may_match(self, source: str) -> bool:
        return bool(self._text_candidates(source))

    def _text_candidates(self, source: str) -> tuple:
        """The codes whose text pre-check (rule index) passes and that the file does not silence."""
        text = "\n" + source  # a token at the very start of the file still follows a line break
        matched = [
            code for code, entry in self._rule_index().items()
            if code != "TL001"  # (unused noqa) is the CLI's: flake8 handles `noqa` comments itself
            and self._reported(code)
            and all(any(token in text for token in group) for group in entry["requires_text"])
        ]  # fmt: skip
        if "torchlint" not in source and "TORCHLINT" not in source.upper():
            return tuple(matched)  # no file-level noqa possible (noqa.file_noqa's own gate), no import
        from torchlint import noqa

        skipped = noqa.file_noqa(source)
        return tuple(code for code in matched if not noqa.is_silenced(code, skipped))

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        source = "".join(self.lines)
        codes = self._screened(source)
        if not codes:
            return
        for finding in self._findings(source, codes):
            # flake8 columns are 0-based here (it adds one when printing).
            yield finding.line, finding.column - 1, f"{finding.code} {finding.message}", type(self)

    def _screened(self, source: str) -> tuple:
        """The codes of the rules whose text pre-check and screen (over flake8's tree) pass.  Imports
        neither libcst nor the rules: a file that must not be screened (nesting too deep for libcst,
        Python cannot parse it, mixed tab/space indentation) keeps every code that passed its text."""
        import ast

        from torchlint.nesting import too_deep

        candidates = self._text_candidates(source)
        if not candidates:
            return ()
        if too_deep(source) is not None:
            return candidates + self._unindexed(source)
        from torchlint.rule_screens import SCREENS, passes, text_allows
        from torchlint.screens import _MIXED_INDENT, parse_facts, python_tree

        if not any(code in SCREENS for code in candidates):
            return candidates + self._unindexed(source)  # nobody screens: no need to read the tree
        tree = self.tree if isinstance(self.tree, ast.Module) else python_tree(source)
        if tree is None or _MIXED_INDENT.search(source):
            return candidates + self._unindexed(source)  # not screened (parse_facts would say None)
        candidates = tuple(code for code in candidates if text_allows(code, source))  # before the facts
        facts = parse_facts(source, tree) if candidates else None
        if facts is None:
            return candidates + self._unindexed(source)
        # The screens of cross-file checks (TL101's) ask the project the worker's rules will see; it is
        # built (importing libcst) only when such a screen gets that far.
        facts.path, facts.project = self.filename, _LazyProject(self.filename)
        return tuple(code for code in candidates if passes(code, facts)) + self._unindexed(source)

    def _unindexed(self, source: str) -> tuple:
        """Once the rules are loaded in this process (set by a test, or where there is no fork and an earlier
        file needed them; the forked worker loads its own): the codes of those the index does not know
        (newer than rule_index.json, or added by a test), by their own text pre-check, unscreened."""
        rules = TorchlintChecker._rules
        if rules is None:
            return ()
        index = self._rule_index()
        return tuple(rule.code for rule in rules
                     if rule.code not in index and self._reported(rule.code) and rule.may_match(source))

    def _findings(self, source: str, codes: tuple = ()) -> list:
        # In a forked child on a budget: libcst's native parser can crash (SIGSEGV) or run
        # for minutes on hostile input, and that must cost this file, not flake8.
        from torchlint import supervisor
        from torchlint.findings import internal_finding
        from torchlint.source import DEFAULT_MAX_FILE_SIZE, _size

        if len(source) > DEFAULT_MAX_FILE_SIZE:
            too_big = f"skipped: the file is over the max-file-size of {_size(DEFAULT_MAX_FILE_SIZE)}"
            return [internal_finding(self.filename, too_big)]
        if not supervisor.CAN_FORK:
            return _lint(self._all_rules(), (self.filename, source, codes))
        # The rules (and libcst) are imported in the worker, not here: flake8's process keeps only the
        # libcst-free tiers.  Held here, their ~45k objects made each of flake8's own full collections
        # cost twice as much (timm: +1.2 CPU-s).  `_rules` set here (tests) is handed to the worker.
        worker = TorchlintChecker._worker
        if worker is None or worker.arg is not TorchlintChecker._rules:
            if worker is not None:
                worker.close()
            worker = TorchlintChecker._worker = supervisor.ForkedWorker(_lint_in_worker, TorchlintChecker._rules)
            atexit.register(worker.close)  # reaped when flake8 exits, not left to init (its CPU is flake8's)
        budget = supervisor.DEFAULT_TIMEOUT
        how, value = worker.call((self.filename, source, codes), budget)
        if how == "ok":
            return value
        if how == supervisor.TIMED_OUT:
            return [internal_finding(self.filename, f"skipped: analysis took longer than {budget:g} s")]
        return [internal_finding(self.filename, "the parser crashed (nesting too deep?)")]


def _lint_in_worker(rules, item):
    """The forked worker's call: `rules` as the parent held them when it forked (None: load them here)."""
    return _lint(TorchlintChecker._all_rules() if rules is None else rules, item)


def _lint(rules, item):
    from torchlint import engine

    filename, source, codes = item
    if codes:  # screened in the flake8 process (with its tree): the rules that passed, unscreened
        rules = [rule for rule in rules if rule.code in codes]
    from torchlint.engine import fewer_collections

    screening, engine.SCREENING = engine.SCREENING, not codes
    try:
        with fewer_collections():  # parsing: see engine.GC_THRESHOLD
            return engine.lint_source(filename, source, rules, _project_for(filename))
    finally:
        engine.SCREENING = screening


class _LazyProject:
    """`_project_for(filename)`, built on first use (None -> a project that knows nothing)."""

    built_on_demand = True  # screens spare it for imports that cannot be first-party (no cache to keep right)

    def __init__(self, filename: str) -> None:
        self._filename = filename
        self._project = self

    def __getattr__(self, name: str):
        if self._project is self:
            self._project = _project_for(self._filename)
        if self._project is None:
            if name == "enabled":
                return False
            raise AttributeError(name)
        return getattr(self._project, name)


def _project_for(filename: str):
    """The project model around a file (cross-file findings, as the CLI's): neighbours' summaries come
    from, and go to, the CLI's cache folder at the project root."""
    if filename in ("-", "(none)", "stdin") or not os.path.isfile(filename):
        return None
    from torchlint.analysis.project import find_root, shared_project
    from torchlint.cache import default_directory

    return shared_project((), default_directory(find_root(filename)))
