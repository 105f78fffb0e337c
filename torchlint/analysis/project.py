"""The project model: which files make up the program, what their imports mean, what they do.

Rules never read other files themselves: they ask `ctx.project`, a `Project`, or None when a
lone text is linted (a test snippet, stdin).  `project_of(ctx)` gives an empty Project instead of
None, whose every answer is "unknown".  Every answer is None when the analysis cannot be sure
(third-party or stdlib module, missing or unparsable file, import cycle, a name bound twice,
a dynamic import): rules stay silent on None.

Roots and modules
- `find_root(path)`: the nearest directory above `path` holding `pyproject.toml`, `setup.py`,
  `setup.cfg` or `.git`; else the top-most directory of the package chain (`__init__.py`s)
  around the file, i.e. the directory a `python -m` run would start from.
- `Project.for_paths(paths, cache=None)`: a project whose roots are those of the linted paths.
  Any first-party module the linted files import is read and summarised on demand (never
  reported); summaries come from the content cache when it has them.
- Absolute imports resolve as `python script.py` runs them: a file in a plain directory
  (a script) sees its own directory first, then the roots; a file inside a package sees the
  roots first.  Relative imports resolve against the package.  `import a.b as c`, `from x
  import *` (honouring a literal `__all__`) and re-exports through `__init__.py` are followed.

Queries (all take the linted file's FileContext where they start from it)
- `resolve(ctx, "utils.train_one_epoch") -> Symbol | None`: what a dotted name spelled in the
  file means.  `Symbol(path, name, kind, module)`: kind "module", "function" (a module-level
  function, or "Class.method"), "class" or "value"; `symbol.qualified` = "utils.train_one_epoch".
- `call_target(ctx, call) -> Symbol | None`: the first-party function or class a call runs
  when its callee is imported (same-file callees stay with `analysis.facts.resolve_call`).
- `function_facts(symbol_or_qualified) -> dict | None`: the FUNCTION summary (see
  `analysis.summaries`): params, methods called on each param (`"eval"`, `"sampler.set_epoch"`,
  transitive within its file), iterated params, returns, calls, training step, process group.
- `class_facts(symbol_or_qualified) -> dict | None`: the CLASS summary plus, resolved across
  files, `"mode_dependent"` (True: it or a submodule holds dropout / batch norm / a layer the
  generated tables call mode-dependent, or reads `self.training`; False: every layer is visible
  and none is; None: unknown), `"evidence"` ("`Net` builds `nn.Dropout` (models.py:12)") and
  `"owns_parameters"`.  TL601/TL602 (modes.py, modules.py) should call this for an imported class
  instead of answering "does this class build dropout or BN" again.
- `class_of(ctx, expr) -> Symbol | None` and `mode_status(ctx, expr) -> (True|False|None, evidence)`:
  the one call for "does the model class `Net(...)` (imported or same-file) build dropout/BN?".
- `derives_from(symbol, "torch.nn.Module")`, `casts_itself(symbol)`: a project class's bases and
  casts, across files (TL101: a layer class with parameters; TL203: a float32 model class).
- `module_facts(path) -> dict | None`: process group, `mp.spawn` targets, torchrun env reads; with
  `resolve(ctx, "train_one_epoch")` and `function_facts(...)["process_group"]` a rule can see the
  multi-process context of an entry point that calls a helper of another file (TL401).
- `remote_values(ctx, node)`: for `analysis.facts.possible_values`: what an imported name or a
  call of an imported function holds (`summaries.RemoteValue`s), or None.
- `may_set_epoch(symbol, loader_params, epoch_params)`: TL201's question about a callee.
- `loads_state_dict_into(ctx, call, arg)`: TL402's question: does the imported function `call` runs load a
  state dict into what `arg` binds to (a resume helper: `restart_from_checkpoint(path, state_dict=model)`)?
- `wrapper_value(ctx, node)`: TL501's question: the `DataParallel`/DDP construction of another file that an
  imported name or a call of an imported function holds (a summary VALUE "wrapper"; "some": on some paths).
- `where(symbol_or_path, line)`: "data.py:41" as messages show it, relative to the linted file.
- `referrers(path, names, words)` and `context(path)`: who may call `path`'s functions (the files
  of its project spelling one of `names` and one of `words`), and such a file's own parse (TL401:
  an entry point with multi-process evidence that calls a checkpoint helper of another file).

Dependencies: while a file is linted, `recording()` collects every file (and every probed path)
the answers depended on, with its content hash (None: absent), for the findings cache; `referrers`
also records the root's file listing (`cache.LISTING + root`: a digest of `project_files(root)`), so a
caller added to the project later re-lints the helper.
"""

from __future__ import annotations

import hashlib
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, Union

from torchlint.analysis import summaries_ast


class _LazyModule:
    """A module imported on first use: building a Project and following imports through Python's `ast`
    (the screens' `may_reach_text`, the flake8 plugin's parent process) must not import libcst."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        import importlib

        module = importlib.import_module(self._name)
        globals()["S"] = module  # later uses read the module itself
        return getattr(module, attr)


S = _LazyModule("torchlint.analysis.summaries")


def nn_classes():
    from torchlint.analysis.modules import nn_classes as table

    return table()

MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
_MAX_DEPTH = 8
_MAX_PARSED = 64  # parses of modules whose bindings were read, kept in case their summary is asked for
_MAX_REACHED = 2000  # may_reach_text: items (module, name) followed at most; beyond: True
_MAX_LISTED_CHILDREN = 2000  # may_reach_text: a folder with more entries is not followed (True)
_NAMESPACE = os.sep  # a namespace package is named by its directory path plus os.sep
_BUILTIN_NAMES = frozenset(dir(__import__("builtins")))


@dataclass(frozen=True)
class Symbol:
    path: str  # the module file (or namespace directory + os.sep)
    name: str  # "" for the module itself; "train", "Net", "Trainer.fit"
    kind: str  # "module", "function", "class", "value"
    module: str  # dotted module name

    @property
    def qualified(self) -> str:
        return f"{self.module}.{self.name}" if self.name else self.module


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_root_memo: Dict[str, str] = {}


def find_root(path: str) -> str:
    """The project root of a file or directory (see the module docstring)."""
    path = os.path.abspath(path)
    start = path if os.path.isdir(path) else os.path.dirname(path)
    if start in _root_memo:
        return _root_memo[start]
    current = start
    while True:
        if any(os.path.exists(os.path.join(current, m)) for m in MARKERS):
            root = current
            break
        parent = os.path.dirname(current)
        if parent == current:
            root = start
            while os.path.isfile(os.path.join(root, "__init__.py")) and os.path.dirname(root) != root:
                root = os.path.dirname(root)
            break
        current = parent
    _root_memo[start] = root
    return root


def _read_regular(path: str) -> Optional[bytes]:
    """The bytes of a regular file; None for anything else (a FIFO would block, /dev/zero never end)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


class Project:
    """First-party modules of the linted program, summarised on demand (see module docstring)."""

    def __init__(self, roots: Iterable[str] = (), cache=None, enabled: bool = True) -> None:
        self.roots: List[str] = []
        for root in roots:
            self.add_root(root)
        self.cache = cache  # torchlint.cache.Cache or None
        self.enabled = enabled
        self._summaries: Dict[str, Optional[dict]] = {}
        self._hashes: Dict[str, Optional[str]] = {}
        self._contexts: Dict[str, object] = {}  # files being linted: their own FileContext
        self._isfile: Dict[str, bool] = {}
        self._isdir: Dict[str, bool] = {}
        self._recording: Optional[Dict[str, Optional[str]]] = None
        self._resolving: Set[Tuple[str, str]] = set()
        self._lookups: Dict[Tuple[str, str], Tuple[Optional[Symbol], Dict[str, Optional[str]]]] = {}
        self._tables: Dict[str, Optional[dict]] = {}  # bindings of modules not (yet) summarised
        self._parsed: Dict[str, object] = {}  # their parses, kept for a summary asked for later
        self._trees: Dict[str, Tuple[str, object]] = {}  # their text and Python `ast` (the names' parse), reused
        self._listed: Dict[str, Optional[List[str]]] = {}  # root -> its Python files (the caller index)
        self._texts: Dict[str, bytes] = {}  # their bytes, read once
        self._other_contexts: Dict[str, object] = {}  # files parsed for `context()`
        self._unreached: Dict[tuple, Dict[tuple, Dict[str, Optional[str]]]] = {}  # may_reach_text's clean items
        self.table_bytes_parsed = 0  # bytes of module texts parsed (Python's parser) for their tables
        self.summarised = 0  # summaries computed by a parse (not from the cache): for benchmarks

    @classmethod
    def for_paths(cls, paths: Sequence[str], cache=None) -> Project:
        return cls([find_root(p) for p in paths], cache=cache)

    def add_root(self, root: str) -> None:
        root = os.path.abspath(root)
        if root not in self.roots:
            self.roots.append(root)

    # -- files -------------------------------------------------------------------------------
    def _file(self, path: str) -> bool:
        if path not in self._isfile:
            self._isfile[path] = os.path.isfile(path)
        self._record(path, self.hash_of(path) if self._isfile[path] else None)
        return self._isfile[path]

    def _dir(self, path: str) -> bool:
        if path not in self._isdir:
            self._isdir[path] = os.path.isdir(path)
        self._record(path + _NAMESPACE, "" if self._isdir[path] else None)
        return self._isdir[path]

    def _record(self, path: str, digest: Optional[str]) -> None:
        if self._recording is not None and path not in self._recording:
            self._recording[path] = digest

    def hash_of(self, path: str) -> Optional[str]:
        """Content hash of a file (None if unreadable), read once per project."""
        if path not in self._hashes:
            data = _read_regular(path)
            self._hashes[path] = None if data is None else content_hash(data)
        return self._hashes[path]

    def set_hash(self, path: str, digest: str) -> None:
        self._hashes[os.path.abspath(path)] = digest

    @contextmanager
    def recording(self) -> Iterator[Dict[str, Optional[str]]]:
        """Collect {path: content hash or None} of everything consulted inside the block."""
        saved = self._recording
        self._recording = found = {}
        try:
            yield found
        finally:
            self._recording = saved

    def attach(self, ctx) -> None:
        """The file `ctx` is being linted: answer questions about it from its own parse."""
        ctx.project = self
        self._contexts[os.path.abspath(ctx.path)] = ctx

    def detach(self, ctx) -> None:
        self._contexts.pop(os.path.abspath(ctx.path), None)

    # -- summaries ---------------------------------------------------------------------------
    def summary(self, path: str) -> Optional[dict]:
        """The summary of a module file (from the linted context, the cache, or a parse), or None."""
        path = os.path.abspath(path) if not path.endswith(_NAMESPACE) else path
        if path.endswith(_NAMESPACE) or not self.enabled:
            return None
        ctx = self._contexts.get(path)
        if ctx is not None:
            return S.summarise(ctx)
        self._record(path, self.hash_of(path))
        if path not in self._summaries:
            self._summaries[path] = self._load(path)
        return self._summaries[path]

    def _read(self, path: str) -> Optional[Tuple[str, bytes]]:
        data = _read_regular(path)
        if data is None:
            return None
        return self._hashes.setdefault(path, content_hash(data)), data

    def _load(self, path: str) -> Optional[dict]:
        read = self._read(path)
        if read is None:
            return None
        digest = read[0]
        if self.cache is not None:
            cached = self.cache.get_summary(digest)
            if cached is not None:
                return cached
        ctx = self._parsed.pop(path, None) or _parse(path, self._trees.pop(path, None))
        summary = _summarise_safely(ctx) if ctx is not None else None
        self.summarised += 1
        if summary is not None and self.cache is not None:
            self.cache.put_summary(digest, summary)
        return summary

    def _names(self, path: str) -> Optional[dict]:
        """A module's bindings only ("names", "stars", "all"): cheaper than its summary when not cached."""
        ctx = self._contexts.get(path)
        if ctx is not None:
            return S.names_table(ctx)
        if path in self._summaries or not self.enabled:
            return self.summary(path)
        self._record(path, self.hash_of(path))
        if path not in self._tables:
            self._tables[path] = self._load_names(path)
        return self._tables[path]

    def _load_names(self, path: str) -> Optional[dict]:
        read = self._read(path)
        if read is None:
            return None
        digest = read[0]
        if self.cache is not None:
            cached = self.cache.get_summary(digest)
            if cached is not None:
                self._summaries[path] = cached
                return cached
            names = self.cache.get_names(digest)
            if names is not None:
                return names
        from torchlint.source import SourceError, read_source

        tree = text = None
        try:
            text = read_source(path).text
            self.table_bytes_parsed += len(text)
            tree = summaries_ast.python_tree(text)  # Python's parser: a tenth of libcst's
            table = summaries_ast.names_table_of_tree(tree) if tree is not None else None
        except (SourceError, Exception):  # a table is an optimisation of what rules may see: never an error
            table = None
        if table is not None:
            if len(self._trees) >= _MAX_PARSED:
                self._trees.pop(next(iter(self._trees)))
            self._trees[path] = (text, tree)  # a summary asked for later reads its statement lines here
        if table is None:
            ctx = _parse(path)
            if ctx is None:
                self._summaries[path] = None
                return None
            table = S.names_table(ctx)
            if len(self._parsed) >= _MAX_PARSED:
                self._parsed.pop(next(iter(self._parsed)))
            self._parsed[path] = ctx  # the full summary, if asked for later, needs no second parse
        if self.cache is not None:
            self.cache.put_names(digest, table)
        return table

    def kept_tree(self, path: str, text: str):
        """Python's `ast` of `text` if the project parsed exactly this text of `path` for its names (the
        engine's screens reuse it instead of parsing again), else None."""
        kept = self._trees.get(os.path.abspath(path))
        return kept[1] if kept is not None and kept[0] == text else None

    def offer_tree(self, path: str, text: str, tree) -> None:
        """The engine parsed `text`, the file `path` being linted, with Python's parser: its bindings
        table costs a walk of the module's statements, and a later lookup from another file then needs
        no parse of its own.  Kept only when `text` is what the disk holds (not an editor's buffer)."""
        path = os.path.abspath(path)
        if tree is None or path in self._tables or path in self._summaries or not self.enabled:
            return
        try:
            if self.hash_of(path) != content_hash(text.encode("utf-8")):
                return
            self._tables[path] = summaries_ast.names_table_of_tree(tree)
        except Exception:  # an optimisation: the table is read from the file when asked, as before
            return

    # -- modules -------------------------------------------------------------------------------
    def module_name(self, path: str) -> str:
        """Dotted name of a module file relative to its root (`utils/train_utils.py` -> `utils.train_utils`)."""
        path = os.path.abspath(path.rstrip(os.sep)) if path.endswith(_NAMESPACE) else os.path.abspath(path)
        base = find_root(path)
        for root in self.roots:
            if path.startswith(root + os.sep) and len(root) > len(base):
                base = root
        rel = os.path.relpath(path, base)
        if rel.endswith(".py"):
            rel = rel[:-3]
        parts = [p for p in rel.split(os.sep) if p and p != "."]
        if parts and parts[-1] == "__init__":
            parts.pop()
        return ".".join(parts) or os.path.basename(base)

    def _search_dirs(self, from_path: str) -> List[str]:
        here = os.path.dirname(os.path.abspath(from_path))
        own = find_root(from_path)
        roots = [own] + [r for r in self.roots if r != own and here.startswith(r + os.sep)]
        if os.path.isfile(os.path.join(here, "__init__.py")):
            dirs = roots + [here]  # a package module: sys.path holds the project, not its folder
        else:
            dirs = [here] + roots  # a script: `python train.py` puts its own folder first
        seen: List[str] = []
        for d in dirs:
            if d not in seen:
                seen.append(d)
        return seen

    def _find_in(self, base: str, dotted: str) -> Optional[str]:
        """`a.b` under `base`: package `a/b/__init__.py`, module `a/b.py`, or namespace dir `a/b/`."""
        current = base
        parts = dotted.split(".")
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            candidate = os.path.join(current, part)
            if self._file(os.path.join(candidate, "__init__.py")):
                if last:
                    return os.path.join(candidate, "__init__.py")
                current = candidate
                continue
            if last and self._file(candidate + ".py"):
                return candidate + ".py"
            if self._dir(candidate):
                if last:
                    return candidate + _NAMESPACE
                current = candidate
                continue
            return None
        return None

    def resolve_module(self, from_path: str, level: int, dotted: str) -> Optional[str]:
        """The file (or namespace dir + os.sep) of the module an import in `from_path` names; None if
        it is not first-party or does not exist."""
        if not self.enabled:
            return None
        if level:
            package = os.path.dirname(os.path.abspath(from_path.rstrip(os.sep)))
            for _ in range(level - 1):
                package = os.path.dirname(package)
            if not dotted:
                init = os.path.join(package, "__init__.py")
                return init if self._file(init) else package + _NAMESPACE
            return self._find_in(package, dotted)
        top = dotted.split(".", 1)[0]
        for base in self._search_dirs(from_path):
            candidate = os.path.join(base, top)
            if self._file(os.path.join(candidate, "__init__.py")) or self._file(candidate + ".py"):
                return self._find_in(base, dotted)  # the first folder that has it wins, as on sys.path
        for base in self._search_dirs(from_path):
            if self._dir(os.path.join(base, top)):
                return self._find_in(base, dotted)  # only a namespace portion
        return None

    # -- names ---------------------------------------------------------------------------------
    def lookup(self, module_path: str, name: str, depth: int = 0) -> Optional[Symbol]:
        """What `name` means as an attribute of the module `module_path` (definitions, imports,
        re-exports, star imports, submodules)."""
        key = (module_path, name)
        known = self._lookups.get(key)
        if known is not None:  # memoised with the files it consulted, replayed into the recording
            if self._recording is not None:
                for path, digest in known[1].items():
                    self._recording.setdefault(path, digest)
            return known[0]
        if key in self._resolving or depth > _MAX_DEPTH:
            return None  # an import cycle: unknown
        self._resolving.add(key)
        outer = self._recording
        self._recording = consulted = {}
        try:
            symbol = self._lookup(module_path, name, depth)
        finally:
            self._resolving.discard(key)
            self._recording = outer
            if outer is not None:
                for path, digest in consulted.items():
                    outer.setdefault(path, digest)
        if not self._resolving:  # a result reached inside a cycle may depend on where it started
            self._lookups[key] = (symbol, consulted)
        return symbol

    def _lookup(self, module_path: str, name: str, depth: int) -> Optional[Symbol]:
        is_package = module_path.endswith(_NAMESPACE) or os.path.basename(module_path) == "__init__.py"
        package_dir = module_path.rstrip(os.sep) if module_path.endswith(_NAMESPACE) else os.path.dirname(module_path)
        table = None if module_path.endswith(_NAMESPACE) else self._names(module_path)
        if table is not None:
            binding = table["names"].get(name)
            if binding is not None:
                return self._follow(module_path, name, binding, depth)
            found = None
            for level, module in table["stars"]:
                target = self.resolve_module(module_path, level, module)
                if target is None:
                    return None  # a star import we cannot see may bind anything
                target_table = self._names(target) if not target.endswith(_NAMESPACE) else None
                if target_table is None:
                    return None
                exported = target_table.get("all")
                if exported is not None and name not in exported:
                    continue
                if exported is None and name.startswith("_"):
                    continue
                symbol = self.lookup(target, name, depth + 1)
                if symbol is None and (name in target_table["names"] or exported is not None):
                    return None
                if symbol is not None:
                    if found is not None and found != symbol:
                        return None
                    found = symbol
            if found is not None:
                return found
        elif not module_path.endswith(_NAMESPACE):
            return None
        if is_package:
            sub = self._find_in(package_dir, name)
            if sub is not None:
                return Symbol(sub, "", "module", self.module_name(sub))
        return None

    def _follow(self, module_path: str, name: str, binding: list, depth: int) -> Optional[Symbol]:
        kind = binding[0]
        if kind == "def":
            return Symbol(module_path, name, binding[1], self.module_name(module_path))
        if kind == "module":
            target = self.resolve_module(module_path, 0, binding[1])
            return Symbol(target, "", "module", self.module_name(target)) if target else None
        if kind == "import":
            _, level, module, attr = binding
            target = self.resolve_module(module_path, level, module)
            if target is None:
                return None
            symbol = self.lookup(target, attr, depth + 1)
            if symbol is not None:
                return symbol
            is_package = target.endswith(_NAMESPACE) or os.path.basename(target) == "__init__.py"
            if is_package:  # `from pkg import submodule`
                sub = self._find_in(target.rstrip(os.sep) if target.endswith(_NAMESPACE) else os.path.dirname(target),
                                    attr)  # fmt: skip
                if sub is not None:
                    return Symbol(sub, "", "module", self.module_name(sub))
        return None

    def resolve(self, ctx_or_path, spelled: Optional[str]) -> Optional[Symbol]:
        """What a dotted name spelled at module level of a file means (None: unknown or not first-party)."""
        if not spelled or not self.enabled:
            return None
        path = os.path.abspath(ctx_or_path if isinstance(ctx_or_path, str) else ctx_or_path.path)
        parts = spelled.split(".")
        symbol = self.lookup(path, parts[0])
        for part in parts[1:]:
            if symbol is None:
                return None
            symbol = self.attribute(symbol, part)
        return symbol

    def attribute(self, symbol: Symbol, name: str) -> Optional[Symbol]:
        if symbol.kind == "module":
            return self.lookup(symbol.path, name)
        if symbol.kind == "class":
            return self.method(symbol, name)
        return None

    def method(self, class_symbol: Symbol, name: str, depth: int = 0) -> Optional[Symbol]:
        """`Class.name` defined in the class or (across files) in a base class."""
        summary = self.summary(class_symbol.path)
        if summary is None or depth > _MAX_DEPTH:
            return None
        qualified = f"{class_symbol.name}.{name}"
        if qualified in summary["functions"]:
            return Symbol(class_symbol.path, qualified, "function", class_symbol.module)
        facts = summary["classes"].get(class_symbol.name)
        for base in (facts or {}).get("bases", []):
            base_symbol = self.resolve(class_symbol.path, base)
            if base_symbol is not None and base_symbol.kind == "class":
                found = self.method(base_symbol, name, depth + 1)
                if found is not None:
                    return found
        return None

    def _symbol(self, symbol_or_qualified: Union[Symbol, str], kind: str) -> Optional[Symbol]:
        if isinstance(symbol_or_qualified, Symbol):
            return symbol_or_qualified if symbol_or_qualified.kind == kind else None
        for path in list(self._summaries) + list(self._contexts):
            module = self.module_name(path)
            if symbol_or_qualified.startswith(module + "."):
                name = symbol_or_qualified[len(module) + 1:]
                summary = self.summary(path)
                table = summary and (summary["functions"] if kind == "function" else summary["classes"])
                if table and name in table:
                    return Symbol(path, name, kind, module)
        return None

    # -- facts ---------------------------------------------------------------------------------
    def function_facts(self, symbol_or_qualified: Union[Symbol, str]) -> Optional[dict]:
        symbol = self._symbol(symbol_or_qualified, "function")
        summary = self.summary(symbol.path) if symbol else None
        return summary["functions"].get(symbol.name) if summary else None

    def module_facts(self, path: str) -> Optional[dict]:
        summary = self.summary(path)
        return summary["module"] if summary else None

    def class_facts(self, symbol_or_qualified: Union[Symbol, str], inference: bool = False) -> Optional[dict]:
        """The CLASS summary plus "mode_dependent"/"evidence"/"owns_parameters" resolved across files;
        `inference`: TL601's question (is its training-mode forward wrong at inference, see
        modules.nn_class_status) instead of "does it behave differently in eval mode"."""
        symbol = self._symbol(symbol_or_qualified, "class")
        facts = self._class_entry(symbol) if symbol else None
        if facts is None:
            return None
        dependent, evidence, owns = self._class_status(symbol, 0, set(), inference)
        bases = []
        for base in facts["bases"]:
            base_symbol = self.resolve(symbol.path, base)
            bases.append(base_symbol.qualified if base_symbol else self.external_name(symbol.path, base) or base)
        return {**facts, "mode_dependent": dependent, "evidence": evidence, "owns_parameters": owns,
                "resolved_bases": bases}  # fmt: skip

    def _class_entry(self, symbol: Symbol) -> Optional[dict]:
        """The CLASS entry of a project class in its module's summary, or None (unknown)."""
        summary = self.summary(symbol.path)
        return summary["classes"].get(symbol.name) if summary else None

    def derives_from(self, symbol: Symbol, qualified: str = "torch.nn.Module", depth: int = 0) -> bool:
        """Does the project class `symbol` derive (through project bases, across files) from the
        external class `qualified`?  Every torch.nn layer counts as a `torch.nn.Module`.  False when unsure."""
        facts = self._class_entry(symbol) if depth <= _MAX_DEPTH else None
        if facts is None:
            return False
        for base in facts["bases"]:
            base_symbol = self.resolve(symbol.path, base)
            if base_symbol is not None:
                if base_symbol.kind == "class" and self.derives_from(base_symbol, qualified, depth + 1):
                    return True
                continue
            external = self.external_name(symbol.path, base)
            if external == qualified or (qualified == "torch.nn.Module" and external in nn_classes()):
                return True
        return False

    def is_module(self, symbol: Symbol, depth: int = 0) -> Optional[bool]:
        """Is the project class `symbol` a `torch.nn.Module`?  True when it derives from one (`derives_from`),
        False when every base is seen and none is (`class Helper:`, `class Helper(object)`, project bases
        that are not), None when a base cannot be seen (`class Net(Base)` with `Base` from a library)."""
        if self.derives_from(symbol):
            return True
        facts = self._class_entry(symbol) if depth <= _MAX_DEPTH else None
        if facts is None:
            return None
        for base in facts["bases"]:
            base_symbol = self.resolve(symbol.path, base)
            if base_symbol is not None:
                if base_symbol.kind != "class" or self.is_module(base_symbol, depth + 1) is not False:
                    return None
                continue
            if base != "object" and self.external_name(symbol.path, base) != "object":
                return None
        return False

    def casts_itself(self, symbol: Symbol, depth: int = 0) -> bool:
        """Does the project class (or a project base, across files) cast anything itself (CLASS
        `"casts"`)?  True when unsure: then a float64 input may be what it expects (TL203)."""
        facts = self._class_entry(symbol) if depth <= _MAX_DEPTH else None
        if facts is None or facts.get("casts", True):
            return True
        for base in facts["bases"]:
            base_symbol = self.resolve(symbol.path, base)
            if base_symbol is not None and (base_symbol.kind != "class" or self.casts_itself(base_symbol, depth + 1)):
                return True
        return False

    def external_name(self, path: str, spelled: str) -> Optional[str]:
        """`nn.Module` in a file that did `from torch import nn` -> "torch.nn.Module" (not first-party)."""
        table = self._names(os.path.abspath(path))
        if table is None:
            return None
        root, _, rest = spelled.partition(".")
        binding = table["names"].get(root)
        if binding is None or binding[0] not in ("module", "import"):
            return None
        if binding[0] == "module":
            if self.resolve_module(path, 0, binding[1]) is not None:
                return None
            full = binding[1] if binding[1].split(".")[-1] == root or root == binding[1] else binding[1]
        else:
            if binding[1] or self.resolve_module(path, 0, binding[2]) is not None:
                return None
            full = f"{binding[2]}.{binding[3]}"
        from torchlint import tables

        return tables.canonical_name(f"{full}.{rest}" if rest else full)

    def _class_status(self, symbol: Symbol, depth: int, seen: Set[Symbol],
                      inference: bool = False) -> Tuple[Optional[bool], str, bool]:  # fmt: skip
        """(mode_dependent, evidence, owns_parameters) of a project class, across files."""
        key = "inference_layer_status" if inference else "layer_status"
        facts = self._class_entry(symbol)
        if facts is None or symbol in seen or depth > _MAX_DEPTH:
            return None, "", False
        seen = seen | {symbol}
        label = f"`{symbol.name}` ({self.where(symbol.path, facts['line'])})"
        owns = bool(facts["owns_parameters"])
        if facts[key] == S.DEPENDENT:
            return True, f"{label} {facts['inference_evidence' if inference else 'evidence']}", owns
        known = facts[key] == S.INDEPENDENT
        nn_table = nn_classes()
        for base in facts["bases"]:
            base_symbol = self.resolve(symbol.path, base)
            if base_symbol is not None and base_symbol.kind == "class":
                dependent, evidence, base_owns = self._class_status(base_symbol, depth + 1, seen, inference)
                owns = owns or base_owns
                if dependent:
                    return True, evidence, owns
                known &= dependent is False
                continue
            external = self.external_name(symbol.path, base)
            if external in ("torch.nn.Module", "object") or base == "object":
                continue
            if external in nn_table:
                continue  # judged when the class was summarised
            known = False
        for ref in facts["refs"]:
            dependent, evidence, ref_owns = self._ref_status(symbol.path, ref, depth, seen, inference)
            owns = owns or ref_owns
            if dependent:
                return True, f"{label} uses {evidence}", owns
            known &= dependent is False
        return (False if known else None), "", owns

    def _ref_status(self, path: str, spelled: str, depth: int, seen: Set[Symbol], inference: bool = False):
        target = self.resolve(path, spelled)
        if target is None:
            return None, "", False
        if target.kind == "class":
            dependent, evidence, owns = self._class_status(target, depth + 1, seen, inference)
            module = self.is_module(target)
            if module is False:
                # A plain object (`self.model = DistModel()`) is no submodule: `.eval()` on the holder never
                # reaches it, so its layers say nothing about the holder's mode (it sets its own).
                return False, "", owns
            return (dependent, evidence, owns) if module else (dependent and None, "", owns)
        if target.kind == "function" and target not in seen:
            facts = self.function_facts(target)
            if facts is None:
                return None, "", False
            key = "inference_layer_status" if inference else "layer_status"
            if facts[key] == S.DEPENDENT:
                evidence = facts["inference_evidence" if inference else "evidence"]
                return True, f"`{target.name}()` ({self.where(target.path, facts['line'])}) {evidence}", \
                    facts["owns_parameters"]  # fmt: skip
            known = facts[key] == S.INDEPENDENT
            owns = facts["owns_parameters"]
            for ref in facts["refs"]:
                dependent, evidence, ref_owns = self._ref_status(target.path, ref, depth + 1, seen | {target},
                                                                 inference)  # fmt: skip
                owns = owns or ref_owns
                if dependent:
                    return True, evidence, owns
                known &= dependent is False
            return (False if known else None), "", owns
        return None, "", False

    # -- who calls a module's functions (an index of the files under a root) ---------------------
    def project_files(self, root: str) -> Optional[List[str]]:
        """The Python files under `root` (default excludes skipped), or None when there are more
        than cache.MAX_LISTED (too big to index: unknown).  Listed once per project."""
        from torchlint.cache import python_files  # one definition, shared with the findings cache's check

        root = os.path.abspath(root)
        listed = self._listed
        if root not in listed:
            listed[root] = python_files(root)
        return listed[root]

    def referrers(self, path: str, names: Iterable[str], words: Sequence[str] = ()) -> Optional[List[str]]:
        """Files of `path`'s project (under its root) other than `path` whose text spells one of
        `names` and, if given, one of `words`: the only files that can call those functions of
        `path`.  None when the project is too big to index.  Each file read once per project."""
        if not self.enabled:
            return None
        from torchlint.cache import LISTING, listing_digest

        root = find_root(path)
        files = self.project_files(root)
        self._record(LISTING + os.path.abspath(root), listing_digest(files))  # a file added later may call it
        if files is None:
            return None
        texts = self._texts
        wanted = [n.encode() for n in names]
        marks = [w.encode() for w in words]
        found = []
        for candidate in files:
            if candidate == os.path.abspath(path):
                continue
            if candidate not in texts:
                data = _read_regular(candidate)
                texts[candidate] = data or b""
                if candidate not in self._hashes:  # an empty `__init__.py` has a hash too (None: unreadable)
                    self._hashes[candidate] = content_hash(data) if data is not None else None
            data = texts[candidate]
            self._record(candidate, self._hashes.get(candidate))  # a new call there changes the answer
            if any(n in data for n in wanted) and (not marks or any(w in data for w in marks)):
                found.append(candidate)
        return found

    def context(self, path: str):
        """A first-party file's FileContext (the linted one, or parsed once and kept), or None.
        Consulting it makes the linted file's findings depend on it (the findings cache)."""
        path = os.path.abspath(path)
        if path in self._contexts:
            return self._contexts[path]
        self._record(path, self.hash_of(path))
        others = self._other_contexts
        if path not in others:
            if len(others) >= _MAX_PARSED:
                others.clear()
            others[path] = _parse(path)
            if others[path] is not None:
                others[path].project = self
        return others[path]

    # -- screens (before any libcst parse) ------------------------------------------------------
    def may_reach_text(self, path: str, starts: Sequence[Tuple[int, str, Optional[str]]],
                       words: Sequence[str], budget: Optional[int] = None) -> bool:
        """Might a question about the file `path` that follows first-party names (`lookup`, `resolve`,
        a summary's `call`/`name` values, base classes) consult a module whose text holds one of
        `words`?  `starts`: the file's imports, (level, module, name) with name None for a whole
        module (`import a` / `from a import *`).  From a name, only the modules its lookup reads are
        followed; from a definition, its whole module (what the definition spells resolves through any
        of that module's bindings); a package module reached whole takes all its submodules.  Only
        module tables (Python's parser) and texts are read, never a summary.  False only when no such
        module is reachable: a screen's question (rule_screens), so True whenever unsure, or when
        answering would parse more than `budget` bytes of modules not read before."""
        if not self.enabled:
            return False
        limit = None if budget is None else self.table_bytes_parsed + budget
        wanted = tuple(w.encode() for w in words)
        clean = self._unreached.setdefault(wanted, {})  # item -> the consulted files of its clean search
        pending: List[Tuple[str, Optional[str]]] = []
        for level, module, name in starts:
            target = self.resolve_module(path, level, module)
            if target is not None:
                pending.extend(self._name_items(target, name))
        seen: Set[Tuple[str, Optional[str]]] = set()
        consulted: Dict[str, Optional[str]] = {}
        outer = self._recording
        self._recording = consulted
        try:
            while pending:
                item = pending.pop()
                if item in seen:
                    continue
                if len(seen) >= _MAX_REACHED or (limit is not None and self.table_bytes_parsed > limit):
                    return True  # too much to read before a parse: the caller parses instead
                seen.add(item)
                if item in clean:
                    consulted.update(clean[item])
                    continue
                module, name = item
                if name is None and self._holds(module, wanted):
                    return True
                pending.extend(self._reached_from(module, name))
        except Exception:
            return True
        finally:
            self._recording = outer
            if outer is not None:
                for dep, digest in consulted.items():
                    outer.setdefault(dep, digest)
        for item in seen:  # everything this search reached reaches none of the words
            clean[item] = consulted
        return False

    def _name_items(self, module: str, name: Optional[str]) -> List[Tuple[str, Optional[str]]]:
        items: List[Tuple[str, Optional[str]]] = [(module, name)]
        if name is not None and (module.endswith(_NAMESPACE) or os.path.basename(module) == "__init__.py"):
            sub = self._find_in(module.rstrip(os.sep) if module.endswith(_NAMESPACE) else os.path.dirname(module), name)
            if sub is not None:  # `from pkg import submodule`
                items.append((sub, None))
        return items

    def _holds(self, module: str, wanted: Tuple[bytes, ...]) -> bool:
        if module.endswith(_NAMESPACE):
            return False
        self._record(module, self.hash_of(module))
        data = self._texts.get(module)
        if data is None:
            data = self._texts[module] = _read_regular(module) or b""
        return any(w in data for w in wanted)

    def _reached_from(self, module: str, name: Optional[str]) -> List[Tuple[str, Optional[str]]]:
        """What following `name` in `module` (None: anything it spells) may read next."""
        is_package = module.endswith(_NAMESPACE) or os.path.basename(module) == "__init__.py"
        items: List[Tuple[str, Optional[str]]] = []
        if name is None and is_package:  # `import pkg` ... `pkg.sub.f`: any submodule
            folder = module.rstrip(os.sep) if module.endswith(_NAMESPACE) else os.path.dirname(module)
            from torchlint.cache import LISTING, listing_digest, python_files

            self._record(LISTING + folder, listing_digest(python_files(folder)))  # a submodule added later
            entries = sorted(os.listdir(folder))
            if len(entries) > _MAX_LISTED_CHILDREN:
                raise RuntimeError("too many entries to follow")  # the caller answers True
            for entry in entries:
                child = os.path.join(folder, entry)
                if entry.endswith(".py") and child != module and self._file(child):
                    items.append((child, None))
                elif not entry.startswith(".") and "." not in entry and self._dir(child):
                    init = os.path.join(child, "__init__.py")
                    items.append((init, None) if self._file(init) else (child + _NAMESPACE, None))
        if module.endswith(_NAMESPACE):
            if name is not None:
                sub = self._find_in(module.rstrip(os.sep), name)
                if sub is not None:
                    items.append((sub, None))
            return items
        table = self._names(module)
        if table is None:
            return items  # unreadable or unparsable: its summary is None, nothing is followed through it
        bindings = table["names"].items() if name is None else [(name, table["names"].get(name))]
        for bound, binding in bindings:
            if binding is None:  # through its star imports, or a submodule (`_lookup`)
                for level, star in table["stars"]:
                    target = self.resolve_module(module, level, star)
                    if target is not None:
                        items.extend(self._name_items(target, bound))
                if is_package:
                    items.extend(self._name_items(module, bound)[1:])
                continue
            if binding[0] == "ambiguous":
                if name is not None:
                    items.append((module, None))  # bound twice, maybe by a def: read it all
                continue
            if binding[0] == "def":
                if name is not None:
                    items.append((module, None))
            elif binding[0] == "module":
                target = self.resolve_module(module, 0, binding[1])
                if target is not None:
                    items.append((target, None))
            elif binding[0] == "import":
                target = self.resolve_module(module, binding[1], binding[2])
                if target is not None:
                    items.extend(self._name_items(target, binding[3]))
        if name is None:
            for level, star in table["stars"]:
                target = self.resolve_module(module, level, star)
                if target is not None:
                    items.append((target, None))
        return items

    # -- calls and values ------------------------------------------------------------------------
    def call_target(self, ctx, call) -> Optional[Symbol]:
        """The first-party function (or class) an imported callee names, or None (memoised per file)."""
        if not self.enabled:
            return None  # no project (a summary being computed, a lone text): nothing is first-party
        known = ctx.memo("project.call_targets", dict)
        if id(call) not in known:
            known[id(call)] = self._call_target(ctx, call)
        return known[id(call)]

    def _call_target(self, ctx, call) -> Optional[Symbol]:
        from torchlint.names import dotted_name

        spelled = dotted_name(call.func)
        if spelled is None:
            return None
        root = spelled.split(".", 1)[0]
        bindings = ctx.import_bindings()
        if root in bindings:
            if S.names_table(ctx)["names"].get(root, ["ambiguous"])[0] == "ambiguous":
                return None  # bound twice in the file (an import and something else): unknown
        elif "*" not in bindings or ctx.names.is_bound(root) or root in _BUILTIN_NAMES:
            return None  # a local, a builtin, or not imported at all
        return self.resolve(ctx, spelled)

    def class_of(self, ctx, expr) -> Optional[Symbol]:
        """The first-party class `expr` constructs or names (`Net(...)`, `models.Net`, `Net`), or None."""
        import libcst as cst

        from torchlint.names import dotted_name

        if isinstance(expr, cst.Call):
            expr = expr.func
        spelled = dotted_name(expr)
        if spelled is None or not self.enabled:
            return None
        root = spelled.split(".", 1)[0]
        bindings = ctx.import_bindings()
        if root not in bindings and "*" not in bindings and S.names_table(ctx)["names"].get(root) != ["def", "class"]:
            return None
        symbol = self.resolve(ctx, spelled)
        return symbol if symbol is not None and symbol.kind == "class" else None

    def mode_status(self, ctx, expr, inference: bool = False) -> Tuple[Optional[bool], str]:
        """For TL601/TL602 (`analysis/modes.py`): does the project class `expr` constructs or names hold a
        mode-dependent layer, across files?  (True, evidence) / (False, "") / (None, "") when unknown.
        `inference`: TL601's narrower question (modules.nn_class_status)."""
        symbol = self.class_of(ctx, expr)
        facts = self.class_facts(symbol, inference) if symbol is not None else None
        if facts is None:
            return None, ""
        return facts["mode_dependent"], facts["evidence"]

    def remote_values(self, ctx, node) -> Optional[Tuple[list, bool]]:
        """What an imported name, or a call of an imported function, holds: ([RemoteValue], open) or None."""
        import libcst as cst

        from torchlint.names import dotted_name

        if not self.enabled:
            return None
        if isinstance(node, cst.Call):
            target = self.call_target(ctx, node)
            if target is None:
                return None
            if target.kind == "class":
                return None
            facts = self.function_facts(target)
            if facts is None:
                return None
            values = self._returned(target, facts, 0, set())
            if not values:
                return None  # nothing we can describe: the caller treats the call as an opaque value
            return [self._remote(v, node, target.path, ctx) for v in values], bool(facts["returns_open"])
        spelled = dotted_name(node)
        if spelled is None:
            return None
        target = self.resolve(ctx, spelled)
        if target is None or target.kind != "value":
            return None
        summary = self.summary(target.path)
        value = summary["values"].get(target.name) if summary else None
        if value is None:
            return None
        values = self._expand(target.path, value, 0, set())
        if not values:
            return None
        return [self._remote(v, node, target.path, ctx) for v in values], False

    def wrapper_value(self, ctx, node) -> Optional[S.RemoteValue]:
        """TL501: the `DataParallel`/`DistributedDataParallel` construction of another first-party file
        that `node` -- an imported name (`from utils import model`) or a call of an imported function
        (`build_model()`, returning the wrapper or wrapping its parameter) -- holds; else None.  Its
        value says `"some": True` when that holds on some paths only (`if n_gpus > 1: model = DP(model)`)."""
        import libcst as cst

        from torchlint.analysis.dataflow import local_assignments
        from torchlint.analysis.facts import param_names
        from torchlint.names import dotted_name

        if not self.enabled or not isinstance(node, (cst.Name, cst.Attribute, cst.Call)):
            return None
        if not isinstance(node, cst.Call):
            spelled = dotted_name(node)
            root = spelled.split(".", 1)[0] if spelled else None
            table = S.names_table(ctx)
            binding = table["names"].get(root) if root else None
            if root is None or not ((binding or [""])[0] in ("import", "module")
                                    or (binding is None and table["stars"] and not ctx.names.is_bound(root))):
                return None  # a local, `self.model`, bound twice at module level: not another file's value
            for scope in ctx.ancestors(node):
                if isinstance(scope, cst.FunctionDef) and (root in param_names(scope)
                                                           or root in local_assignments(ctx, scope)):
                    return None  # a parameter or a local of an enclosing function
                if isinstance(scope, cst.Lambda):
                    return None
        found = self.remote_values(ctx, node)
        if not found or not found[0] or any(v.kind != S.WRAPPER for v in found[0]):
            return None
        first = found[0][0]
        if found[1] or any(v.value.get("some") for v in found[0]):  # other paths may hold anything
            from dataclasses import replace

            return replace(first, value={**first.value, "some": True})
        return first

    def loads_state_dict_into(self, ctx, call, arg) -> Optional[str]:
        """TL402: does the imported first-party function that `call` runs give what `arg` binds to (a
        parameter, or a value of its `**kwargs`) `.load_state_dict()` itself (FUNCTION `"loads_into"`)?
        Where that function is ("utils.py:152"), or None (no, or unknown)."""
        target = self.call_target(ctx, call) if not arg.star else None
        if target is None or target.kind != "function" or "." in target.name:
            return None
        facts = self.function_facts(target)
        loads = (facts or {}).get("loads_into") or []
        if not loads:
            return None
        params = list(facts["params"])
        if arg.keyword is not None:
            bound = arg.keyword.value if arg.keyword.value in params else "**"
        else:
            positional = [a for a in call.args if a.keyword is None]
            index = positional.index(arg)
            if any(a.star for a in positional[:index]) or index >= len(params):
                return None
            bound = params[index]
        return self.where(target, facts["line"], ctx.path) if bound in loads else None

    def _remote(self, value: dict, node, path: str, ctx) -> S.RemoteValue:
        line = value.get("sampler_line") if value.get("k") == S.LOADER else value.get("line")
        line = line if isinstance(line, int) else 1
        return S.RemoteValue(value, node, path, line, self.where(path, line, ctx.path))

    def _returned(self, target: Symbol, facts: dict, depth: int, seen: Set[Symbol]) -> Optional[List[dict]]:
        if target in seen or depth > _MAX_DEPTH:
            return None
        values: List[dict] = []
        for value in facts["returns"]:
            expanded = self._expand(target.path, value, depth if value.get("k") == S.LOADER_OF else depth + 1,
                                    seen | {target})  # fmt: skip
            if expanded is None:
                return None
            values.extend(expanded)
        return values

    def _expand(self, path: str, value: dict, depth: int, seen: Set[Symbol]) -> Optional[List[dict]]:
        """A VALUE with its `call`/`name` references followed into the files they name."""
        kind = value.get("k")
        if kind == S.INSTANCE and value.get("q") is None:  # qualify a same-file class: "models.Net"
            return [{**value, "cls": f"{self.module_name(path)}.{value.get('cls')}", "q": True}]
        if kind in (S.LOADER, S.SAMPLER, S.INSTANCE, S.WRAPPER):
            return [value]
        if kind == S.LOADER_OF:
            return [value] if depth == 0 else None  # its sampler is the caller's argument: one hop only
        if kind == S.TUPLE:
            items = []
            for item in value.get("items", []):
                expanded = self._expand(path, item, depth + 1, seen) if isinstance(item, dict) else None
                items.append(expanded[0] if expanded and len(expanded) == 1 else None)
            return [{"k": S.TUPLE, "items": items}]
        if kind == S.CALL:
            target = self.resolve(path, value.get("f"))
            if target is not None and target.kind == "class":
                return [{"k": S.INSTANCE, "cls": target.qualified, "line": value.get("line", 1), "q": True}]
            if target is None or target.kind != "function":
                return None
            facts = self.function_facts(target)
            return self._returned(target, facts, depth + 1, seen) if facts and not facts["returns_open"] else None
        if kind == S.NAME:
            target = self.resolve(path, value.get("n"))
            if target is None or target.kind != "value" or depth > _MAX_DEPTH:
                return None
            summary = self.summary(target.path)
            inner = summary["values"].get(target.name) if summary else None
            return self._expand(target.path, inner, depth + 1, seen) if inner else None
        return None

    def where(self, symbol_or_path, line: int, relative_to: str = "") -> str:
        path = symbol_or_path.path if isinstance(symbol_or_path, Symbol) else symbol_or_path
        relative_to = relative_to or next(iter(self._contexts), "")
        return S.where(path, line, relative_to)

    # -- TL201 -----------------------------------------------------------------------------------
    def may_set_epoch(self, target: Symbol, loader_params: Set[str], epoch_params: Set[str],
                      depth: int = 0, seen: Optional[Set[Symbol]] = None) -> Optional[bool]:  # fmt: skip
        """Could running `target` (handed the loader in `loader_params` and the epoch in
        `epoch_params`) call `set_epoch`?  True: some function it reaches calls `.set_epoch()`;
        False: none does and nothing it hands both to is unknown; None: cannot tell."""
        seen = set() if seen is None else seen
        if target in seen or depth > _MAX_DEPTH:
            return False if target in seen else None
        seen.add(target)
        facts = self.function_facts(target)
        if facts is None:
            return None
        if facts["sets_epoch"]:
            return True
        verdict: Optional[bool] = False
        class_name = target.name.rsplit(".", 1)[0] if "." in target.name else None
        for spelled, slots, _line in facts["calls"]:
            given = {slot: set(params) for slot, params in slots}
            loader_in = {s for s, p in given.items() if p & loader_params}
            epoch_in = {s for s, p in given.items() if p & epoch_params}
            callee = self._callee(target, class_name, spelled)
            if callee is None or callee.kind != "function":
                if loader_in and (epoch_in or not epoch_params):
                    verdict = None  # an unknown callee handed the loader and the epoch
                continue
            callee_facts = self.function_facts(callee)
            if callee_facts is None:
                if loader_in:
                    verdict = None
                continue
            inner_loader, inner_epoch = self._bind(callee_facts, loader_in), self._bind(callee_facts, epoch_in)
            if "receiver" in loader_in and spelled.startswith("self."):
                inner_loader.add(callee_facts["params"][0] if callee_facts["params"] else "self")
            result = self.may_set_epoch(callee, inner_loader, inner_epoch, depth + 1, seen)
            if result:
                return True
            if result is None and (loader_in or callee_facts["sets_epoch"]):
                verdict = None
        return verdict

    def _callee(self, caller: Symbol, class_name: Optional[str], spelled: str) -> Optional[Symbol]:
        if spelled.startswith("self.") and class_name is not None:
            return self.method(Symbol(caller.path, class_name, "class", caller.module), spelled[5:])
        summary = self.summary(caller.path)
        if summary is not None and spelled in summary["functions"]:
            return Symbol(caller.path, spelled, "function", caller.module)
        return self.resolve(caller.path, spelled)

    @staticmethod
    def _bind(facts: dict, slots: Set) -> Set[str]:
        params = list(facts["params"])
        if facts.get("self") and params:
            params = params[1:]
        bound = set()
        for slot in slots:
            if slot == "*":
                return set(params)  # `f(*args)`: any parameter
            if isinstance(slot, int) and slot < len(params):
                bound.add(params[slot])
            elif isinstance(slot, str) and slot in params:
                bound.add(slot)
        return bound


def _parse(path: str, kept: Optional[Tuple[str, object]] = None):
    """A FileContext for a module file, or None (unreadable, unparsable: unknown, never an error).
    `kept`: (text, Python `ast` of it) from the names' parse: the summary's lines read that tree."""
    from torchlint.context import FileContext
    from torchlint.engine import ParseFailure, parse
    from torchlint.source import SourceError, read_source

    try:
        text = read_source(path).text
        ctx = FileContext(path, text, parse(text))
        if kept is not None and kept[0] == text:  # the file did not change in between
            ctx.python_tree = kept[1]
        return ctx
    except (SourceError, ParseFailure, RecursionError):
        return None
    except Exception:
        return None


def _summarise_safely(ctx) -> Optional[dict]:
    try:
        return S.summarise(ctx)
    except Exception:  # RecursionError included: a summary only adds to what rules may see
        return None


def summarise_text(path: str, text: str) -> Optional[dict]:
    """Parse one module and summarise it; None if it cannot be parsed (unknown, never an error)."""
    from torchlint.context import FileContext
    from torchlint.engine import ParseFailure, parse

    try:
        module = parse(text)
        ctx = FileContext(path, text, module)
        return S.summarise(ctx)
    except ParseFailure:
        return None
    except RecursionError:
        return None
    except Exception:  # a summary is an optimisation of what rules may see: never an error
        return None


EMPTY = Project(enabled=False)
_shared: Dict[Tuple[Tuple[str, ...], Optional[str]], Project] = {}


def shared_project(roots: Sequence[str], cache_dir: Optional[str] = None) -> Project:
    """One Project per process for these roots and cache (workers inherit the parent's when forked)."""
    key = (tuple(roots), cache_dir)
    if key not in _shared:
        from torchlint.cache import Cache

        _shared.clear()
        _shared[key] = Project(roots, cache=Cache(cache_dir) if cache_dir else None)
    return _shared[key]


def project_of(ctx) -> Project:
    """`ctx.project`, or an empty project (every answer None) for a lone text."""
    return getattr(ctx, "project", None) or EMPTY


__all__ = ["EMPTY", "MARKERS", "Project", "Symbol", "content_hash", "find_root", "project_of", "shared_project",
           "summarise_text"]
