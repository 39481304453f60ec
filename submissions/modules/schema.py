"""A module's declaration described for clients as JSON (``GET /api/modules/<module>/schema``).

The offline app validates from it before it sends, so the keys below are a contract: they are
listed here one by one (never dumped from the dataclasses, whose internals, such as the legacy
read keys, are not the client's business) and docs/MODULES.md says what each one means. The
description is versioned by a hash of its content: ``version`` in the body and the ``ETag``.

Plain functions of the declaration and the values passed in (the HVAC taxonomy, upload limits):
no database or settings access here; the view reads those and passes them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from submissions.modules.types import (
    Field,
    FieldType,
    Items,
    ModuleDeclaration,
    Photos,
    ReferenceData,
    Signature,
)

# The format of this description; raised when a key changes meaning or goes away.
SCHEMA_FORMAT = 1
Taxonomy = Mapping[str, Mapping[str, list[str]]]


@dataclass(frozen=True)
class UploadLimits:
    """What the upload route accepts for one photo, and how many photos an item or form takes."""

    max_bytes: int
    max_pixels: int
    content_types: tuple[str, ...]
    photos_per_item: int  # ``INJAAZ_PHOTOS_PER_ITEM``: the limit when a declaration sets none


def _field(field: Field) -> dict[str, Any]:
    described: dict[str, Any] = {
        "key": field.key,
        "label": field.label,
        "report_label": field.short_label,
        "type": str(field.type),
        "required": field.required,
        "max_length": field.max_length,
        "default": field.default,
        "help_text": field.help_text,
        "input_type": field.input_type,
        "choices": list(field.choices),
        "choices_from": str(field.choices_from) if field.choices_from is not None else None,
    }
    if field.type == FieldType.DATE:
        described["format"] = "YYYY-MM-DD"
        described["allow_future"] = field.allow_future
    if field.type in (FieldType.NUMBER, FieldType.DECIMAL):
        described["min"] = 0
        described["decimal_places"] = 0 if field.type == FieldType.NUMBER else field.decimal_places
    if field.type == FieldType.YES_NO:
        described["values"] = {"yes": "True", "no": "False"}
    if field.type == FieldType.LONG_TEXT:
        described["rows"] = field.rows
    return described


def _photos(photos: Photos, limits: UploadLimits) -> dict[str, Any]:
    return {
        "key": photos.key,
        "label": photos.label,
        "report_title": photos.report_title,
        "min_count": photos.min_count,
        "max_count": photos.max_count if photos.max_count is not None else limits.photos_per_item,
    }


def _items(items: Items, limits: UploadLimits) -> dict[str, Any]:
    return {
        "key": items.key,
        "label": items.label,
        "item_label": items.item_label,
        "report_title": items.report_title,
        "title_field": items.title_field,
        "number_key": items.number_key,
        "min_count": items.min_count,
        "max_count": items.max_count,
        "fields": [_field(field) for field in items.fields],
        "photos": _photos(items.photos, limits) if items.photos is not None else None,
    }


def _signature(signature: Signature) -> dict[str, Any]:
    return {
        "key": signature.key,
        "form_field": signature.form_field,
        "label": signature.label,
        "report_label": signature.short_label,
        "role": signature.role,
        "required": signature.required,
        "signer_field": signature.signer_field,
        "format": "data:image/png;base64",
    }


def _references(declared: ModuleDeclaration) -> set[ReferenceData]:
    fields = [*declared.fields, *(declared.items.fields if declared.items is not None else ())]
    return {field.choices_from for field in fields if field.choices_from is not None}


def uses_hvac_taxonomy(declared: ModuleDeclaration) -> bool:
    """Whether the module's choices come from the HVAC taxonomy (the view reads it only then)."""
    return bool(
        _references(declared) & {ReferenceData.HVAC_ASSET, ReferenceData.HVAC_SYSTEM, ReferenceData.HVAC_DESCRIPTION}
    )


def module_schema(declared: ModuleDeclaration, *, limits: UploadLimits, taxonomy: Taxonomy | None) -> dict[str, Any]:
    """The description of ``declared``: ``version`` is the SHA-256 of everything else in it
    (canonical JSON), so it changes exactly when something a client would see changes."""
    reference_data: dict[str, Any] = {}
    if uses_hvac_taxonomy(declared):
        reference_data["hvac_taxonomy"] = {
            asset: {system: list(descriptions) for system, descriptions in systems.items()}
            for asset, systems in (taxonomy or {}).items()
        }
    content: dict[str, Any] = {
        "format": SCHEMA_FORMAT,
        "module": str(declared.module),
        "name": declared.name,
        "title": declared.title,
        "url_prefix": declared.url_prefix,
        "submit_label": declared.submit_label,
        "sections": [
            {"title": section.title, "tab": section.tab, "fields": [_field(field) for field in section.fields]}
            for section in declared.sections
        ],
        "items": _items(declared.items, limits) if declared.items is not None else None,
        "photos": _photos(declared.photos, limits) if declared.photos is not None else None,
        "signatures": [_signature(signature) for signature in declared.signatures],
        "columns": {"site_name": list(declared.site_name_keys), "visit_date": declared.visit_date_key},
        "report": {
            "title": declared.report.title,
            "subtitle": declared.report.subtitle,
            "sheet_title": declared.report.sheet_title,
        },
        "uploads": {
            "max_bytes": limits.max_bytes,
            "max_pixels": limits.max_pixels,
            "content_types": list(limits.content_types),
        },
        "reference_data": reference_data,
    }
    return {"version": content_version(content), **content}


def content_version(content: Mapping[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
