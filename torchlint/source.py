"""Reading and writing Python source files without changing what we did not mean to change.

A file is decoded the way Python itself would decode it (PEP 263 coding cookie, UTF-8
BOM), and written back with the same encoding and BOM.  libcst keeps line endings and
formatting, so the round trip of an unfixed file is byte-for-byte identical.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import tempfile
import tokenize
from dataclasses import dataclass

DEFAULT_MAX_FILE_SIZE = 5_000_000  # bytes: beyond this, libcst's time and memory explode


class SourceError(Exception):
    """The file cannot be analysed (unreadable, undecodable, or not Python)."""


@dataclass
class SourceFile:
    path: str
    text: str
    encoding: str
    has_bom: bool

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
    return decode_source(path, data)


def write_atomically(path: str, data: bytes) -> None:
    """Replace `path` with `data` so that readers see either the old or the new file."""
    path = os.path.realpath(path)  # write through a symlink, do not replace it
    directory = os.path.dirname(path)
    mode = stat.S_IMODE(os.stat(path).st_mode)
    fd, tmp_path = tempfile.mkstemp(prefix=".torchlint-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, path)
    except BaseException:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
        raise
