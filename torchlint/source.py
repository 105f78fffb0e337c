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


def read_source(path: str) -> SourceFile:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise SourceError(f"cannot read file: {exc.strerror or exc}") from None
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
