"""The legacy ``generated/`` tree on disk: where its files are, reading them safely, writing them atomically.

The old app wrote files in place (``open(path, "w")``), so a reader could catch a file empty or
half-written (FORMAT.md, "Job files"). Injaaz writes through ``atomic_write_json``: a temporary
file in the same folder, flushed and fsynced, then ``os.replace`` — a reader sees the old file or
the new one, never a part. ``read_json_file`` turns every way a file can be unreadable into a
``LegacyFormatError`` whose message says why.

A tree is whatever the old app's host left behind, so entries may be anything: links that loop,
named pipes, sockets, devices. ``read_regular_file`` and ``open_regular_file`` never block on one
(``O_NONBLOCK``) and read only regular files (checked on the open descriptor, so an entry swapped
after it was listed is caught too); ``entry_problem`` says why an entry is not one to read.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from submissions.legacy.records import LegacyFormatError

# The old app wrote a few KB per submission; a file far beyond that is not one of its documents.
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
TEMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class LegacyTree:
    """Paths of one legacy tree: ``submissions/sub_*.json``, ``jobs/job_*.json``, ``uploads/``, ``drafts/``."""

    root: Path

    @property
    def submissions_dir(self) -> Path:
        return self.root / "submissions"

    @property
    def jobs_dir(self) -> Path:
        return self.root / "jobs"

    @property
    def uploads_dir(self) -> Path:
        return self.root / "uploads"

    @property
    def drafts_dir(self) -> Path:
        return self.root / "drafts"

    def submission_path(self, submission_id: str) -> Path:
        return self.submissions_dir / f"{submission_id}.json"

    def job_path(self, job_id: str) -> Path:
        return self.jobs_dir / f"{job_id}.json"

    def upload_path_for_url(self, url: str) -> Path | None:
        """The local file behind a ``/generated/uploads/<name>`` URL, if the URL has that form.

        Only a plain file name directly in ``uploads/`` is accepted: no sub-folders, no ``..``.
        """
        prefix = "/generated/uploads/"
        if not url.startswith(prefix):
            return None
        name = url[len(prefix) :]
        if not name or "/" in name or "\\" in name or name in {".", ".."}:
            return None
        return self.uploads_dir / name

    def submission_files(self) -> Iterator[Path]:
        """Every entry of ``submissions/``, sorted by name (a resumable order)."""
        yield from _sorted_entries(self.submissions_dir)

    def job_files(self) -> Iterator[Path]:
        yield from _sorted_entries(self.jobs_dir)


def _sorted_entries(folder: Path) -> Iterator[Path]:
    if not folder.is_dir():
        return
    names = sorted(entry.name for entry in os.scandir(folder))
    for name in names:
        yield folder / name


# --- Reading tree entries safely -------------------------------------------------------------

_OPEN_FLAGS = os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK  # opening a named pipe must not wait for a writer


def file_type_problem(mode: int) -> str | None:
    """Why an entry of this ``st_mode`` is not a file to read; ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        kind = "a named pipe"
    elif stat.S_ISSOCK(mode):
        kind = "a socket"
    elif stat.S_ISCHR(mode):
        kind = "a character device"
    elif stat.S_ISBLK(mode):
        kind = "a block device"
    else:
        kind = "of an unknown type"
    return f"not a regular file ({kind})"


def os_error_problem(error: OSError) -> str:
    """Why an entry could not be looked at or opened, in the words the reports use."""
    if error.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if error.errno == errno.ENOENT:
        return "file not found (removed during the run, or a broken link)"
    return f"cannot be read: {error.strerror or error}"


def entry_problem(path: str | Path) -> str | None:
    """Why the entry at ``path`` (links followed) is not a regular file to read, without opening it."""
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        return os_error_problem(error)
    return file_type_problem(mode)


def read_regular_file(path: str | Path, *, max_bytes: int) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file (at most ``max_bytes``) and its ``fstat``; raises ``LegacyFormatError``.

    ``os.open``/``os.read`` rather than ``open()``: the importer reads every file of the tree this
    way, and a file object costs a few microseconds more per file.
    """
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise LegacyFormatError(os_error_problem(error)) from error
    try:
        status = os.fstat(descriptor)
        problem = file_type_problem(status.st_mode)
        if problem is not None:
            raise LegacyFormatError(problem)
        if status.st_size > max_bytes:
            raise LegacyFormatError(f"file is {status.st_size} bytes, over the {max_bytes}-byte size cap")
        raw = os.read(descriptor, status.st_size + 1)  # not max_bytes + 1: that much would be allocated
    except OSError as error:
        raise LegacyFormatError(os_error_problem(error)) from error
    finally:
        os.close(descriptor)
    if len(raw) > max_bytes:
        raise LegacyFormatError(f"file grew over the {max_bytes}-byte size cap while being read")
    return raw, status


class NotARegularFileError(LegacyFormatError):
    """The entry is a directory, a named pipe, a socket or a device (or a link, when links are refused)."""


def open_regular_file(path: str | Path, *, follow_symlinks: bool = True) -> BinaryIO:
    """A binary file object for a regular file, opened without blocking.

    Raises ``NotARegularFileError`` for any other kind of entry (with ``follow_symlinks=False``, a
    link too), and ``OSError`` as ``open()`` would (a missing file, a link loop, an I/O error).
    """
    flags = _OPEN_FLAGS if follow_symlinks else _OPEN_FLAGS | os.O_NOFOLLOW
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if not follow_symlinks and error.errno == errno.ELOOP and os.path.islink(path):
            raise NotARegularFileError("is a symbolic link") from error
        raise
    try:
        problem = file_type_problem(os.fstat(descriptor).st_mode)
    except BaseException:
        os.close(descriptor)
        raise
    if problem is not None:
        os.close(descriptor)
        raise NotARegularFileError(problem)
    return os.fdopen(descriptor, "rb")


def describe_json_error(text: str, error: json.JSONDecodeError) -> str:
    # An unterminated string runs to the end of the text: the file was cut off mid-string.
    if error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated string"):
        return f"truncated JSON: the document ends early (line {error.lineno}, column {error.colno})"
    return f"invalid JSON: {error.msg} at line {error.lineno}, column {error.colno}"


_decode = msgspec.json.Decoder().decode


def parse_json_bytes(raw: bytes) -> dict[str, Any]:
    """Parse a legacy file's bytes into a JSON object, or raise ``LegacyFormatError`` saying why.

    Python's ``json`` module decides what a document is. msgspec parses the bytes first, without
    decoding them to text, about twice as fast. It gives the same objects for every document it
    accepts: keys in order, the last duplicate wins, integers of any size. What it refuses goes
    through ``json`` as before. Python accepts a few things msgspec does not (``NaN``,
    ``Infinity``, unpaired surrogate escapes), and ``json`` also gives the message for a bad file.
    """
    try:
        document = _decode(raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw)
    except (msgspec.DecodeError, RecursionError):
        return _parse_json_text(raw)
    if not isinstance(document, dict):
        raise LegacyFormatError(f"JSON is {_json_kind(document)}, not an object")
    return document


def _parse_json_text(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise LegacyFormatError("empty file" if not raw else "file holds only whitespace")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LegacyFormatError(f"not valid UTF-8: byte 0x{raw[error.start]:02x} at offset {error.start}") from error
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise LegacyFormatError(describe_json_error(text, error)) from error
    except RecursionError as error:
        raise LegacyFormatError("invalid JSON: nested too deeply") from error
    if not isinstance(document, dict):
        raise LegacyFormatError(f"JSON is {_json_kind(document)}, not an object")
    return document


def read_json_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Read one legacy JSON file. Raises ``LegacyFormatError`` (with the reason) for any bad file."""
    raw, _ = read_regular_file(path, max_bytes=max_bytes)
    return parse_json_bytes(raw)


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return type(value).__name__


def dump_document(document: dict[str, Any], *, indent: int | None = 2) -> bytes:
    """Serialise as the old app did: ``json.dump`` with ``ensure_ascii=True``."""
    return json.dumps(document, indent=indent, ensure_ascii=True).encode("ascii")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old content or the new, never a part."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_directory(folder)


def atomic_write_json(path: Path, document: dict[str, Any], *, indent: int | None = 2) -> None:
    atomic_write_bytes(path, dump_document(document, indent=indent))


def _fsync_directory(folder: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
