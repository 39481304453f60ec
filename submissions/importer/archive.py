"""``archive_json``: the legacy tree into a dated ``tar.gz``, checked, then removed (phase 5).

Order of work, each step only if the previous one succeeded:
1. ``verify`` the tree against the database; refuse while records are missing from the database
   (or differ from it), unless forced;
2. write ``<output>/generated-<UTC timestamp>.tar.gz`` (through a ``.part`` file renamed at the
   end), hashing every file as it is added: regular files only, paths relative to the tree (links,
   named pipes, sockets and devices are listed as not archived, with the reason, and left alone;
   no file is opened in a way that could block or follow a link);
3. read the archive back and check that it holds exactly those files with those hashes;
4. remove the archived files (``--keep`` keeps them), each only if its content is still what was
   archived: a file changed meanwhile (dual-write still running, say) is kept and reported.
   Folders stay, so the legacy store's layout survives.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

from submissions.legacy.files import NotARegularFileError, file_type_problem, open_regular_file, os_error_problem

CHUNK = 1 << 20


class ArchiveError(RuntimeError):
    pass


@dataclass
class ArchiveSummary:
    tree: str
    archive: str = ""
    files: int = 0
    bytes: int = 0
    verified: int = 0
    removed: int = 0
    kept_changed: list[str] = field(default_factory=list)
    not_archived: list[tuple[str, str]] = field(default_factory=list)  # (path in the tree, why), left in place
    dry_run: bool = False
    kept: bool = False
    forced: bool = False


def _hash_file(path: Path) -> str | None:
    """The hash of the regular file at ``path``; ``None`` when it is no longer one (or is gone)."""
    digest = hashlib.sha256()
    try:
        with open_regular_file(path, follow_symlinks=False) as handle:
            while block := handle.read(CHUNK):
                digest.update(block)
    except (NotARegularFileError, FileNotFoundError):
        return None
    return digest.hexdigest()


class _HashingReader:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        block = self.handle.read(size)
        self.digest.update(block)
        return block


class TreeFile(NamedTuple):
    path: Path
    size: int


def _not_archived(path: Path, mode: int) -> str:
    """Why an entry that is not a regular file (by ``lstat``) is left out of the archive."""
    if not stat.S_ISLNK(mode):
        return file_type_problem(mode) or "not a regular file"
    try:
        os.stat(path)
    except OSError as error:  # it loops, or leads nowhere
        return os_error_problem(error)
    return "a symbolic link (not followed)"


def tree_files(root: Path) -> tuple[list[TreeFile], list[tuple[str, str]]]:
    """Every regular file of the tree, sorted, and the entries that are not (path in the tree, why).

    Hidden names are Injaaz's own staged and temporary files, not records: left out silently.
    Folders are walked, not followed when they are links.
    """
    found: list[TreeFile] = []
    skipped: list[tuple[str, str]] = []
    for folder, directories, names in os.walk(root):
        directories.sort()
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            try:
                status = os.lstat(path)
            except OSError as error:
                skipped.append((path.relative_to(root).as_posix(), os_error_problem(error)))
                continue
            if stat.S_ISREG(status.st_mode):
                found.append(TreeFile(path, status.st_size))
            else:
                skipped.append((path.relative_to(root).as_posix(), _not_archived(path, status.st_mode)))
    return found, skipped


def archive_tree(
    root: Path, output: Path, *, keep: bool = False, dry_run: bool = False, now: dt.datetime | None = None
) -> ArchiveSummary:
    root = Path(root)
    summary = ArchiveSummary(tree=str(root), dry_run=dry_run, kept=keep)
    listed, summary.not_archived = tree_files(root)
    files = [entry.path for entry in listed]
    summary.files = len(files)
    summary.bytes = sum(entry.size for entry in listed)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d-%H%M%S")
    target = Path(output) / f"{root.name or 'generated'}-{stamp}.tar.gz"
    summary.archive = str(target)
    if dry_run:
        return summary
    if target.exists():
        raise ArchiveError(f"{target} already exists")
    Path(output).mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    hashes: dict[str, str] = {}
    with tarfile.open(partial, "w:gz") as archive:
        for path in files:
            name = path.relative_to(root).as_posix()
            try:
                handle = open_regular_file(path, follow_symlinks=False)
            except (NotARegularFileError, OSError) as error:
                raise ArchiveError(f"{name} changed while it was being archived: {error}") from error
            with handle:
                info = archive.gettarinfo(arcname=name, fileobj=handle)
                reader = _HashingReader(handle)
                archive.addfile(info, reader)  # the hash is of exactly the bytes archived
            hashes[name] = reader.digest.hexdigest()
    # Read it back: the same files, the same bytes.
    found: dict[str, str] = {}
    with tarfile.open(partial, "r:gz") as archive:
        for member in archive:
            if not member.isfile():
                raise ArchiveError(f"unexpected member {member.name!r} in {partial}")
            extracted = archive.extractfile(member)
            if extracted is None:
                raise ArchiveError(f"cannot read {member.name!r} back from {partial}")
            digest = hashlib.sha256()
            while block := extracted.read(CHUNK):
                digest.update(block)
            found[member.name] = digest.hexdigest()
    if found != hashes:
        missing = sorted(set(hashes) - set(found))
        differing = sorted(name for name in hashes if name in found and found[name] != hashes[name])
        raise ArchiveError(
            f"{partial} does not hold what was written (missing {missing[:5]}, differing {differing[:5]})"
        )
    summary.verified = len(found)
    os.replace(partial, target)
    if keep:
        return summary
    for path in files:
        name = path.relative_to(root).as_posix()
        if not os.path.lexists(path):
            continue  # removed meanwhile
        if _hash_file(path) != hashes[name]:  # changed, or no longer a regular file
            summary.kept_changed.append(name)
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        summary.removed += 1
    return summary
