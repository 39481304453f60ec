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
from submissions.modules.registry import declaration, declaration_or_none, is_declared
from submissions.modules.types import DOCUMENT_MACHINERY_KEYS, ModuleDeclaration
from submissions.modules.types import form_text as text

# The shape each historical document is in, and its module (each module's declaration names
# the shape Injaaz writes and the older ones it reads: ``DocumentShape.written``/``read``).
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


_CLEANING_MARKERS = ("client_name", "date_of_visit", "project_name", "site_address", "assessor_name")


# --- Scalars ----------------------------------------------------------------------------------


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
    declared = declaration_or_none(module_hint)
    if declared is not None and declared.document.written not in _NORMALISERS:
        # A module the old app never had: its one document shape is its declaration's.
        return _declared_submission(declared, document, stem=stem, content=content)
    shape = detect_shape(document)
    submission_id = _document_id(document, shape)
    if stem is not None and submission_id != stem:
        raise LegacyFormatError(f"id {submission_id!r} inside does not match the file name {stem!r}")
    if not SUBMISSION_ID_RE.match(submission_id):
        raise LegacyFormatError(f"id {submission_id!r} is not 'sub_' followed by 12 lowercase hex characters")
    record = NormalizedSubmission(submission_id=submission_id, module=SHAPES[shape], shape=shape)
    if module_hint:
        if not is_declared(module_hint):
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


def _declared_submission(
    declared: ModuleDeclaration, document: dict[str, Any], *, stem: str | None, content: bool
) -> NormalizedSubmission:
    """A document Injaaz wrote for a module declared without a historical shape, read through
    its declaration (``submissions.inspector.documents.Draft.document`` wrote it)."""
    shape = declared.document
    submission_id = document.get(shape.id_key)
    if not isinstance(submission_id, str) or not SUBMISSION_ID_RE.match(submission_id):
        raise LegacyFormatError(f"the document has no submission id under {shape.id_key!r}")
    if stem is not None and submission_id != stem:
        raise LegacyFormatError(f"id {submission_id!r} inside does not match the file name {stem!r}")
    record = NormalizedSubmission(submission_id=submission_id, module=str(declared.module), shape=shape.written)
    _columns(declared, document, record, "")
    record.created_at = parse_timestamp(document.get(shape.time_key))
    if content:
        known = {*(key for f in declared.fields for key in f.keys)}
        known |= {key for s in declared.signatures for key in (s.key, s.form_field, *s.keys)}
        known |= {declared.items.key} if declared.items is not None else set()
        known |= {declared.photos.key} if declared.photos is not None else set()
        record.fields = {f.key: text(f.read(document)) for f in declared.fields} | _extras(document, known)
    items = declared.items
    if items is not None:
        photos_key = items.photos.key if items.photos is not None else "photos"
        for index, item in enumerate(document.get(items.key) or []):
            if not isinstance(item, dict):
                record.warnings.append(f"{items.key}[{index}] is not an object; skipped")
                continue
            photos = _photo_urls(item.get(photos_key))
            if content:
                fields = {f.key: text(item.get(f.key)) for f in items.fields}
                fields |= _extras(item, {items.number_key, photos_key, *fields})
                if items.number_key:
                    fields = {items.number_key: text(item.get(items.number_key)) or str(index + 1), **fields}
                record.items.append(NormalizedItem(fields=fields, photos=[url for url, _ in photos]))
            record.photos.extend(
                PhotoRef(url, index, f"{items.key}[{index}].{photos_key}{suffix}") for url, suffix in photos
            )
    photos_key = declared.photos.key if declared.photos is not None else "photos"
    for url, suffix in _photo_urls(document.get(photos_key)):
        record.photos.append(PhotoRef(url, None, f"{photos_key}{suffix}"))
    _signatures(declared, document, record, "")
    record.photos = _dedupe(record.photos)
    return record


def _extras(mapping: dict[str, Any], known: set[str]) -> dict[str, str]:
    """The scalar values a document carried beyond ``known`` keys (shown as "Other details")."""
    return {
        key: text(value)
        for key, value in mapping.items()
        if key not in known
        and key not in DOCUMENT_MACHINERY_KEYS
        and not _is_photo_url_key(key)
        and not isinstance(value, dict | list)
        and text(value)
    }


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


def _columns(declared: ModuleDeclaration, header: dict[str, Any], record: NormalizedSubmission, where: str) -> None:
    """``site_name``/``visit_date`` by the module's one rule (``ModuleDeclaration.columns``)."""
    record.site_name, record.visit_date = declared.columns(header, warnings=record.warnings, where=where)


def _signatures(declared: ModuleDeclaration, header: dict[str, Any], record: NormalizedSubmission, where: str) -> None:
    for signature in declared.signatures:
        for key in signature.keys:
            _add_signature(record, signature.role, header.get(key), f"{where}{key}")


def _hvac(document: dict[str, Any], record: NormalizedSubmission, content: bool) -> None:
    declared = declaration(SHAPES[record.shape])
    items = declared.items
    assert items is not None
    _columns(declared, document, record, "")
    record.created_at = parse_timestamp(document.get("timestamp") or document.get("created_at"))
    if content:
        known = {items.key, *(key for f in declared.fields for key in f.keys)}
        known |= {key for s in declared.signatures for key in (s.key, s.form_field, *s.keys)}
        record.fields = {f.key: text(f.read(document)) for f in declared.fields} | _extras(document, known)
    item_keys = {"photos", "photo_urls", *(f.key for f in items.fields)}
    for index, item in enumerate(document.get(items.key) or []):
        if not isinstance(item, dict):
            record.warnings.append(f"{items.key}[{index}] is not an object; skipped")
            continue
        photos = _photo_urls(item.get("photos"))
        if content:
            fields = {f.key: text(item.get(f.key)) for f in items.fields} | _extras(item, item_keys)
            record.items.append(NormalizedItem(fields=fields, photos=[url for url, _ in photos]))
        record.photos.extend(PhotoRef(url, index, f"{items.key}[{index}].photos{suffix}") for url, suffix in photos)
    _signatures(declared, document, record, "")


def _civil_submit(document: dict[str, Any], record: NormalizedSubmission, content: bool) -> None:
    declared = declaration(SHAPES[record.shape])
    items = declared.items
    assert items is not None
    fields = document.get("fields") or {}
    _columns(declared, fields, record, "fields.")
    record.created_at = parse_timestamp(document.get("created_at") or document.get("timestamp"))
    if content:
        # The old form's names of values the declaration keeps under another key (date, location_name).
        aliases = {key for f in declared.fields for key in f.keys if key != f.key}
        signature_keys = {key for s in declared.signatures for key in s.keys}
        header = {
            key: text(value)
            for key, value in fields.items()
            if key not in items.legacy_arrays.values()
            and not _is_photo_url_key(key)
            and key not in signature_keys
            and key not in aliases
        }
        header.update({f.key: text(f.read(fields)) for f in declared.fields if f.read_keys})
        record.fields = header
        row = {key: text(fields.get(name)) for key, name in items.legacy_arrays.items() if name in fields}
        if any(row.values()):
            # dict(request.form) kept only the first work row (FORMAT.md §1.2): that row survives.
            record.items.append(NormalizedItem(fields={items.number_key: "1", **row}))
    for url, suffix in _photo_urls(document.get("files")):
        record.photos.append(PhotoRef(url, None, f"files{suffix}"))
    for _, url, key in _numbered_photo_urls(fields):
        record.photos.append(PhotoRef(url, None, f"fields.{key}"))
    _signatures(declared, fields, record, "fields.")


def _civil_json(document: dict[str, Any], record: NormalizedSubmission, content: bool) -> None:
    declared = declaration(SHAPES[record.shape])
    items = declared.items
    assert items is not None
    _columns(declared, document, record, "")
    record.created_at = parse_timestamp(document.get("created_at") or document.get("timestamp"))
    if content:
        skip = {*DOCUMENT_MACHINERY_KEYS, items.key, *(s.key for s in declared.signatures)}
        record.fields = {
            key: text(value)
            for key, value in document.items()
            if key not in skip and not isinstance(value, dict | list)
        }
    item_keys = (items.number_key, *(f.key for f in items.fields))
    for index, item in enumerate(document.get(items.key) or []):
        if not isinstance(item, dict):
            record.warnings.append(f"{items.key}[{index}] is not an object; skipped")
            continue
        photos = _photo_urls(item.get("photos"))
        if content:
            fields = {key: text(item.get(key)) for key in item_keys if key in item}
            fields |= _extras(item, {*item_keys, "photos"})
            fields.setdefault(items.number_key, str(index + 1))
            record.items.append(NormalizedItem(fields=fields, photos=[url for url, _ in photos]))
        record.photos.extend(PhotoRef(url, index, f"{items.key}[{index}].photos{suffix}") for url, suffix in photos)
    _signatures(declared, document, record, "")


def _cleaning(body: dict[str, Any], record: NormalizedSubmission, prefix: str, content: bool) -> None:
    declared = declaration(SHAPES[record.shape])
    photos = declared.photos
    assert photos is not None
    _columns(declared, body, record, prefix)
    if content:
        not_fields = {
            *DOCUMENT_MACHINERY_KEYS,
            photos.key,
            *photos.read_keys,
            *(key for s in declared.signatures for key in s.keys),
        }
        record.fields = {
            key: text(value)
            for key, value in body.items()
            if key not in not_fields and not _is_photo_url_key(key) and not isinstance(value, dict | list)
        }
    for key in photos.read_keys:
        for url, suffix in _photo_urls(body.get(key)):
            record.photos.append(PhotoRef(url, None, f"{prefix}{key}{suffix}"))
    for _, url, key in _numbered_photo_urls(body):
        record.photos.append(PhotoRef(url, None, f"{prefix}{key}"))
    _signatures(declared, body, record, prefix)


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
        module=module if isinstance(module, str) and is_declared(module) else None,
        status=status,
        progress=progress,
        excel_url=excel,
        pdf_url=pdf,
        error_message=error_text,
        created_at=parse_timestamp(document.get("created_at")) or parse_timestamp(meta.get("created_at")),
        completed_at=parse_timestamp(document.get("completed_at")),
        meta=meta,
    )
