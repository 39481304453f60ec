"""The old app's JSON routes (FORMAT.md §5), answering with its response shapes for logged-in clients.

Existing clients keep working through the migration: the same paths, request formats and
response keys (Injaaz adds keys, never renames them). Unlike the old app they need a session
(an anonymous call answers 401 with the login URL), send the CSRF token, and go through the
same validation and ``inspection_submit`` as the browser forms, so the documents they produce
are the one shape per module. An ``Idempotency-Key`` header (or a ``client_key`` field) makes a
submit idempotent; the old clients sent none, and without one every call creates a submission,
as before.
"""

from __future__ import annotations

import json
import logging
import posixpath
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_POST

from audit.context import client_ip
from injaaz.csrf import answers_json
from jobs.models import Job, JobStatus
from jobs.selectors import JobStatusRow, job_download_url, job_latest_for_submission, job_status_get
from jobs.views import not_modified
from submissions.inspector.forms import CivilForm, CleaningForm, HvacForm, HvacItemFormSet, WorkItemFormSet
from submissions.inspector.selectors import hvac_taxonomy
from submissions.inspector.submit import (
    SubmissionConflictError,
    SubmitOutcome,
    civil_draft,
    cleaning_draft,
    hvac_draft,
    inspection_submit,
)
from submissions.inspector.views import base_url, replay_target
from submissions.models import Module, Submission, UploadedFile
from submissions.selectors import can_view_submission, photo_waiting_by_url
from submissions.services import SubmissionFilesUnavailableError
from submissions.uploads import StorageFailedError, UploadRejectedError, data_url_decode, photo_upload, photos_discard

logger = logging.getLogger(__name__)

STATUS_ROUTES = {Module.HVAC_MEP: "hvac_mep:status", Module.CIVIL: "civil:status", Module.CLEANING: "cleaning:status"}
UNKNOWN_JOB = {Module.HVAC_MEP: "unknown job", Module.CIVIL: "unknown job", Module.CLEANING: "Job not found"}


class LegacyError(Exception):
    """Answer ``status`` with the route's error document."""

    def __init__(self, message: str, *, status: int = 400, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = errors or {}


def json_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @answers_json
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            login = reverse("login") + "?" + urlencode({"next": request.get_full_path()})
            return JsonResponse({"error": "Authentication required", "login_url": login}, status=401)
        return view(request, *args, **kwargs)

    return wrapper


# --- uploads --------------------------------------------------------------------------------


@require_POST
@json_login_required
def upload_photo(request: HttpRequest, module: str) -> HttpResponse:
    """``POST /<module>/upload-photo`` with one file field ``photo`` (the browser forms use it too)."""
    upload = request.FILES.get("photo")
    if upload is None:
        return JsonResponse({"success": False, "error": "No photo file provided"}, status=400)
    if not upload.name:
        return JsonResponse({"success": False, "error": "Empty filename"}, status=400)
    try:
        if (upload.size or 0) > settings.INJAAZ_UPLOAD_MAX_BYTES:
            raise UploadRejectedError(
                f"The file is larger than {settings.INJAAZ_UPLOAD_MAX_BYTES // (1024 * 1024)} MB."
            )
        row = photo_upload(actor=request.user, data=upload.read(), original_filename=upload.name)
    except UploadRejectedError as error:
        return JsonResponse({"success": False, "error": str(error)}, status=400)
    except StorageFailedError as error:
        return JsonResponse({"success": False, "error": f"{error} Try this photo again."}, status=503)
    return JsonResponse(
        {
            "success": True,
            "url": row.cloudinary_url,
            "filename": None,
            "id": row.pk,
            "name": row.storage_name,
            "view_url": reverse("stored_file", kwargs={"name": row.storage_name}),
        }
    )


# --- helpers for the submit routes ----------------------------------------------------------


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LegacyError("No data received", errors={"body": ["The body is not JSON."]}) from error
    if not isinstance(body, dict):
        raise LegacyError("No data received", errors={"body": ["The body is not a JSON object."]})
    return body


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _client_key(request: HttpRequest, body: Any) -> str:
    key = request.headers.get("Idempotency-Key") or (body.get("client_key") if hasattr(body, "get") else None)
    return str(key) if key else uuid.uuid4().hex


def _url_of(reference: Any) -> str:
    if isinstance(reference, dict):
        return str(reference.get("url") or "")
    return str(reference or "")


class PhotoCollector:
    """Resolves the photos a legacy request names: upload-route URLs of the caller's waiting
    photos, base64 data URLs and multipart file parts (both stored now, removed again if the
    request does not end in a submission)."""

    def __init__(self, request: HttpRequest, client_key: str) -> None:
        self.request = request
        self.stored_now: list[UploadedFile] = []
        # A retried request names the photos its first attempt already claimed.
        self.replay_of = replay_target(request.user, client_key)

    def from_reference(self, reference: Any) -> UploadedFile:
        url = _url_of(reference)
        if url.startswith("data:"):
            try:
                data = data_url_decode(url)
            except UploadRejectedError as error:
                raise LegacyError(f"A photo could not be read: {error}") from error
            return self.store(data, "photo")
        row = photo_waiting_by_url(user=self.request.user, url=url, replay_of=self.replay_of)
        if row is None and url.startswith(("http://", "https://")):
            # The upload route answers relative URLs; a client may have made it absolute.
            row = photo_waiting_by_url(user=self.request.user, url=urlsplit(url).path, replay_of=self.replay_of)
        if row is None:
            raise LegacyError(
                f"Unknown photo URL {url[:200]!r}: upload each photo with upload-photo first "
                "(a photo can be used by one submission only)."
            )
        return row

    def store(self, data: bytes, name: str) -> UploadedFile:
        try:
            row = photo_upload(actor=self.request.user, data=data, original_filename=name)
        except UploadRejectedError as error:
            raise LegacyError(f"Photo {name!r} was not accepted: {error}") from error
        self.stored_now.append(row)
        return row

    def item_photos(self, item: dict[str, Any]) -> list[UploadedFile]:
        """The photos an item names, under either key the old clients used."""
        references = item.get("photo_urls") or item.get("photos") or []
        return [self.from_reference(reference) for reference in references]

    def discard(self) -> None:
        photos_discard(self.stored_now)
        self.stored_now = []

    def __enter__(self) -> PhotoCollector:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        # A request that does not end in a submission leaves none of the photos it stored.
        if kind is not None:
            self.discard()


def _error_document(form_errors: dict[str, list[dict[str, str]]]) -> tuple[str, dict[str, list[str]]]:
    missing = [name for name, errors in form_errors.items() if any(e.get("code") == "required" for e in errors)]
    messages = {name: [e["message"] for e in errors] for name, errors in form_errors.items()}
    if missing:
        return f"Missing required fields: {', '.join(missing)}", messages
    first = next(iter(messages.items()))
    return f"{first[0]}: {' '.join(first[1])}", messages


def _check(
    form: Any,
    formset: Any = None,
    *,
    items_name: str = "items",
    names: dict[str, str] | None = None,
    item_name: Callable[[int, str], str] | None = None,
) -> None:
    """Raise a ``LegacyError`` naming the fields the way the route's clients name them
    (``names``: form field → request key; ``item_name``: (row, field) → request key)."""
    valid = form.is_valid()
    valid = (formset.is_valid() if formset is not None else True) and valid
    if valid:
        return
    names = names or {}
    errors: dict[str, list[dict[str, str]]] = {}
    for name, details in form.errors.get_json_data().items():
        errors["form" if name == "__all__" else names.get(name, name)] = list(details)
    if formset is not None:
        for index, item_errors in enumerate(formset.errors):
            for name, details in item_errors.get_json_data().items():
                key = item_name(index, name) if item_name else f"{items_name}[{index}].{name}"
                errors[key] = list(details)
        if non_form := formset.non_form_errors().get_json_data():
            errors[items_name] = list(non_form)
    message, messages = _error_document(errors)
    raise LegacyError(message, errors=messages)


def _items_data(prefix: str, items: list[dict[str, Any]]) -> dict[str, str]:
    data = {f"{prefix}-TOTAL_FORMS": str(len(items)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, item in enumerate(items):
        for key, value in item.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def _photo_ids(rows: list[UploadedFile]) -> str:
    return ",".join(str(row.pk) for row in rows)


def _querydict(data: dict[str, str]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        query[key] = value
    return query


def _submit(request: HttpRequest, draft: Any, client_key: str, collector: PhotoCollector) -> SubmitOutcome:
    try:
        outcome = inspection_submit(
            actor=request.user, draft=draft, client_key=client_key, submitted_by_ip=client_ip(request)
        )
    except SubmissionConflictError as error:
        raise LegacyError(str(error), status=409) from error
    except StorageFailedError as error:
        raise LegacyError(f"{error} Send the same request again.", status=503) from error
    except SubmissionFilesUnavailableError as error:
        raise LegacyError(str(error), status=409) from error
    if not outcome.created:
        collector.discard()
    return outcome


def _job_of(submission: Submission) -> Job | None:
    return job_latest_for_submission(submission_id=submission.submission_id)


def _job_fields(module: str, submission: Submission) -> dict[str, Any]:
    job = _job_of(submission)
    return {
        "job_id": job.job_id if job else None,
        "job_status_url": reverse(STATUS_ROUTES[Module(module)], args=[job.job_id]) if job else None,
    }


def legacy_route(error_style: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Turn ``LegacyError`` into the route's old error document (``status``+``error`` or ``error``)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except LegacyError as error:
                document: dict[str, Any] = {"error": error.message}
                if error_style == "status":
                    document = {"status": "error", **document}
                if error.errors:
                    document["errors"] = error.errors
                return JsonResponse(document, status=error.status)

        return wrapper

    return decorate


# --- HVAC -----------------------------------------------------------------------------------


def _hvac_forms(request: HttpRequest, data: dict[str, str], replay_of: Any) -> tuple[HvacForm, Any]:
    taxonomy = hvac_taxonomy()
    form = HvacForm(_querydict(data), user=request.user, replay_of=replay_of)
    formset = HvacItemFormSet(
        _querydict(data),
        prefix="items",
        form_kwargs={"user": request.user, "taxonomy": taxonomy, "replay_of": replay_of},
    )
    return form, formset


@require_POST
@json_login_required
@legacy_route("status")
def hvac_submit_with_urls(request: HttpRequest) -> HttpResponse:
    """JSON ``{site_name, visit_date, tech_signature, opMan_signature, items:[{asset, system,
    description, photo_urls:[...]}]}`` → ``{"status":"ok","submission_id","job_id","job_status_url"}``."""
    body = _json_body(request)
    client_key = _client_key(request, body)
    with PhotoCollector(request, client_key) as collector:
        items = []
        for item in body.get("items") or []:
            if not isinstance(item, dict):
                raise LegacyError("Each item must be an object.")
            photos = collector.item_photos(item)
            items.append(
                {
                    "asset": _text(item.get("asset")),
                    "system": _text(item.get("system")),
                    "description": _text(item.get("description")),
                    "photo_ids": _photo_ids(photos),
                }
            )
        data = {
            "site_name": _text(body.get("site_name")),
            "visit_date": _text(body.get("visit_date")),
            "tech_signature": _text(body.get("tech_signature")),
            "opman_signature": _text(body.get("opMan_signature") or body.get("opman_signature")),
            "client_key": client_key,
            **_items_data("items", items),
        }
        form, formset = _hvac_forms(request, data, collector.replay_of)
        _check(form, formset, names={"opman_signature": "opMan_signature"})
        outcome = _submit(request, hvac_draft(form, formset, base_url=base_url(request)), client_key, collector)
    submission = outcome.submission
    return JsonResponse(
        {"status": "ok", "submission_id": submission.submission_id, **_job_fields(Module.HVAC_MEP, submission)}
    )


@require_POST
@json_login_required
@legacy_route("error")
def hvac_submit(request: HttpRequest) -> HttpResponse:
    """Multipart ``site_name, visit_date, items_count, item_{i}_asset|system|description`` with
    files ``item_{i}_photo`` → ``{"status":"queued","job_id","submission_id","items"}``."""
    post = request.POST
    client_key = _client_key(request, post)
    with PhotoCollector(request, client_key) as collector:
        try:
            count = max(0, min(int(post.get("items_count") or 0), 200))
        except ValueError as error:
            raise LegacyError("items_count must be a number") from error
        items = []
        if count:
            for index in range(count):
                photos = [
                    collector.store(upload.read(), upload.name or "photo")
                    for upload in request.FILES.getlist(f"item_{index}_photo")
                ]
                items.append(
                    {
                        "asset": post.get(f"item_{index}_asset", ""),
                        "system": post.get(f"item_{index}_system", ""),
                        "description": post.get(f"item_{index}_description", ""),
                        "photo_ids": _photo_ids(photos),
                    }
                )
        elif request.FILES:
            photos = [
                collector.store(upload.read(), upload.name or "photo")
                for name in request.FILES
                for upload in request.FILES.getlist(name)
            ]
            items.append(
                {
                    "asset": post.get("asset") or post.get("item_0_asset", ""),
                    "system": post.get("system") or post.get("item_0_system", ""),
                    "description": post.get("description") or post.get("item_0_description", ""),
                    "photo_ids": _photo_ids(photos),
                }
            )
        data = {
            "site_name": post.get("site_name", ""),
            "visit_date": post.get("visit_date", ""),
            "tech_signature": post.get("tech_signature") or post.get("tech_signature_data", ""),
            "opman_signature": post.get("opMan_signature") or post.get("opManSignatureData", ""),
            "client_key": client_key,
            **_items_data("items", items),
        }
        form, formset = _hvac_forms(request, data, collector.replay_of)
        _check(
            form,
            formset,
            names={"opman_signature": "opMan_signature"},
            item_name=lambda row, name: f"item_{row}_{'photo' if name == 'photo_ids' else name}",
        )
        outcome = _submit(request, hvac_draft(form, formset, base_url=base_url(request)), client_key, collector)
    submission = outcome.submission
    job = _job_of(submission)
    return JsonResponse(
        {
            "status": "queued",
            "job_id": job.job_id if job else None,
            "submission_id": submission.submission_id,
            "items": len(submission.form_data.get("items", [])),
        }
    )


@require_GET
@json_login_required
def hvac_dropdowns(request: HttpRequest) -> HttpResponse:
    """The taxonomy in the old ``dropdown_data.json`` shape."""
    return JsonResponse(hvac_taxonomy())


# --- Civil ----------------------------------------------------------------------------------

CIVIL_WORK_ARRAYS = {
    "description": "work_desc[]",
    "quantity": "work_qty[]",
    "material": "material[]",
    "material_qty": "material_qty[]",
    "price": "price[]",
    "labour": "labour[]",
}
CIVIL_TEXT_FIELDS = (
    "project_name",
    "description_of_work",
    "floor",
    "developer_client",
    "city_area",
    "estimated_time",
    "estimated_completion",
    "inspector_name",
    "manager_name",
)


def _civil_forms(request: HttpRequest, data: dict[str, str], replay_of: Any) -> tuple[CivilForm, Any]:
    form = CivilForm(_querydict(data), user=request.user, replay_of=replay_of)
    formset = WorkItemFormSet(
        _querydict(data), prefix="work", form_kwargs={"user": request.user, "replay_of": replay_of}
    )
    return form, formset


@require_POST
@json_login_required
@legacy_route("error")
def civil_submit(request: HttpRequest) -> HttpResponse:
    """The old Civil UI's multipart post: every work row is kept (``getlist``), ``location`` or the
    form's ``location_name`` is the location, ``photo_url_<n>`` and file parts are the photos
    → ``{"status":"queued","job_id","submission_id","files":[{field, saved, url, is_cloud}]}``."""
    post = request.POST
    client_key = _client_key(request, post)
    with PhotoCollector(request, client_key) as collector:
        columns = {key: post.getlist(name) for key, name in CIVIL_WORK_ARRAYS.items()}
        rows = max((len(values) for values in columns.values()), default=0)
        items = [{key: (values[i] if i < len(values) else "") for key, values in columns.items()} for i in range(rows)]
        url_keys = sorted(
            (key for key in post if key.startswith("photo_url_") and key[10:].isdigit()), key=lambda k: int(k[10:])
        )
        photos = [collector.from_reference(post[key]) for key in url_keys if post[key]]
        files = []
        for field_name in request.FILES:
            for upload in request.FILES.getlist(field_name):
                row = collector.store(upload.read(), upload.name or "photo")
                photos.append(row)
                files.append({"field": field_name, "saved": None, "url": row.cloudinary_url, "is_cloud": True})
        data = {
            **{key: post.get(key, "") for key in CIVIL_TEXT_FIELDS},
            "location": post.get("location") or post.get("location_name", ""),
            "visit_date": post.get("date") or post.get("visit_date", ""),
            "inspector_signature": post.get("tech_signature") or post.get("inspector_signature", ""),
            "manager_signature": post.get("op_signature") or post.get("manager_signature", ""),
            "client_key": client_key,
            **_items_data("work", items),
        }
        form, formset = _civil_forms(request, data, collector.replay_of)
        _check(
            form,
            formset,
            names={"visit_date": "date", "inspector_signature": "tech_signature", "manager_signature": "op_signature"},
            item_name=lambda row, name: f"{CIVIL_WORK_ARRAYS.get(name, name)}[{row}]",
        )
        draft = civil_draft(form, formset, base_url=base_url(request), photos=photos)
        outcome = _submit(request, draft, client_key, collector)
    submission = outcome.submission
    job = _job_of(submission)
    return JsonResponse(
        {
            "status": "queued",
            "job_id": job.job_id if job else None,
            "submission_id": submission.submission_id,
            "files": files,
        }
    )


@require_POST
@json_login_required
@legacy_route("status")
def civil_submit_with_urls(request: HttpRequest) -> HttpResponse:
    """JSON in the 8bf53f5 shape (``work_items`` with their photos) → ``{"status":"ok",...}``."""
    body = _json_body(request)
    client_key = _client_key(request, body)
    with PhotoCollector(request, client_key) as collector:
        items = []
        for item in body.get("work_items") or []:
            if not isinstance(item, dict):
                raise LegacyError("Each work item must be an object.")
            photos = collector.item_photos(item)
            items.append({**{key: _text(item.get(key)) for key in CIVIL_WORK_ARRAYS}, "photo_ids": _photo_ids(photos)})
        data = {
            **{key: _text(body.get(key)) for key in CIVIL_TEXT_FIELDS},
            "location": _text(body.get("location")),
            "visit_date": _text(body.get("visit_date")),
            "inspector_signature": _text(body.get("inspector_signature")),
            "manager_signature": _text(body.get("manager_signature")),
            "client_key": client_key,
            **_items_data("work", items),
        }
        form, formset = _civil_forms(request, data, collector.replay_of)
        _check(form, formset, items_name="work_items")
        outcome = _submit(request, civil_draft(form, formset, base_url=base_url(request)), client_key, collector)
    submission = outcome.submission
    return JsonResponse(
        {"status": "ok", "submission_id": submission.submission_id, **_job_fields(Module.CIVIL, submission)}
    )


@require_GET
@json_login_required
def civil_dropdowns(request: HttpRequest) -> HttpResponse:
    return JsonResponse({})


# --- Cleaning -------------------------------------------------------------------------------


def _cleaning_submit(request: HttpRequest) -> SubmitOutcome:
    body = _json_body(request)
    if not body:
        raise LegacyError("No data received")
    client_key = _client_key(request, body)
    with PhotoCollector(request, client_key) as collector:
        references: list[Any] = list(body.get("photos") or []) + list(body.get("photo_urls") or [])
        url_keys = sorted(
            (key for key in body if key.startswith("photo_url_") and key[10:].isdigit()), key=lambda k: int(k[10:])
        )
        references += [body[key] for key in url_keys if body[key]]
        photos = [collector.from_reference(reference) for reference in references if _url_of(reference)]
        data = {
            name: _text(body.get(name))
            for name in CleaningForm.base_fields
            if name not in ("photo_ids", "client_key") and body.get(name) is not None
        }
        for name, field in CleaningForm.base_fields.items():
            if isinstance(field, forms.ChoiceField) and not data.get(name):
                data[name] = str(field.initial)  # the form's selects always send a value
        for name in ("tech_signature", "contact_signature"):
            value = body.get(name)
            if isinstance(value, dict):
                raise LegacyError(f"{name} must be the signature pad's data URL (or empty).")
        data.update({"photo_ids": _photo_ids(photos), "client_key": client_key})
        form = CleaningForm(_querydict(data), user=request.user, replay_of=collector.replay_of)
        _check(form)
        return _submit(request, cleaning_draft(form, base_url=base_url(request)), client_key, collector)


@require_POST
@json_login_required
@legacy_route("error")
def cleaning_submit(request: HttpRequest) -> HttpResponse:
    """The flat JSON of the cleaning form → **202** ``{"status":"queued","job_id","submission_id"}``."""
    submission = _cleaning_submit(request).submission
    job = _job_of(submission)
    return JsonResponse(
        {"status": "queued", "job_id": job.job_id if job else None, "submission_id": submission.submission_id},
        status=202,
    )


@require_POST
@json_login_required
@legacy_route("error")
def cleaning_submit_with_urls(request: HttpRequest) -> HttpResponse:
    """The same flat JSON → 200 ``{"status":"queued","job_id","submission_id","job_status_url"}``."""
    submission = _cleaning_submit(request).submission
    return JsonResponse(
        {"status": "queued", "submission_id": submission.submission_id, **_job_fields(Module.CLEANING, submission)}
    )


# --- job status -----------------------------------------------------------------------------


def legacy_job_document(request: HttpRequest, job: JobStatusRow) -> dict[str, Any]:
    """A job as the old app's job file looked (FORMAT.md §2), one results shape per module.

    The report URLs are the authorised download links (``jobs.selectors.job_download_url``).
    """
    module = job.module
    excel = job_download_url(job, "excel", request=request) or ""
    pdf = job_download_url(job, "pdf", request=request) or ""
    results: Any = []
    if job.status == JobStatus.FAILED:
        error = job.error_message or "Report generation failed"
        results = [{"error": error}] if module == Module.CIVIL else {"error": error}
    elif job.status == JobStatus.DONE:
        if module == Module.HVAC_MEP:
            results = {"excel_url": excel, "pdf_url": pdf}
        elif module == Module.CIVIL:
            results = [{"filename": posixpath.basename(urlsplit(url).path), "url": url} for url in (excel, pdf) if url]
        else:
            results = {"excel": excel, "pdf": pdf}
    document: dict[str, Any] = {
        "job_id": job.job_id,
        "state": job.status,
        "progress": job.progress,
        "results": results,
        "meta": {"submission_id": job.submission_id, "module": module},
        "created_at": job.created_at.timestamp() if job.created_at else None,
    }
    if job.completed_at:
        document["completed_at"] = job.completed_at.timestamp()
    return document


@require_GET
@json_login_required
def job_status(request: HttpRequest, module: str, job_id: str) -> HttpResponse:
    """``GET /<module>/status/<job_id>`` (cleaning: ``/job-status/``): the job in the old shape,
    keys sorted as Flask's ``jsonify`` sorted them; 404 for unknown jobs and other people's.
    Answers carry an ``ETag``; a poll that sends it back gets ``304`` while the job has not moved."""
    job = job_status_get(job_id=job_id)
    submission = job.submission() if job is not None else None
    if job is None or submission is None or not can_view_submission(request.user, submission):
        return JsonResponse({"error": UNKNOWN_JOB[Module(module)]}, status=404)
    response = not_modified(request, job.etag) or JsonResponse(
        legacy_job_document(request, job), json_dumps_params={"sort_keys": True}
    )
    response["ETag"] = job.etag
    # Clients may keep the answer but must ask again (with the ETag) before using it.
    patch_cache_control(response, private=True, no_cache=True)
    return response
