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
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_POST

from audit.context import client_ip
from injaaz.csrf import answers_json
from jobs.selectors import JobStatusRow, job_download_url, job_latest_for_submission, job_status_get
from jobs.store import FILE_FIELDS, job_document
from jobs.views import not_modified
from submissions.inspector.forms import PHOTO_IDS, module_forms
from submissions.inspector.selectors import hvac_taxonomy
from submissions.inspector.submit import (
    SubmissionConflictError,
    SubmitOutcome,
    draft_from_forms,
    inspection_submit,
)
from submissions.inspector.views import RETRY_AFTER_SECONDS, base_url, replay_target
from submissions.legacy.store import LegacyWriteError
from submissions.models import Module, Submission, UploadedFile
from submissions.modules.registry import UnknownModuleError, by_url_prefix, declaration, declaration_or_none
from submissions.modules.types import FieldType, JobResults, ModuleDeclaration, Signature
from submissions.selectors import can_view_submission, photo_waiting_by_url
from submissions.services import SubmissionFilesUnavailableError
from submissions.uploads import StorageFailedError, UploadRejectedError, data_url_decode, photo_upload, photos_discard

logger = logging.getLogger(__name__)


class LegacyError(Exception):
    """Answer ``status`` with the route's error document."""

    def __init__(
        self, message: str, *, status: int = 400, errors: dict[str, Any] | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = errors or {}
        self.retry_after = retry_after


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
def upload_photo(request: HttpRequest, module: str | None = None, url_prefix: str | None = None) -> HttpResponse:
    """``POST /<module>/upload-photo`` with one file field ``photo`` (the browser forms use it too)."""
    if module is None:
        try:
            by_url_prefix(url_prefix or "")
        except UnknownModuleError as error:
            raise Http404("No such form.") from error
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
        self.client_key = client_key

    @cached_property
    def replay_of(self) -> Submission | None:
        """The submission this key already created: a retried request names the photos its first
        attempt claimed. Looked up once, and only for a request that names photos (issue 17)."""
        return replay_target(self.request.user, self.client_key)

    def replay_of_for(self, data: dict[str, str]) -> Submission | None:
        """``replay_of`` when the form ``data`` names photos (only they need it), else ``None``."""
        return self.replay_of if any(value for key, value in data.items() if key.endswith(PHOTO_IDS)) else None

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

    def item_photos(self, item: dict[str, Any], keys: tuple[str, ...]) -> list[UploadedFile]:
        """The photos an item names, under the first of ``keys`` the old client used."""
        references: Any = next((item[key] for key in keys if item.get(key)), [])
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


def _photo_ids(rows: list[UploadedFile]) -> str:
    return ",".join(str(row.pk) for row in rows)


def _submit(request: HttpRequest, draft: Any, client_key: str, collector: PhotoCollector) -> SubmitOutcome:
    try:
        outcome = inspection_submit(
            actor=request.user, draft=draft, client_key=client_key, submitted_by_ip=client_ip(request)
        )
    except SubmissionConflictError as error:
        raise LegacyError(str(error), status=409) from error
    except StorageFailedError as error:
        raise LegacyError(
            f"{error} Send the same request again.", status=503, retry_after=RETRY_AFTER_SECONDS
        ) from error
    except LegacyWriteError as error:
        # dual phase: the old app's files could not be written (logged with the cause), so nothing was.
        raise LegacyError(
            "Saving failed, so nothing was saved. Send the same request again in a minute.",
            status=503,
            retry_after=RETRY_AFTER_SECONDS,
        ) from error
    except SubmissionFilesUnavailableError as error:
        raise LegacyError(str(error), status=409) from error
    if not outcome.created:
        collector.discard()
    return outcome


def _job_id_of(submission: Submission) -> str | None:
    if submission.report_job_id is not None:  # just created: known, not read back
        return submission.report_job_id
    job = job_latest_for_submission(submission_id=submission.submission_id)  # a replay
    return job.job_id if job else None


def _job_fields(submission: Submission) -> dict[str, Any]:
    job_id = _job_id_of(submission)
    return {
        "job_id": job_id,
        "job_status_url": reverse(f"{submission.module}:status", args=[job_id]) if job_id else None,
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
                response = JsonResponse(document, status=error.status)
                if error.retry_after is not None:
                    response["Retry-After"] = str(error.retry_after)
                return response

        return wrapper

    return decorate


# --- one adapter per request shape ------------------------------------------------------------
#
# Each route is parse → photos → document → check → submit → respond. An adapter turns its
# request shape into a ``Parsed`` (form field → value, items, photos), reading the keys from the
# module's declaration; ``_check_and_submit`` validates it with the module's forms and submits it.


@dataclass
class Parsed:
    """A legacy request read into the browser form's terms.

    ``header``: form field → value (header fields and signatures). ``items``: per item, field key →
    value, with its photos in ``item_photos``. ``photos``: the form's own photos (or, for a module
    whose form has none, photos the request tied to no item).
    """

    header: dict[str, str] = field(default_factory=dict)
    items: list[dict[str, str]] = field(default_factory=list)
    item_photos: list[list[UploadedFile]] = field(default_factory=list)
    photos: list[UploadedFile] = field(default_factory=list)


@dataclass(frozen=True)
class ErrorNames:
    """How a route's clients name the fields, for its error document."""

    fields: dict[str, str] = field(default_factory=dict)
    items: str = "items"
    item: Callable[[int, str], str] | None = None


def _check_and_submit(
    request: HttpRequest,
    declared: ModuleDeclaration,
    parsed: Parsed,
    *,
    client_key: str,
    collector: PhotoCollector,
    names: ErrorNames,
) -> SubmitOutcome:
    data = QueryDict(mutable=True)
    for key, value in parsed.header.items():
        data[key] = value
    data["client_key"] = client_key
    own_photos: list[UploadedFile] = []
    if declared.photos is not None:
        data[PHOTO_IDS] = _photo_ids(parsed.photos)
    else:
        own_photos = parsed.photos
    items = declared.items
    if items is not None:
        data[f"{items.prefix}-TOTAL_FORMS"] = str(len(parsed.items))
        data[f"{items.prefix}-INITIAL_FORMS"] = "0"
        for index, values in enumerate(parsed.items):
            for key, value in values.items():
                data[f"{items.prefix}-{index}-{key}"] = value
            photos = parsed.item_photos[index] if index < len(parsed.item_photos) else []
            data[f"{items.prefix}-{index}-{PHOTO_IDS}"] = _photo_ids(photos)
    form, formset = module_forms(declared, data, user=request.user, replay_of=collector.replay_of_for(data))
    _check(form, formset, items_name=names.items, names=names.fields, item_name=names.item)
    draft = draft_from_forms(form, formset, base_url=base_url(request), photos=own_photos)
    return _submit(request, draft, client_key, collector)


def _json_header(declared: ModuleDeclaration, body: dict[str, Any]) -> dict[str, str]:
    """A JSON body's header fields and signatures, by their keys (and the old clients' aliases)."""
    header = {f.key: _text(f.read(body)) for f in declared.fields}
    for signature in declared.signatures:
        value = next((body[key] for key in signature.keys if body.get(key) not in (None, "")), "")
        if isinstance(value, dict):
            raise LegacyError(f"{signature.key} must be the signature pad's data URL (or empty).")
        header[signature.form_field] = _text(value)
    return header


def _json_items(declared: ModuleDeclaration, body: dict[str, Any], collector: PhotoCollector, parsed: Parsed) -> None:
    items = declared.items
    if items is None:
        return
    for item in body.get(items.key) or []:
        if not isinstance(item, dict):
            raise LegacyError(f"Each {items.item_label.lower()} must be an object.")
        parsed.item_photos.append(collector.item_photos(item, items.photos.read_keys if items.photos else ()))
        parsed.items.append({f.key: _text(item.get(f.key)) for f in items.fields})


def _numbered_keys(mapping: Any) -> list[str]:
    """``photo_url_<n>`` keys in number order."""
    return sorted(
        (key for key in mapping if key.startswith("photo_url_") and key[10:].isdigit()), key=lambda k: int(k[10:])
    )


def _json_photos(declared: ModuleDeclaration, body: dict[str, Any], collector: PhotoCollector) -> list[UploadedFile]:
    """The form's own photos of a JSON body: each declared list, then ``photo_url_<n>`` keys."""
    declared_photos = declared.photos
    if declared_photos is None:
        return []
    references: list[Any] = []
    for key in declared_photos.read_keys:
        references += list(body.get(key) or [])
    if declared_photos.numbered_keys:
        references += [body[key] for key in _numbered_keys(body) if body[key]]
    return [collector.from_reference(reference) for reference in references if _url_of(reference)]


def json_adapter(request: HttpRequest, declared: ModuleDeclaration, *, empty_refused: bool = False) -> SubmitOutcome:
    """The JSON shapes (``submit-with-urls``; cleaning's flat ``submit``): fields by their keys,
    items with their photos' URLs, the form's photos as URL lists or ``photo_url_<n>`` keys.
    ``empty_refused``: an empty object answers "No data received" (the old cleaning routes)."""
    body = _json_body(request)
    if empty_refused and not body:
        raise LegacyError("No data received")
    client_key = _client_key(request, body)
    with PhotoCollector(request, client_key) as collector:
        parsed = Parsed()
        parsed.photos = _json_photos(declared, body, collector)
        _json_items(declared, body, collector, parsed)
        parsed.header = _json_header(declared, body)
        for f in declared.fields:  # the form's selects always send a value
            if f.type == FieldType.CHOICE and f.default and not parsed.header.get(f.key):
                parsed.header[f.key] = f.default
        names = ErrorNames(
            fields={s.form_field: s.key for s in declared.signatures if s.form_field != s.key},
            items=declared.items.key if declared.items else "items",
        )
        return _check_and_submit(request, declared, parsed, client_key=client_key, collector=collector, names=names)


def _multipart_names(declared: ModuleDeclaration) -> ErrorNames:
    """Errors name a field by the key the old multipart form sent it under (its first read key)."""
    fields = {f.key: f.keys[0] for f in declared.fields if f.keys[0] != f.key}
    fields.update({s.form_field: s.keys[0] for s in declared.signatures if s.keys[0] != s.form_field})
    items = declared.items
    item: Callable[[int, str], str] | None = None
    if items is not None and items.legacy_arrays:
        arrays = items.legacy_arrays
        item = lambda row, name: f"{arrays.get(name, name)}[{row}]"  # noqa: E731
    elif items is not None and items.legacy_numbered:
        pattern = items.legacy_numbered
        item = lambda row, name: pattern.format(index=row, key="photo" if name == PHOTO_IDS else name)  # noqa: E731
    return ErrorNames(fields=fields, items=items.key if items else "items", item=item)


def _multipart_items(declared: ModuleDeclaration, post: Any, collector: PhotoCollector, parsed: Parsed) -> None:
    items = declared.items
    if items is None:
        return
    if items.legacy_arrays:
        # The old Civil UI: one array per column, every row kept (getlist).
        columns = {key: post.getlist(name) for key, name in items.legacy_arrays.items()}
        rows = max((len(values) for values in columns.values()), default=0)
        parsed.items = [
            {key: (values[i] if i < len(values) else "") for key, values in columns.items()} for i in range(rows)
        ]
        return
    pattern = items.legacy_numbered or "item_{index}_{key}"
    try:
        count = max(0, min(int(post.get("items_count") or 0), items.max_count))
    except ValueError as error:
        raise LegacyError("items_count must be a number") from error
    files = collector.request.FILES
    for index in range(count):
        parsed.item_photos.append(
            [
                collector.store(upload.read(), upload.name or "photo")
                for upload in files.getlist(pattern.format(index=index, key="photo"))
            ]
        )
        parsed.items.append({f.key: post.get(pattern.format(index=index, key=f.key), "") for f in items.fields})
    if not count and files:
        # One item sent without a count: every file part is its photo.
        parsed.item_photos.append(
            [collector.store(upload.read(), upload.name or "photo") for name in files for upload in files.getlist(name)]
        )
        parsed.items.append(
            {f.key: post.get(f.key) or post.get(pattern.format(index=0, key=f.key), "") for f in items.fields}
        )


def multipart_adapter(request: HttpRequest, declared: ModuleDeclaration) -> tuple[SubmitOutcome, list[dict[str, Any]]]:
    """The old multipart posts (``/hvac-mep/submit``, ``/civil/submit``): fields under the old
    form's names, items as numbered fields or column arrays, photos as file parts or
    ``photo_url_<n>`` keys. Returns the outcome and the file parts stored (Civil lists them)."""
    post = request.POST
    client_key = _client_key(request, post)
    with PhotoCollector(request, client_key) as collector:
        parsed = Parsed()
        parsed.header = {f.key: _text(f.read(post)) for f in declared.fields}
        for signature in declared.signatures:
            parsed.header[signature.form_field] = _text(signature_value(signature, post))
        _multipart_items(declared, post, collector, parsed)
        files: list[dict[str, Any]] = []
        if declared.items is None or declared.items.legacy_arrays:
            # Photos of no item: photo_url_<n> keys, then the file parts.
            parsed.photos = [collector.from_reference(post[key]) for key in _numbered_keys(post) if post[key]]
            for field_name in request.FILES:
                for upload in request.FILES.getlist(field_name):
                    row = collector.store(upload.read(), upload.name or "photo")
                    parsed.photos.append(row)
                    files.append({"field": field_name, "saved": None, "url": row.cloudinary_url, "is_cloud": True})
        outcome = _check_and_submit(
            request, declared, parsed, client_key=client_key, collector=collector, names=_multipart_names(declared)
        )
    return outcome, files


def signature_value(signature: Signature, mapping: Any) -> Any:
    return next((mapping.get(key) for key in signature.keys if mapping.get(key)), "")


# --- the routes -------------------------------------------------------------------------------


@require_POST
@json_login_required
@legacy_route("status")
def hvac_submit_with_urls(request: HttpRequest) -> HttpResponse:
    """JSON ``{site_name, visit_date, tech_signature, opMan_signature, items:[{asset, system,
    description, photo_urls:[...]}]}`` → ``{"status":"ok","submission_id","job_id","job_status_url"}``."""
    submission = json_adapter(request, declaration(Module.HVAC_MEP)).submission
    return JsonResponse({"status": "ok", "submission_id": submission.submission_id, **_job_fields(submission)})


@require_POST
@json_login_required
@legacy_route("error")
def hvac_submit(request: HttpRequest) -> HttpResponse:
    """Multipart ``site_name, visit_date, items_count, item_{i}_asset|system|description`` with
    files ``item_{i}_photo`` → ``{"status":"queued","job_id","submission_id","items"}``."""
    outcome, _ = multipart_adapter(request, declaration(Module.HVAC_MEP))
    submission = outcome.submission
    job_id = _job_id_of(submission)
    return JsonResponse(
        {
            "status": "queued",
            "job_id": job_id,
            "submission_id": submission.submission_id,
            "items": len(submission.form_data.get("items", [])),
        }
    )


@require_GET
@json_login_required
def hvac_dropdowns(request: HttpRequest) -> HttpResponse:
    """The taxonomy in the old ``dropdown_data.json`` shape."""
    return JsonResponse(hvac_taxonomy())


@require_POST
@json_login_required
@legacy_route("error")
def civil_submit(request: HttpRequest) -> HttpResponse:
    """The old Civil UI's multipart post: every work row is kept (``getlist``), ``location`` or the
    form's ``location_name`` is the location, ``photo_url_<n>`` and file parts are the photos
    → ``{"status":"queued","job_id","submission_id","files":[{field, saved, url, is_cloud}]}``."""
    outcome, files = multipart_adapter(request, declaration(Module.CIVIL))
    submission = outcome.submission
    job_id = _job_id_of(submission)
    return JsonResponse(
        {
            "status": "queued",
            "job_id": job_id,
            "submission_id": submission.submission_id,
            "files": files,
        }
    )


@require_POST
@json_login_required
@legacy_route("status")
def civil_submit_with_urls(request: HttpRequest) -> HttpResponse:
    """JSON in the 8bf53f5 shape (``work_items`` with their photos) → ``{"status":"ok",...}``."""
    submission = json_adapter(request, declaration(Module.CIVIL)).submission
    return JsonResponse({"status": "ok", "submission_id": submission.submission_id, **_job_fields(submission)})


@require_GET
@json_login_required
def civil_dropdowns(request: HttpRequest) -> HttpResponse:
    return JsonResponse({})


@require_POST
@json_login_required
@legacy_route("error")
def cleaning_submit(request: HttpRequest) -> HttpResponse:
    """The flat JSON of the cleaning form → **202** ``{"status":"queued","job_id","submission_id"}``."""
    submission = json_adapter(request, declaration(Module.CLEANING), empty_refused=True).submission
    job_id = _job_id_of(submission)
    return JsonResponse(
        {"status": "queued", "job_id": job_id, "submission_id": submission.submission_id},
        status=202,
    )


@require_POST
@json_login_required
@legacy_route("error")
def cleaning_submit_with_urls(request: HttpRequest) -> HttpResponse:
    """The same flat JSON → 200 ``{"status":"queued","job_id","submission_id","job_status_url"}``."""
    submission = json_adapter(request, declaration(Module.CLEANING), empty_refused=True).submission
    return JsonResponse({"status": "queued", "submission_id": submission.submission_id, **_job_fields(submission)})


# --- job status -----------------------------------------------------------------------------


def legacy_job_document(request: HttpRequest, job: JobStatusRow) -> dict[str, Any]:
    """A job as the old app's job file looked (FORMAT.md §2), in the module's results shape
    (``DocumentShape.job_results``), written by the job files' writer (``jobs.store.job_document``).

    The report URLs are the authorised download links (``jobs.selectors.job_download_url``).
    """
    declared = declaration_or_none(job.module)
    values = {name: getattr(job, name, None) for name in FILE_FIELDS}
    values.update(
        excel_url=job_download_url(job, "excel", request=request) or "",
        pdf_url=job_download_url(job, "pdf", request=request) or "",
        error_message=job.error_message or "Report generation failed",
    )
    meta = {"submission_id": job.submission_id, "module": job.module}
    style = declared.document.job_results if declared is not None else JobResults.URLS
    return job_document(job_id=job.job_id, values=values, meta=meta, style=style)


@require_GET
@json_login_required
def job_status(request: HttpRequest, module: str, job_id: str) -> HttpResponse:
    """``GET /<module>/status/<job_id>`` (cleaning: ``/job-status/``): the job in the old shape,
    keys sorted as Flask's ``jsonify`` sorted them; 404 for unknown jobs and other people's.
    Answers carry an ``ETag``; a poll that sends it back gets ``304`` while the job has not moved."""
    job = job_status_get(job_id=job_id)
    submission = job.submission() if job is not None else None
    if job is None or submission is None or not can_view_submission(request.user, submission):
        return JsonResponse({"error": declaration(module).document.unknown_job}, status=404)
    response = not_modified(request, job.etag) or JsonResponse(
        legacy_job_document(request, job), json_dumps_params={"sort_keys": True}
    )
    response["ETag"] = job.etag
    # Clients may keep the answer but must ask again (with the ETag) before using it.
    patch_cache_control(response, private=True, no_cache=True)
    return response
