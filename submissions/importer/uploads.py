"""``import_json --copy-uploads``: files that only the legacy tree holds, copied into storage.

Two kinds of ``uploaded_files`` rows point at nothing that survives ``archive_json``:
- local-fallback uploads, ``/generated/uploads/<name>``: the file is copied from the tree's
  ``uploads/`` to ``legacy/uploads/<name>`` in the default storage;
- data-URL signatures (``embedded:sha256:<hash>``, see ``refs``): the signature is decoded from
  the submission's ``form_data`` into ``legacy/signatures/<hash>.<ext>``.
Each row then points at the stored file's URL, and ``legacy_upload_copies`` records the copy.
It works on the database, not on the files being imported, so it also catches rows imported by
an earlier run without the option. Runs in batches, one transaction each; a second run finds
nothing left to do.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q

from submissions.importer.models import LegacyUploadCopy
from submissions.importer.refs import EMBEDDED_PREFIX, LOCAL_PREFIX, data_url_extension, embedded_marker
from submissions.legacy.files import LegacyTree, NotARegularFileError, open_regular_file
from submissions.legacy.normalize import normalize_submission
from submissions.legacy.records import LegacyFormatError
from submissions.models import UploadedFile

BATCH = 500


@dataclass
class CopySummary:
    copied: int = 0
    reused: int = 0
    missing: int = 0

    def line(self) -> str:
        return f"Uploads: {self.copied} copied into storage, {self.reused} already there, {self.missing} missing"


def _store(name: str, content: bytes) -> tuple[str, str]:
    """Save ``content`` under ``name`` unless a file is already there; (storage name, URL)."""
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(content))
    return name, default_storage.url(name)


def _point(row: UploadedFile, url: str, size: int | None) -> None:
    duplicate = UploadedFile.objects.filter(submission=row.submission, cloudinary_url=url).exclude(pk=row.pk)
    if row.submission is not None and duplicate.exists():
        row.delete()  # the submission already references the stored file
        return
    row.cloudinary_url = url
    row.file_size = size if size is not None else row.file_size
    row.save(update_fields=["cloudinary_url", "file_size"])


def _copy_local(row: UploadedFile, tree: LegacyTree, summary: CopySummary, report: Callable[[str, str], None]) -> None:
    legacy_ref = row.cloudinary_url
    copy = LegacyUploadCopy.objects.filter(legacy_ref=legacy_ref).first()
    if copy is not None:
        summary.reused += 1
        _point(row, copy.url, copy.size)
        return
    source = tree.upload_path_for_url(legacy_ref)
    real_root = os.path.realpath(tree.root)
    content = None
    if source is not None and os.path.realpath(source).startswith(real_root + os.sep):
        try:
            with open_regular_file(source) as handle:  # a named pipe must not block the import
                content = handle.read()
        except (NotARegularFileError, OSError):
            content = None
    if source is None or content is None:
        summary.missing += 1
        report(f"uploads/{legacy_ref.removeprefix(LOCAL_PREFIX)}", "upload missing from uploads/: row keeps its URL")
        return
    name, url = _store(f"legacy/uploads/{source.name}", content)
    LegacyUploadCopy.objects.create(legacy_ref=legacy_ref, storage_name=name, url=url, size=len(content))
    summary.copied += 1
    _point(row, url, len(content))


def _copy_embedded(row: UploadedFile, summary: CopySummary, report: Callable[[str, str], None]) -> None:
    marker = row.cloudinary_url
    copy = LegacyUploadCopy.objects.filter(legacy_ref=marker).first()
    if copy is not None:
        summary.reused += 1
        _point(row, copy.url, copy.size)
        return
    submission = row.submission
    data_url = None
    if submission is not None:
        try:
            record = normalize_submission(submission.form_data)
        except LegacyFormatError:
            record = None
        for signature in record.signatures if record else []:
            if signature.is_data_url and embedded_marker(signature.value) == marker:
                data_url = signature.value
                break
    label = f"submissions/{submission.submission_id}.json" if submission else marker
    if data_url is None:
        summary.missing += 1
        report(label, f"signature {marker} not found in the submission's form_data: row kept")
        return
    try:
        content = base64.b64decode(data_url.split(",", 1)[1], validate=False)
    except (binascii.Error, IndexError):
        summary.missing += 1
        report(label, "signature data URL is not valid base64: row kept")
        return
    digest = marker.removeprefix(EMBEDDED_PREFIX)
    name, url = _store(f"legacy/signatures/{digest}.{data_url_extension(data_url)}", content)
    LegacyUploadCopy.objects.create(legacy_ref=marker, storage_name=name, url=url, size=len(content))
    summary.copied += 1
    _point(row, url, len(content))


def copy_uploads(root: Path, *, on_problem: Callable[[str, str, str], None] | None = None) -> CopySummary:
    tree = LegacyTree(Path(root))
    summary = CopySummary()

    def report(path: str, reason: str) -> None:
        if on_problem:
            on_problem(path, reason, "upload")

    last_id = 0
    pending = Q(cloudinary_url__startswith=LOCAL_PREFIX) | Q(cloudinary_url__startswith=EMBEDDED_PREFIX)
    while True:
        rows = list(
            UploadedFile.objects.select_related("submission").filter(pending, pk__gt=last_id).order_by("pk")[:BATCH]
        )
        if not rows:
            return summary
        with transaction.atomic():
            for row in rows:
                if row.cloudinary_url.startswith(LOCAL_PREFIX):
                    _copy_local(row, tree, summary, report)
                else:
                    _copy_embedded(row, summary, report)
        last_id = rows[-1].pk
