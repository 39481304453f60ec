"""A submission's document arranged for its page: header rows, items with photos, signatures.

Works on every shape a document can have (Injaaz's, and the old app's when a legacy record is
shown): scalar values become labelled rows, ``items`` / ``work_items`` become items, photo and
signature references become URLs through ``url_for`` (empty when there is nothing to show).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from submissions.inspector.forms import CivilForm, CleaningForm, HvacForm, WorkItemForm
from submissions.models import Submission

HIDDEN_KEYS = {"id", "submission_id", "job_id", "base_url", "timestamp", "created_at", "client_key"}
ITEM_KEYS = ("items", "work_items")
ITEM_LABELS = {"asset": "Asset", "system": "System", "item_number": "Item", "description": "Description"}


def _labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for form_class in (HvacForm, CivilForm, CleaningForm, WorkItemForm):
        for name, field in form_class.base_fields.items():
            labels.setdefault(name, str(field.label or name))
    labels.update(ITEM_LABELS)
    labels["date"] = "Visit date"
    labels["location_name"] = "Location"
    return labels


def _label(key: str, labels: dict[str, str]) -> str:
    return labels.get(key) or key.replace("_", " ").strip().capitalize()


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and not (isinstance(value, str) and value.startswith("data:"))


def _photo_urls(value: Any, url_for: Callable[[Any], str]) -> list[str]:
    if not isinstance(value, list):
        return []
    return [url for url in (url_for(entry) for entry in value) if url]


def document_display(submission: Submission, *, url_for: Callable[[Any], str]) -> dict[str, Any]:
    document = submission.form_data if isinstance(submission.form_data, dict) else {}
    if isinstance(document.get("data"), dict):  # the old cleaning submit-with-urls wrapper
        document = {**document["data"], **{k: v for k, v in document.items() if k != "data"}}
    if isinstance(document.get("fields"), dict):  # the old civil multipart shape
        document = {**document["fields"], **{k: v for k, v in document.items() if k != "fields"}}
    labels = _labels()
    rows: list[tuple[str, str]] = []
    signatures: list[tuple[str, str]] = []
    for key, value in document.items():
        if key in HIDDEN_KEYS or key in ITEM_KEYS or key in ("photos", "files"):
            continue
        if "signature" in key.lower():
            signatures.append((_label(key if key != "opMan_signature" else "opman_signature", labels), url_for(value)))
        elif _is_scalar(value) and not key.startswith("photo_url_"):
            rows.append((_label(key, labels), str(value)))
    items = []
    for key in ITEM_KEYS:
        for number, item in enumerate(document.get(key) or [], start=1):
            if not isinstance(item, dict):
                continue
            item_rows = [
                (_label(name, labels), str(value))
                for name, value in item.items()
                if name not in ("photos", "photo_urls", "item_number") and _is_scalar(value) and value != ""
            ]
            items.append({"number": number, "rows": item_rows, "photos": _photo_urls(item.get("photos"), url_for)})
    photos = _photo_urls(document.get("photos"), url_for) + _photo_urls(document.get("files"), url_for)
    return {"rows": rows, "items": items, "photos": photos, "signatures": signatures}
