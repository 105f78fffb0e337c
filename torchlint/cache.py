"""The content cache: module summaries and per-file findings, in `.torchlint_cache/` at the project root.

Layout (ruff's habits, mypy's keys)::

    .torchlint_cache/
      .gitignore  CACHEDIR.TAG
      <torchlint version>-<format>/
        summaries/<ab>/<sha256 of the module text>.json     # one file per summary
        findings/<settings key>.json                         # one pack per (rules, settings, torchlint code)

- A summary depends only on its module's text: keyed by the text's hash (the version is in the folder).
- A file's findings are valid while its text hash is the same *and* every file the analysis consulted
  (`deps`: path -> content hash, or None for a path that did not exist; `LISTING + root` -> a digest of
  the root's Python-file listing, `python_files`, when the analysis asked who calls the file) still
  hashes the same; the
  pack is keyed by the enabled rules, the settings, and a fingerprint of torchlint's own code.
- Writes go to a temporary file in the same folder and are renamed into place (atomic); two runs that
  share the cache at worst each keep their own pack (the last rename wins; both are valid).  Packs are
  merged with what is on disk right before writing.
- Bounded: at most MAX_SUMMARIES summary files and MAX_PACKS packs (oldest evicted), MAX_ENTRIES files
  per pack (entries not seen for longest evicted first).
- Anything unreadable, of another format, or of an unexpected shape is ignored (treated as absent).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import tempfile
import time
from dataclasses import fields
from typing import Dict, Iterable, List, Optional

from torchlint import __version__

FORMAT = 1
DEFAULT_DIR = ".torchlint_cache"
ENV_VAR = "TORCHLINT_CACHE_DIR"
MAX_SUMMARIES = 50_000
MAX_PACKS = 8
MAX_ENTRIES = 100_000
_GITIGNORE = "# Automatically created by torchlint.\n*\n"
_CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                 "# This file is a cache directory tag created by torchlint.\n")


LISTING = "listing:"  # a dependency key `listing:<root>`: which Python files are under the root
MAX_LISTED = 5000  # files under one root the project model's caller index reads; above that: unknown


def python_files(root: str, limit: int = MAX_LISTED) -> Optional[List[str]]:
    """The Python files under `root` (default excludes and dot-folders skipped), in walk order, or None
    when there are more than `limit`.  The project model's caller index (`Project.project_files`) and the
    findings cache's `LISTING` check both read this one definition."""
    from torchlint.discovery import PYTHON_SUFFIXES, is_default_excluded_name

    files: List[str] = []
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not is_default_excluded_name(d) and not d.startswith("."))
        files.extend(os.path.join(directory, n) for n in sorted(names) if n.endswith(PYTHON_SUFFIXES))
        if len(files) > limit:
            return None
    return files


def listing_digest(files: Optional[List[str]]) -> Optional[str]:
    """What a `LISTING` dependency records: a hash of the sorted listing (None: too big to list)."""
    if files is None:
        return None
    return hashlib.sha256("\n".join(sorted(files)).encode("utf-8", "surrogateescape")).hexdigest()


def default_directory(root: str, option: Optional[str] = None) -> str:
    """`--cache-dir`, else $TORCHLINT_CACHE_DIR, else `<project root>/.torchlint_cache`."""
    return option or os.environ.get(ENV_VAR) or os.path.join(root, DEFAULT_DIR)


_UMASK = os.umask(0)
os.umask(_UMASK)


def _write_atomically(path: str, data: bytes) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes 0600; a cache is as readable as the checkout
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _read_json(path: str):
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read())
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return None


_fingerprint: Optional[str] = None


def code_fingerprint() -> str:
    """torchlint's version plus the size and mtime of its own modules and tables (a dev checkout changes)."""
    global _fingerprint
    if _fingerprint is None:
        import torchlint

        digest = hashlib.sha256(__version__.encode())
        for base in list(getattr(torchlint, "__path__", [])):
            for folder, dirs, files in os.walk(base):
                dirs[:] = sorted(d for d in dirs if d not in ("__pycache__", "tests"))
                for name in sorted(files):
                    if name.endswith((".py", ".json")):
                        try:
                            stat = os.stat(os.path.join(folder, name))
                        except OSError:
                            continue
                        digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        _fingerprint = digest.hexdigest()[:16]
    return _fingerprint


def settings_key(settings) -> str:
    """The findings pack for these settings (any JSON-serialisable description) and this torchlint code."""
    text = json.dumps([FORMAT, __version__, code_fingerprint(), settings], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class Cache:
    def __init__(self, directory: str) -> None:
        self.directory = os.path.abspath(directory)
        self.base = os.path.join(self.directory, f"{__version__}-{FORMAT}")
        self._ready = False
        self.writable = True
        self.summary_writes = 0

    def _ensure(self) -> bool:
        if self._ready or not self.writable:
            return self.writable
        try:
            os.makedirs(self.base, exist_ok=True)
            for name, text in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _CACHEDIR_TAG)):
                path = os.path.join(self.directory, name)
                if not os.path.exists(path):
                    _write_atomically(path, text.encode())
            self._ready = True
        except OSError:
            self.writable = False  # a read-only checkout: run without writing
        return self.writable

    # -- summaries ----------------------------------------------------------------------------
    def _summary_path(self, digest: str) -> str:
        return os.path.join(self.base, "summaries", digest[:2], f"{digest}.json")

    def get_summary(self, digest: str) -> Optional[dict]:
        from torchlint.analysis.summaries_ast import valid

        if not _is_digest(digest):
            return None
        data = _read_json(self._summary_path(digest))
        return data if valid(data) else None

    def put_summary(self, digest: str, summary: dict) -> None:
        if not _is_digest(digest) or not self._ensure():
            return
        try:
            _write_atomically(self._summary_path(digest), json.dumps(summary, separators=(",", ":")).encode())
            self.summary_writes += 1
        except (OSError, TypeError, ValueError):
            pass

    def get_names(self, digest: str) -> Optional[dict]:
        """A module's bindings table (summaries.names_table), cached apart from its full summary."""
        if not _is_digest(digest):
            return None
        data = _read_json(self._summary_path(digest)[: -len(".json")] + ".names.json")
        if not isinstance(data, dict) or data.get("v") != _names_version():
            return None
        table = data.get("table")
        ok = isinstance(table, dict) and isinstance(table.get("names"), dict) and isinstance(table.get("stars"), list)
        return table if ok else None

    def put_names(self, digest: str, table: dict) -> None:
        if not _is_digest(digest) or not self._ensure():
            return
        path = self._summary_path(digest)[: -len(".json")] + ".names.json"
        try:
            _write_atomically(path, json.dumps({"v": _names_version(), "table": table}, separators=(",", ":")).encode())
        except (OSError, TypeError, ValueError):
            pass

    # -- findings -----------------------------------------------------------------------------
    def _pack_path(self, key: str) -> str:
        return os.path.join(self.base, "findings", f"{key}.json")

    def load_findings(self, key: str) -> Dict[str, dict]:
        """path -> {"hash", "deps", "findings", "seen"}; entries of an unexpected shape are dropped."""
        data = _read_json(self._pack_path(key))
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
            return {}
        return {p: e for p, e in data["files"].items() if _valid_entry(e)}

    def save_findings(self, key: str, updates: Dict[str, dict]) -> None:
        if not updates or not self._ensure():
            return
        path = self._pack_path(key)
        entries = self.load_findings(key)  # merge with what another run may have written meanwhile
        entries.update(updates)
        if len(entries) > MAX_ENTRIES:
            keep = sorted(entries, key=lambda p: entries[p].get("seen", 0), reverse=True)[:MAX_ENTRIES]
            entries = {p: entries[p] for p in keep}
        try:
            _write_atomically(path, json.dumps({"format": FORMAT, "files": entries}, separators=(",", ":")).encode())
        except (OSError, TypeError, ValueError):
            return
        self.evict()

    # -- bounds -------------------------------------------------------------------------------
    def evict(self) -> None:
        """Keep at most MAX_PACKS packs and MAX_SUMMARIES summaries (oldest first out)."""
        try:
            packs = _files_by_age(os.path.join(self.base, "findings"))
            for old in packs[:-MAX_PACKS]:
                os.unlink(old)
            summaries_dir = os.path.join(self.base, "summaries")
            count = sum(len(files) for _, _, files in os.walk(summaries_dir))
            if count > MAX_SUMMARIES:
                every = [os.path.join(folder, f) for folder, _, files in os.walk(summaries_dir) for f in files]
                every.sort(key=_mtime)
                for old in every[: count - MAX_SUMMARIES * 9 // 10]:
                    os.unlink(old)
        except OSError:
            pass


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def _files_by_age(folder: str) -> List[str]:
    try:
        names = [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".json")]
    except OSError:
        return []
    return sorted(names, key=_mtime)


def _names_version() -> int:
    from torchlint.analysis.summaries_ast import SUMMARY_VERSION

    return SUMMARY_VERSION


def _is_digest(digest) -> bool:
    return isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)


def _valid_entry(entry) -> bool:
    return (isinstance(entry, dict) and _is_digest(entry.get("hash")) and isinstance(entry.get("deps"), dict)
            and isinstance(entry.get("findings"), list))  # fmt: skip


# -- findings as plain data -------------------------------------------------------------------
def finding_to_data(finding) -> dict:
    data = {}
    for f in fields(finding):
        value = getattr(finding, f.name)
        if f.name == "fix" and value is not None:
            value = {"applicability": value.applicability, "description": value.description}
        elif f.name == "related":
            value = [{"path": r.path, "line": r.line, "message": r.message} for r in value]
        data[f.name] = value
    return data


def finding_from_data(data):
    """A Finding from cached data, or None when the data does not fit this torchlint's Finding."""
    from torchlint.findings import Finding, FixInfo, Related

    if not isinstance(data, dict):
        return None
    known = {f.name for f in fields(Finding)}
    try:
        values = {k: v for k, v in data.items() if k in known}
        if values.get("fix") is not None:
            values["fix"] = FixInfo(**values["fix"])
        if "related" in values:
            values["related"] = tuple(Related(**r) for r in values["related"])
        return Finding(**values)
    except (TypeError, ValueError):
        return None


def findings_from_entry(entry: dict) -> Optional[list]:
    found = []
    for data in entry["findings"]:
        finding = finding_from_data(data)
        if finding is None:
            return None  # written by a torchlint whose findings looked different: re-lint
        found.append(finding)
    return found


def entry(digest: str, deps: Dict[str, Optional[str]], findings: Iterable) -> dict:
    return {"hash": digest, "deps": deps, "findings": [finding_to_data(f) for f in findings], "seen": time.time()}


# -- one run ----------------------------------------------------------------------------------
class RunCache:
    """The cache as one CLI run uses it: hashes every path, serves unchanged files, stores the rest."""

    def __init__(self, cache: Cache, settings, paths) -> None:
        self.cache = cache
        self.key = settings_key(settings)
        self.hashes: Dict[str, Optional[str]] = {}  # abspath -> content hash (None: unreadable)
        self.absolute = {path: os.path.abspath(path) for path in paths}
        for full in self.absolute.values():
            self.hashes[full] = _hash_file(full)
        self._dirs: Dict[str, bool] = {}
        self._listings: Dict[str, Optional[str]] = {}  # LISTING dependency -> digest, computed once per run
        self.entries = cache.load_findings(self.key)
        self.hits: Dict[str, list] = {}
        for path, full in self.absolute.items():
            found = self._valid(full)
            if found is not None:
                self.hits[path] = [_with_path(f, path) for f in found]

    def _current(self, dep: str) -> Optional[str]:
        if dep.startswith(LISTING):
            if dep not in self._listings:
                self._listings[dep] = listing_digest(python_files(dep[len(LISTING):]))
            return self._listings[dep]
        if dep.endswith(os.sep):
            folder = dep[:-1]
            if folder not in self._dirs:
                self._dirs[folder] = os.path.isdir(folder)
            return "" if self._dirs[folder] else None
        if dep not in self.hashes:
            self.hashes[dep] = _hash_file(dep) if os.path.isfile(dep) else None
        return self.hashes[dep]

    def _valid(self, full: str) -> Optional[list]:
        entry = self.entries.get(full)
        digest = self.hashes.get(full)
        if entry is None or digest is None or entry["hash"] != digest:
            return None
        deps = entry["deps"]
        for dep in sorted(deps, key=lambda d: isinstance(d, str) and d.startswith(LISTING)):  # a walk last
            if not isinstance(dep, str) or self._current(dep) != deps[dep]:
                return None
        return findings_from_entry(entry)

    @property
    def misses(self) -> List[str]:
        return [path for path in self.absolute if path not in self.hits]

    def store(self, results) -> None:
        """Remember the findings of freshly linted files (not those a crash or timeout cut short)."""
        from torchlint.runner import is_transient

        updates = {}
        for result in results:
            full = self.absolute.get(result.path)
            digest = self.hashes.get(full) if full else None
            deps = getattr(result, "deps", None)
            if digest is None or deps is None or any(is_transient(f) for f in result.findings):
                continue
            updates[full] = entry(digest, deps, result.findings)
        self.cache.save_findings(self.key, updates)


def _hash_file(path: str) -> Optional[str]:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block, /dev/zero never end (issue 14)
            return None
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def _with_path(finding, path: str):
    if finding.path == path:
        return finding
    from dataclasses import replace

    return replace(finding, path=path)


__all__ = ["Cache", "RunCache", "DEFAULT_DIR", "ENV_VAR", "code_fingerprint", "default_directory", "entry",
           "finding_from_data", "finding_to_data", "findings_from_entry", "settings_key"]  # fmt: skip
