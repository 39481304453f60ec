"""One normaliser per historical document shape (FORMAT.md §1, §2, §10).

``normalize_submission`` recognises the shape of a ``sub_*.json`` document, not a key, and turns
it into a ``NormalizedSubmission``; ``normalize_job`` does the same for ``job_*.json``. Both raise
``LegacyFormatError`` with a reason for documents they cannot read (the caller adds the path).

Shapes (see ``SHAPES``): the six submission shapes the live endpoints wrote, and their
production-era variants (Cloudinary URLs, signature dicts, the 8bf53f5 Civil extensions).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from submissions.ids import JOB_ID_RE, SUBMISSION_ID_RE
from submissions.legacy.records import (
    LegacyFormatError,
    NormalizedItem,
    NormalizedJob,
    NormalizedSubmission,
    PhotoRef,
    SignatureRef,
)

MODULES = ("hvac_mep", "civil", "cleaning")

SHAPES = {
    "hvac_submit_with_urls": "hvac_mep",  # POST /hvac-mep/submit-with-urls (the UI's)
    "hvac_submit": "hvac_mep",  # POST /hvac-mep/submit (multipart, legacy)
    "civil_submit": "civil",  # POST /civil/submit (multipart: fields{} + files[])
    "civil_json": "civil",  # POST /civil/submit-with-urls (work_items[]), 8bf53f5 extensions
    "cleaning_wrapped": "cleaning",  # POST /cleaning/submit-with-urls ({submission_id, data{}, ...})
    "cleaning_submit": "cleaning",  # POST /cleaning/submit (flat)
}

_PHOTO_URL_KEY = re.compile(r"^photo_url_(\d+)$")


def _is_photo_url_key(key: str) -> re.Match[str] | None:
    """``photo_url_<n>``; most keys fail the cheap prefix test first (documents have dozens of keys)."""
    return _PHOTO_URL_KEY.match(key) if key.startswith("photo_url_") else None


_CIVIL_ROW_KEYS = {
    "work_desc[]": "description",
    "work_qty[]": "quantity",
    "material[]": "material",
    "material_qty[]": "material_qty",
    "price[]": "price",
    "labour[]": "labour",
}
_CIVIL_ITEM_KEYS = ("item_number", "description", "quantity", "material", "material_qty", "price", "labour")
_CLEANING_NOT_FIELDS = {
    "photos",
    "photo_urls",
    "tech_signature",
    "contact_signature",
    "tech_signature_url",
    "contact_signature_url",
    "base_url",
    "submission_id",
    "job_id",
    "created_at",
    "timestamp",
    "id",
}
_CLEANING_MARKERS = ("client_name", "date_of_visit", "project_name", "site_address", "assessor_name")


# --- Scalars ----------------------------------------------------------------------------------


def text(value: Any) -> str:
    """A form value as the string it was typed (the old app stored values as strings)."""
    if isinstance(value, str):  # first: nearly every value is one
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float):
        return str(value)
    return ""


def parse_visit_date(value: Any, warnings: list[str], key: str) -> dt.date | None:
    raw = text(value)
    if not raw:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    warnings.append(f"{key} {raw!r} is not a YYYY-MM-DD date; visit date left empty")
    return None


def parse_timestamp(value: Any) -> dt.datetime | None:
    """Epoch seconds (int/float) or ISO-8601 (naive means UTC) as an aware UTC datetime."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        raw = value.strip()
        try:
            parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            try:
                return dt.datetime.fromtimestamp(float(raw), tz=dt.UTC)
            except (ValueError, OverflowError, OSError):
                return None
        if parsed.tzinfo is None:
            # The old app wrote naive times from utcnow() and, on some paths, the server's local
            # time; its servers ran in UTC (FORMAT.md §1.0), so naive means UTC.
            return parsed.replace(tzinfo=dt.UTC)
        return parsed.astimezone(dt.UTC)
    return None


def _url_of(value: Any) -> str:
    """The URL of a photo or signature reference: a string, or a dict's ``url`` (``secure_url``)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        for key in ("url", "secure_url", "cloud_url"):
            candidate = value.get(key)
            if isinstance(candidate, str) and candidate.strip():
                return candidate.strip()
    return ""


def _photo_urls(photos: Any) -> list[tuple[str, str]]:
    """(url, source suffix) for each usable entry of a ``photos`` list."""
    if not isinstance(photos, list):
        return []
    found = []
    for index, entry in enumerate(photos):
        url = _url_of(entry)
        if url:
            found.append((url, f"[{index}]"))
    return found


def _numbered_photo_urls(mapping: dict[str, Any]) -> list[tuple[int, str, str]]:
    found = []
    for key, value in mapping.items():
        if key.startswith("photo_url_") and (match := _PHOTO_URL_KEY.match(key)) and (url := _url_of(value)):
            found.append((int(match.group(1)), url, key))
    return sorted(found)


# --- Shape recognition ------------------------------------------------------------------------


def detect_shape(document: dict[str, Any]) -> str:
    """The historical shape of a submission document (FORMAT.md §10), or ``LegacyFormatError``."""
    if isinstance(document.get("fields"), dict) and ("files" in document or "id" in document):
        return "civil_submit"
    if isinstance(document.get("work_items"), list):
        return "civil_json"
    if isinstance(document.get("items"), list):
        return "hvac_submit" if "id" in document and "submission_id" not in document else "hvac_submit_with_urls"
    if isinstance(document.get("data"), dict):
        return "cleaning_wrapped"
    if any(key in document for key in _CLEANING_MARKERS):
        return "cleaning_submit"
    keys = ", ".join(sorted(document)[:12]) or "none"
    raise LegacyFormatError(f"unknown submission shape (top-level keys: {keys})")


def _document_id(document: dict[str, Any], shape: str) -> str:
    if shape in ("hvac_submit", "civil_submit", "civil_json"):
        candidates = [document.get("id"), document.get("submission_id")]
    else:
        candidates = [document.get("submission_id"), document.get("id")]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            return candidate
    raise LegacyFormatError("the document has no submission id ('id' or 'submission_id')")


# --- Submissions ------------------------------------------------------------------------------


def normalize_submission(
    document: dict[str, Any], *, stem: str | None = None, module_hint: str | None = None, content: bool = True
) -> NormalizedSubmission:
    """Normalise one ``sub_*.json`` document. ``stem`` is its file name without ``.json``;
    ``module_hint`` its job's ``meta.module`` (which wins over the shape's module).

    ``content=False`` leaves ``fields`` and ``items`` empty: what the importer needs (the columns,
    photos, signatures and warnings, all the same) for a fraction of the work."""
    if not isinstance(document, dict):
        raise LegacyFormatError("JSON is not an object")
    shape = detect_shape(document)
    submission_id = _document_id(document, shape)
    if stem is not None and submission_id != stem:
        raise LegacyFormatError(f"id {submission_id!r} inside does not match the file name {stem!r}")
    if not SUBMISSION_ID_RE.match(submission_id):
        raise LegacyFormatError(f"id {submission_id!r} is not 'sub_' followed by 12 lowercase hex characters")
    record = NormalizedSubmission(submission_id=submission_id, module=SHAPES[shape], shape=shape)
    if module_hint:
        if module_hint not in MODULES:
            record.warnings.append(f"job meta.module {module_hint!r} is unknown; module taken from the shape")
        else:
            if module_hint != record.module:
                record.warnings.append(f"job meta.module {module_hint!r} differs from the {shape} shape")
            record.module = module_hint
    _NORMALISERS[shape](document, record, content)
    ip = document.get("submitted_by_ip") or document.get("ip_address")
    if isinstance(ip, str):
        record.submitted_by_ip = ip[:45]
    record.photos = _dedupe(record.photos)
    return record


def _add_signature(record: NormalizedSubmission, role: str, value: Any, source: str) -> None:
    url = _url_of(value)
    if url and not any(signature.role == role for signature in record.signatures):
        record.signatures.append(SignatureRef(role=role, value=url, source=source))


def _dedupe(photos: Iterable[PhotoRef]) -> list[PhotoRef]:
    seen: set[str] = set()
    unique = []
    for photo in photos:
        if photo.url not in seen:
            seen.add(photo.url)
            unique.append(photo)
    return unique


def _hvac(document: dict[str, Any], record: NormalizedSubmission, content: bool) -> None:
    record.site_name = text(document.get("site_name"))
    record.visit_date = parse_visit_date(document.get("visit_date"), record.warnings, "visit_date")
    record.created_at = parse_timestamp(document.get("timestamp") or document.get("created_at"))
    if content:
        record.fields = {"site_name": record.site_name, "visit_date": text(document.get("visit_date"))}
    for index, item in enumerate(document.get("items") or []):
        if not isinstance(item, dict):
            record.warnings.append(f"items[{index}] is not an object; skipped")
            continue
        photos = _photo_urls(item.get("photos"))
        if content:
            record.items.append(
                NormalizedItem(
                    fields={key: text(item.get(key)) for key in ("asset", "system", "description")},
                    photos=[url for url, _ in photos],
                )
            )
        record.photos.extend(PhotoRef(url, index, f"items[{index}].photos{suffix}") for url, suffix in photos)
    _add_signature(record, "technician", document.get("tech_signature"), "tech_signature")
    for key in ("opMan_signature", "opman_signature"):
        _add_signature(record, "manager", document.get(key), key)


def _civil_submit(document: dict[str, Any], record: NormalizedSubmission, content: bool) -> None:
    fields = document.get("fields") or {}
    record.site_name = text(fields.get("project_name"))
    date_key = "date" if text(fields.get("date")) else "visit_date"
    record.visit_date = parse_visit_date(fields.get(date_key), record.warnings, f"fields.{date_key}")
    record.created_at = parse_timestamp(document.get("created_at") or document.get("timestamp"))
    if content:
        header = {
            key: text(value)
            for key, value in fields.items()
            if key not in _CIVIL_ROW_KEYS
            and not _is_photo_url_key(key)
            and key not in ("tech_signature", "op_signature", "date", "location_name")
        }
        location = text(fields.get("location")) or text(fields.get("location_name"))
        header.update(visit_date=text(fields.get(date_key)), location=location)
        record.fields = header
        row = {name: text(fields.get(key)) for key, name in _CIVIL_ROW_KEYS.items() if key in fields}
        if any(row.values()):
            # dict(request.form) kept only the first work row (FORMAT.md §1.2): that row survives.
            record.items.append(NormalizedItem(fields={"item_number": "1", **row}))
    for url, suffix in _photo_urls(document.get("files")):
        record.photos.append(PhotoRef(url, None, f"files{suffix}"))
    for _, url, key in _numbered_photo_urls(fields):
        record.photos.append(PhotoRef(url, None, f"fields.{key}"))
    _add_signature(record, "inspector", fields.get("tech_signature"), "fields.tech_signature")
    _add_signature(record, "manager", fields.get("op_signature"), "fields.op_signature")


def _civil_json(document: dict[str, Any], record: NormalizedSubmission, content: bool) -> None:
    record.site_name = text(document.get("project_name"))
    record.visit_date = parse_visit_date(document.get("visit_date"), record.warnings, "visit_date")
    record.created_at = parse_timestamp(document.get("created_at") or document.get("timestamp"))
    if content:
        skip = {
            "id",
            "submission_id",
            "work_items",
            "inspector_signature",
            "manager_signature",
            "base_url",
            "created_at",
        }
        record.fields = {
            key: text(value)
            for key, value in document.items()
            if key not in skip and not isinstance(value, dict | list)
        }
    for index, item in enumerate(document.get("work_items") or []):
        if not isinstance(item, dict):
            record.warnings.append(f"work_items[{index}] is not an object; skipped")
            continue
        photos = _photo_urls(item.get("photos"))
        if content:
            fields = {key: text(item.get(key)) for key in _CIVIL_ITEM_KEYS if key in item}
            fields.setdefault("item_number", str(index + 1))
            record.items.append(NormalizedItem(fields=fields, photos=[url for url, _ in photos]))
        record.photos.extend(PhotoRef(url, index, f"work_items[{index}].photos{suffix}") for url, suffix in photos)
    _add_signature(record, "inspector", document.get("inspector_signature"), "inspector_signature")
    _add_signature(record, "manager", document.get("manager_signature"), "manager_signature")


def _cleaning(body: dict[str, Any], record: NormalizedSubmission, prefix: str, content: bool) -> None:
    record.site_name = text(body.get("project_name")) or text(body.get("client_name"))
    record.visit_date = parse_visit_date(body.get("date_of_visit"), record.warnings, f"{prefix}date_of_visit")
    if content:
        record.fields = {
            key: text(value)
            for key, value in body.items()
            if key not in _CLEANING_NOT_FIELDS and not _is_photo_url_key(key) and not isinstance(value, dict | list)
        }
    for url, suffix in _photo_urls(body.get("photos")):
        record.photos.append(PhotoRef(url, None, f"{prefix}photos{suffix}"))
    for url, suffix in _photo_urls(body.get("photo_urls")):
        record.photos.append(PhotoRef(url, None, f"{prefix}photo_urls{suffix}"))
    for _, url, key in _numbered_photo_urls(body):
        record.photos.append(PhotoRef(url, None, f"{prefix}{key}"))
    for role, keys in (
        ("technician", ("tech_signature_url", "tech_signature")),
        ("client", ("contact_signature_url", "contact_signature")),
    ):
        for key in keys:
            _add_signature(record, role, body.get(key), f"{prefix}{key}")


def _cleaning_wrapped(document: dict[str, Any], record: NormalizedSubmission, content: bool) -> None:
    _cleaning(document["data"], record, "data.", content)
    record.created_at = parse_timestamp(document.get("timestamp") or document.get("created_at"))


def _cleaning_submit(document: dict[str, Any], record: NormalizedSubmission, content: bool) -> None:
    _cleaning(document, record, "", content)
    record.created_at = parse_timestamp(document.get("created_at") or document.get("timestamp"))
    job_id = document.get("job_id")
    if isinstance(job_id, str) and JOB_ID_RE.match(job_id):
        record.job_id = job_id


_NORMALISERS = {
    "hvac_submit_with_urls": _hvac,
    "hvac_submit": _hvac,
    "civil_submit": _civil_submit,
    "civil_json": _civil_json,
    "cleaning_wrapped": _cleaning_wrapped,
    "cleaning_submit": _cleaning_submit,
}


# --- Jobs -------------------------------------------------------------------------------------

JOB_STATES = ("started", "running", "done", "failed")


def _results(results: Any) -> tuple[str, str, str]:
    """(excel_url, pdf_url, error) from any of the three result shapes (FORMAT.md §2)."""
    excel = pdf = error = ""
    if isinstance(results, dict):
        excel = _url_of(results.get("excel_url")) or _url_of(results.get("excel"))
        pdf = _url_of(results.get("pdf_url")) or _url_of(results.get("pdf"))
        error = text(results.get("error"))
    elif isinstance(results, list):
        for entry in results:
            if not isinstance(entry, dict):
                continue
            if entry.get("error"):
                error = error or text(entry.get("error"))
                continue
            url = _url_of(entry)
            name = text(entry.get("filename")) or url
            if name.lower().endswith((".xlsx", ".xls")):
                excel = excel or url
            elif name.lower().endswith(".pdf"):
                pdf = pdf or url
    return excel, pdf, error


def normalize_job(document: dict[str, Any], *, stem: str | None = None) -> NormalizedJob:
    if not isinstance(document, dict):
        raise LegacyFormatError("JSON is not an object")
    job_id = document.get("job_id")
    if not isinstance(job_id, str) or not job_id:
        raise LegacyFormatError("the document has no 'job_id'")
    if stem is not None and job_id != stem:
        raise LegacyFormatError(f"job_id {job_id!r} inside does not match the file name {stem!r}")
    if not JOB_ID_RE.match(job_id):
        raise LegacyFormatError(f"job_id {job_id!r} is not 'job_' followed by 12 lowercase hex characters")
    state = document.get("state")
    if state not in JOB_STATES:
        raise LegacyFormatError(f"state {state!r} is not one of {', '.join(JOB_STATES)}")
    meta = document.get("meta") if isinstance(document.get("meta"), dict) else {}
    assert isinstance(meta, dict)
    progress_raw = document.get("progress", 0)
    try:
        progress = max(0, min(100, int(progress_raw)))
    except (TypeError, ValueError) as error:
        raise LegacyFormatError(f"progress {progress_raw!r} is not a number") from error
    excel, pdf, error_text = _results(document.get("results"))
    status = str(state)
    if error_text and status in ("done", "running", "started"):
        # The HVAC worker reported failures as state "done" with results.error (FORMAT.md §2).
        status = "failed"
    submission_id = meta.get("submission_id")
    module = meta.get("module")
    return NormalizedJob(
        job_id=job_id,
        submission_id=submission_id if isinstance(submission_id, str) and submission_id else None,
        module=module if module in MODULES else None,
        status=status,
        progress=progress,
        excel_url=excel,
        pdf_url=pdf,
        error_message=error_text,
        created_at=parse_timestamp(document.get("created_at")) or parse_timestamp(meta.get("created_at")),
        completed_at=parse_timestamp(document.get("completed_at")),
        meta=meta,
    )
