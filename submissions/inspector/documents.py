"""``form_data`` per module: the one document shape Injaaz writes, one the old app itself wrote.

- HVAC/MEP: the ``/hvac-mep/submit-with-urls`` shape with ca9e31e's signature dicts.
- Civil: the ``/civil/submit-with-urls`` shape as extended at 8bf53f5, every work row kept.
- Cleaning: the flat ``/cleaning/submit`` shape (every field a string, checkboxes
  ``"True"``/``"False"``, the report job's id).

Photo and signature references are ``{"saved": null, "path": null, "url", "is_cloud": true}``
plus Injaaz's ``"name"`` (the storage name) and, for cleaning photos, ``"index"``. A signature
not drawn is ``null`` (``""`` in the cleaning shape, as the old app wrote it). Timestamps are naive
ISO-8601 in UTC. Keys are never renamed; the old app ignores keys it does not know.

Each builder also has a *content* form: what the inspector sent, without generated ids, names
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
from submissions.models import Module, UploadedFile


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

    ``fields``: the header values (strings). ``items``: repeating items. ``photos``: module-level
    photos (cleaning, and legacy Civil clients' unattached photos). ``signatures``: document key →
    drawn signature or ``None``.
    """

    module: str
    fields: dict[str, str]
    items: list[Item] = field(default_factory=list)
    photos: Sequence[UploadedFile] = ()
    signatures: dict[str, SignatureInput | None] = field(default_factory=dict)
    base_url: str = ""

    @property
    def site_name(self) -> str:
        if self.module == Module.HVAC_MEP:
            return self.fields.get("site_name", "")
        return self.fields.get("project_name", "")

    @property
    def visit_date(self) -> dt.date | None:
        key = "date_of_visit" if self.module == Module.CLEANING else "visit_date"
        value = self.fields.get(key, "")
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            return None

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
        builder = {Module.HVAC_MEP: _hvac, Module.CIVIL: _civil, Module.CLEANING: _cleaning}[Module(self.module)]
        return builder(self, submission_id, signatures)


def _signature(rows: dict[str, UploadedFile | None], key: str, *, empty: Any = None) -> Any:
    row = rows.get(key)
    return file_ref(row) if row is not None else empty


def _hvac(draft: Draft, submission_id: str, signatures: dict[str, UploadedFile | None]) -> dict[str, Any]:
    return {
        "submission_id": submission_id,
        "site_name": draft.fields.get("site_name", ""),
        "visit_date": draft.fields.get("visit_date", ""),
        "tech_signature": _signature(signatures, "tech_signature"),
        "opMan_signature": _signature(signatures, "opMan_signature"),
        "items": [
            {
                "asset": item.values.get("asset", ""),
                "system": item.values.get("system", ""),
                "description": item.values.get("description", ""),
                "photos": [file_ref(photo) for photo in item.photos],
            }
            for item in draft.items
        ],
        "timestamp": utc_timestamp(),
        "base_url": draft.base_url,
    }


CIVIL_WORK_KEYS = ("description", "quantity", "material", "material_qty", "price", "labour")
CIVIL_TAIL_KEYS = ("description_of_work", "floor", "developer_client", "city_area", "estimated_time")


def _civil(draft: Draft, submission_id: str, signatures: dict[str, UploadedFile | None]) -> dict[str, Any]:
    fields = draft.fields
    document: dict[str, Any] = {
        "id": submission_id,
        "project_name": fields.get("project_name", ""),
        "location": fields.get("location", ""),
        "visit_date": fields.get("visit_date", ""),
        "inspector_name": fields.get("inspector_name", ""),
        "inspector_signature": _signature(signatures, "inspector_signature"),
        "manager_name": fields.get("manager_name", ""),
        "manager_signature": _signature(signatures, "manager_signature"),
        "work_items": [
            {
                "item_number": number,
                **{key: item.values.get(key, "") for key in CIVIL_WORK_KEYS},
                "photos": [file_ref(photo) for photo in item.photos],
            }
            for number, item in enumerate(draft.items, start=1)
        ],
        **{key: fields.get(key, "") for key in CIVIL_TAIL_KEYS},
        "estimated_completion": fields.get("estimated_completion", ""),
        "created_at": utc_timestamp(),
        "base_url": draft.base_url,
    }
    if draft.photos:
        # Only legacy multipart clients send photos that belong to no work row (an added key).
        document["photos"] = [file_ref(photo) for photo in draft.photos]
    return document


def _cleaning(draft: Draft, submission_id: str, signatures: dict[str, UploadedFile | None]) -> dict[str, Any]:
    return {
        **draft.fields,
        "tech_signature": _signature(signatures, "tech_signature", empty=""),
        "contact_signature": _signature(signatures, "contact_signature", empty=""),
        "photos": [file_ref(photo, index=index) for index, photo in enumerate(draft.photos)],
        "base_url": draft.base_url,
        "submission_id": submission_id,
        # The old /cleaning/submit stored its job id here: submission_create writes in the id of
        # the report job it creates (jobs.services.report_job_id_for).
        "job_id": None,
        "created_at": utc_timestamp(),
    }
