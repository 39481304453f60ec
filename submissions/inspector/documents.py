"""``form_data`` per module: the one document shape Injaaz writes, built from the module's
declaration (``submissions.modules``; its ``DocumentShape`` says where the id, time and job go).

- HVAC/MEP: the ``/hvac-mep/submit-with-urls`` shape with ca9e31e's signature dicts.
- Civil: the ``/civil/submit-with-urls`` shape as extended at 8bf53f5, every work row kept.
- Cleaning: the flat ``/cleaning/submit`` shape (every field a string, checkboxes
  ``"True"``/``"False"``, the report job's id).

Photo and signature references are ``{"saved": null, "path": null, "url", "is_cloud": true}``
plus Injaaz's ``"name"`` (the storage name) and, where declared (cleaning), ``"index"``. A
signature not drawn is the declaration's ``empty`` (``null``; ``""`` in the cleaning shape).
Timestamps are naive ISO-8601 in UTC. Keys are never renamed; the old app ignores keys it does
not know.

Each draft also has a *content* form: what the inspector sent, without generated ids, names
or times, hashed to tell a replay (same idempotency key, same content) from a conflict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from submissions.inspector.fields import SignatureInput
from submissions.models import UploadedFile
from submissions.modules.types import ModuleDeclaration


def utc_timestamp() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat()


def file_ref(row: UploadedFile, *, index: int | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {
        "saved": None,
        "path": None,
        "url": row.cloudinary_url,
        "is_cloud": True,
        "name": row.storage_name,
    }
    if index is not None:
        ref["index"] = index
    return ref


def photo_fingerprint(row: UploadedFile) -> list[Any]:
    """What identifies a photo's content across retries (ids differ when a file is re-sent)."""
    return [row.original_filename, row.file_size]


def content_hash(content: Any) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Item:
    """One repeating item (an HVAC item, a Civil work row) with its photos, in form order."""

    values: dict[str, str]
    photos: Sequence[UploadedFile] = ()


@dataclass
class Draft:
    """Everything needed to create a submission once signatures are stored.

    ``fields``: the header values (strings). ``items``: repeating items. ``photos``: form-level
    photos (cleaning's, and legacy Civil clients' unattached photos). ``signatures``: document
    key → drawn signature or ``None``.
    """

    declaration: ModuleDeclaration
    fields: dict[str, str]
    items: list[Item] = field(default_factory=list)
    photos: Sequence[UploadedFile] = ()
    signatures: dict[str, SignatureInput | None] = field(default_factory=dict)
    base_url: str = ""

    @property
    def module(self) -> str:
        return str(self.declaration.module)

    def all_photos(self) -> list[UploadedFile]:
        return [*(photo for item in self.items for photo in item.photos), *self.photos]

    def content(self) -> dict[str, Any]:
        return {
            "module": self.module,
            "fields": self.fields,
            "items": [
                {"values": item.values, "photos": [photo_fingerprint(p) for p in item.photos]} for item in self.items
            ],
            "photos": [photo_fingerprint(p) for p in self.photos],
            "signatures": {key: (value.digest if value else None) for key, value in self.signatures.items()},
        }

    def document(self, *, submission_id: str, signatures: dict[str, UploadedFile | None]) -> dict[str, Any]:
        """The document in the module's shape: id, header fields in form order, signatures,
        items, photos, ``base_url``, time (and the job key, filled in by ``submission_create``)."""
        declaration = self.declaration
        shape = declaration.document
        document: dict[str, Any] = {shape.id_key: submission_id, **self.fields}
        for signature in declaration.signatures:
            row = signatures.get(signature.key)
            document[signature.key] = file_ref(row) if row is not None else signature.empty
        items = declaration.items
        if items is not None:
            photos_key = items.photos.key if items.photos is not None else "photos"
            document[items.key] = [
                {
                    **({items.number_key: number} if items.number_key else {}),
                    **{f.key: item.values.get(f.key, "") for f in items.fields},
                    photos_key: [file_ref(photo) for photo in item.photos],
                }
                for number, item in enumerate(self.items, start=1)
            ]
        declared = declaration.photos
        if declared is not None:
            document[declared.key] = [
                file_ref(photo, index=index if declared.indexed else None) for index, photo in enumerate(self.photos)
            ]
        elif self.photos:
            # Only legacy multipart Civil clients send photos that belong to no work row (an added key).
            document["photos"] = [file_ref(photo) for photo in self.photos]
        document["base_url"] = self.base_url
        document[shape.time_key] = utc_timestamp()
        if shape.job_key:
            # The old /cleaning/submit stored its job id here: submission_create writes in the id of
            # the report job it creates (jobs.services.report_job_id_for).
            document[shape.job_key] = None
        return document
