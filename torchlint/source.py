"""Reading and writing Python source files without changing what we did not mean to change.

A file is decoded the way Python itself would decode it (PEP 263 coding cookie, UTF-8
BOM), and written back with the same encoding and BOM.  libcst keeps line endings and
formatting, so the round trip of an unfixed file is byte-for-byte identical.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import io
import os
import re
import stat
import tempfile
import tokenize
from dataclasses import dataclass
from typing import List, Optional

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the content check still runs
    fcntl = None  # type: ignore[assignment]

DEFAULT_MAX_FILE_SIZE = 5_000_000  # bytes: beyond this, libcst's time and memory explode


class SourceError(Exception):
    """The file cannot be analysed (unreadable, undecodable, or not Python)."""


class SourceChanged(SourceError):
    """The file changed on disk since it was read: writing now would lose that edit."""


@dataclass
class SourceFile:
    path: str
    text: str
    encoding: str
    has_bom: bool
    digest: bytes = b""  # sha256 of the bytes read (set by read_source): what a fix may replace

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.has_bom else data


def decode_source(path: str, data: bytes) -> SourceFile:
    if b"\0" in data:
        raise SourceError("file contains a null byte")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"bad encoding declaration: {exc}") from None
    has_bom = encoding == "utf-8-sig"
    if has_bom:
        encoding = "utf-8"
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"cannot decode as {encoding}: {exc}") from None
    return SourceFile(path=path, text=text, encoding=encoding, has_bom=has_bom)


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+$")


def split_lines(text: str) -> List[str]:
    """`text.splitlines(keepends=True)`, but only \n, \r\n and \r end a line (as for Python's tokenizer
    and libcst): form feeds, \x1c-\x1e and U+2028/U+2029 are characters of their line."""
    return _LINE.findall(text)


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count} bytes"


def read_source(path: str, max_size: int = DEFAULT_MAX_FILE_SIZE) -> SourceFile:
    """Read and decode `path`: only a regular file (or a symlink to one), at most `max_size` bytes (0: any)."""
    try:
        info = os.stat(path)  # follows symlinks: a link to a regular file is fine
        if not stat.S_ISREG(info.st_mode):
            raise SourceError("not a regular file")  # a FIFO blocks, /dev/zero never ends
        too_big = f"skipped: the file is over the max-file-size of {_size(max_size)}"
        if max_size and info.st_size > max_size:
            raise SourceError(too_big)
        with open(path, "rb") as handle:
            data = handle.read(max_size + 1) if max_size else handle.read()
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
    if max_size and len(data) > max_size:  # it grew after the stat
        raise SourceError(too_big)
    source = decode_source(path, data)
    source.digest = hashlib.sha256(data).digest()
    return source


def write_atomically(path: str, data: bytes, expected: Optional[SourceFile] = None) -> None:
    """Replace `path` with `data` so that readers see either the old or the new file.

    With `expected` (what was read and fixed), only if the file still holds exactly those
    bytes (SourceChanged otherwise: an edit saved meanwhile must not be lost), only if the
    user may write it (SourceError: read-only), keeping owner, group and mode.  A file with
    several hard links is rewritten in place, under the same inode, so that every link sees
    the fix (not atomic, but never splits the links).
    """
    path = os.path.realpath(path)  # write through a symlink, do not replace it
    info = os.stat(path)
    if expected is not None:
        if not stat.S_IMODE(info.st_mode) & 0o222 or not os.access(path, os.W_OK):
            raise SourceError("the file is read-only; not rewritten")
        if info.st_nlink > 1:
            return _write_in_place(path, data, expected.digest)
    directory = os.path.dirname(path)
    fd, tmp_path = tempfile.mkstemp(prefix=".torchlint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_path, stat.S_IMODE(info.st_mode))
        if expected is not None:
            _keep_owner(tmp_path, info)
            with _locked(path) as current:  # two torchlint runs fixing one file take turns here
                replaced = os.fstat(current.fileno()).st_ino != os.stat(path).st_ino  # by whoever held the lock
                if replaced or _digest(current) != expected.digest:
                    raise SourceChanged("the file changed while it was being fixed; not rewritten")
                os.replace(tmp_path, path)
        else:
            os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise


def _digest(handle) -> bytes:
    handle.seek(0)
    return hashlib.sha256(handle.read()).digest()


@contextlib.contextmanager
def _locked(path: str):
    with open(path, "rb") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield handle  # the lock goes with the handle (on the replaced inode)


def _keep_owner(tmp_path: str, info: os.stat_result) -> None:
    if not hasattr(os, "chown"):
        return
    mine = os.stat(tmp_path)
    if (mine.st_uid, mine.st_gid) != (info.st_uid, info.st_gid):
        try:
            os.chown(tmp_path, info.st_uid, info.st_gid)
        except OSError:
            raise SourceError("cannot keep the file's owner and group; not rewritten") from None


def _write_in_place(path: str, data: bytes, digest: bytes) -> None:
    with open(path, "r+b") as handle:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        if _digest(handle) != digest:
            raise SourceChanged("the file changed while it was being fixed; not rewritten")
        handle.seek(0)
        handle.write(data)
        handle.truncate()
        handle.flush()
        os.fsync(handle.fileno())
