"""Inspector pages: the three forms, "My submissions", a submission's page, stored files.

Views are thin: a form validates, ``submissions.inspector.submit.inspection_submit`` creates, the page
answers. Reads go through ``submissions.selectors`` (the one permission rule); another
inspector's submission or file is a 404, as if it did not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import FileSystemStorage
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods

from audit.context import client_ip
from injaaz.storages import content_type_for
from jobs.selectors import job_latest_for_submission, job_status_payload
from review.selectors import decisions_for, review_summaries
from submissions.ids import CLIENT_KEY_RE
from submissions.inspector.display import document_display
from submissions.inspector.documents import Draft
from submissions.inspector.forms import (
    CivilForm,
    CleaningForm,
    HvacForm,
    HvacItemFormSet,
    WorkItemFormSet,
    photos_per_item,
)
from submissions.inspector.selectors import hvac_taxonomy
from submissions.inspector.submit import (
    SubmissionConflictError,
    civil_draft,
    cleaning_draft,
    hvac_draft,
    inspection_submit,
)
from submissions.models import Module, Submission, UploadedFile
from submissions.router import submission_get
from submissions.selectors import (
    can_view_submission,
    photos_waiting,
    stored_file_get,
    submission_for_client_key,
    submission_list,
)
from submissions.services import SubmissionFilesUnavailableError
from submissions.uploads import StorageFailedError, UploadRejectedError, file_storage, photo_upload, photos_discard

PAGE_SIZE = 20
MAX_PAGE = 1_000_000  # 20 million rows deep: further is no list anyone pages through


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@dataclass(frozen=True)
class FormSpec:
    module: str
    title: str
    template: str
    upload_url_name: str
    formset_class: Any = None
    formset_prefix: str = ""


SPECS = {
    Module.HVAC_MEP: FormSpec(
        Module.HVAC_MEP,
        "HVAC & MEP inspection",
        "submissions/inspector/hvac_form.html",
        "hvac_mep:upload_photo",
        HvacItemFormSet,
        "items",
    ),
    Module.CIVIL: FormSpec(
        Module.CIVIL,
        "Civil works report",
        "submissions/inspector/civil_form.html",
        "civil:upload_photo",
        WorkItemFormSet,
        "work",
    ),
    Module.CLEANING: FormSpec(
        Module.CLEANING, "Cleaning assessment", "submissions/inspector/cleaning_form.html", "cleaning:upload_photo"
    ),
}


def _photo_prefixes(spec: FormSpec, data: Any) -> list[str]:
    """The form prefixes that carry photos: one per item, or the form itself (cleaning)."""
    if not spec.formset_class:
        return [""]
    try:
        total = min(int(data.get(f"{spec.formset_prefix}-TOTAL_FORMS", 0)), 200)
    except (TypeError, ValueError):
        total = 0
    return [f"{spec.formset_prefix}-{index}" for index in range(total)]


def _field_name(prefix: str, name: str) -> str:
    return f"{prefix}-{name}" if prefix else name


def _store_posted_photos(
    request: HttpRequest, spec: FormSpec, data: Any
) -> tuple[dict[str, list[str]], list[UploadedFile]]:
    """Photos posted with the form itself (the form works without JavaScript): store each as a
    waiting upload and add it to its item's photo ids. Returns rejections by prefix and the rows
    stored now. A storage failure removes what this request stored and raises ``StorageFailedError``.
    """
    errors: dict[str, list[str]] = {}
    stored: list[UploadedFile] = []
    for prefix in _photo_prefixes(spec, data):
        files = request.FILES.getlist(_field_name(prefix, "photos"))
        ids_field = _field_name(prefix, "photo_ids")
        for upload in files:
            if (upload.size or 0) > settings.INJAAZ_UPLOAD_MAX_BYTES:
                limit = settings.INJAAZ_UPLOAD_MAX_BYTES // (1024 * 1024)
                errors.setdefault(prefix, []).append(f"{upload.name}: the file is larger than {limit} MB.")
                continue
            try:
                row = photo_upload(actor=request.user, data=upload.read(), original_filename=upload.name or "")
            except UploadRejectedError as error:
                errors.setdefault(prefix, []).append(f"{upload.name}: {error}")
                continue
            except StorageFailedError:
                photos_discard(stored)
                raise
            stored.append(row)
            current = [part for part in str(data.get(ids_field, "")).split(",") if part]
            data[ids_field] = ",".join([*current, str(row.pk)])
    return errors, stored


def _attach_photo_rows(user: Any, forms_with_photos: list[Any]) -> None:
    """Give each form ``photo_rows`` (its waiting photos) for thumbnails when re-rendered."""
    for form in forms_with_photos:
        raw = form.data.get(form.add_prefix("photo_ids"), "") if form.is_bound else ""
        ids = [int(part) for part in str(raw).split(",") if part.strip().isdigit()]
        found = photos_waiting(user=user, ids=ids)
        form.photo_rows = [found[pk] for pk in ids if pk in found]


def replay_target(user: Any, client_key: Any) -> Submission | None:
    """The submission ``client_key`` already created for ``user``, if this is a retried submit."""
    key = str(client_key or "")
    if not CLIENT_KEY_RE.match(key):
        return None
    existing = submission_for_client_key(key)
    return existing if existing is not None and existing.user_id == getattr(user, "pk", None) else None


def _build_forms(spec: FormSpec, request: HttpRequest, data: Any | None, taxonomy: Any) -> tuple[Any, Any]:
    form_class = {Module.HVAC_MEP: HvacForm, Module.CIVIL: CivilForm, Module.CLEANING: CleaningForm}[
        Module(spec.module)
    ]
    initial = None if data is not None else {"client_key": uuid.uuid4().hex}
    replay_of = replay_target(request.user, data.get("client_key")) if data is not None else None
    form = form_class(data, initial=initial, user=request.user, replay_of=replay_of)
    formset = None
    if spec.formset_class is not None:
        form_kwargs: dict[str, Any] = {"user": request.user, "replay_of": replay_of}
        if spec.module == Module.HVAC_MEP:
            form_kwargs["taxonomy"] = taxonomy
        formset = spec.formset_class(data, prefix=spec.formset_prefix, form_kwargs=form_kwargs)
    return form, formset


def _draft(spec: FormSpec, form: Any, formset: Any, request: HttpRequest) -> Draft:
    url = base_url(request)
    if spec.module == Module.HVAC_MEP:
        return hvac_draft(form, formset, base_url=url)
    if spec.module == Module.CIVIL:
        return civil_draft(form, formset, base_url=url)
    return cleaning_draft(form, base_url=url)


def _render_form(
    request: HttpRequest,
    spec: FormSpec,
    form: Any,
    formset: Any,
    taxonomy: Any,
    *,
    status: int = 200,
    problem: str = "",
) -> HttpResponse:
    forms_with_photos = list(formset.forms) if formset is not None else [form]
    _attach_photo_rows(request.user, forms_with_photos)
    context = {
        "spec": spec,
        "form": form,
        "formset": formset,
        "taxonomy": taxonomy,
        "problem": problem,
        "photo_limit": photos_per_item(),
        "upload_url": reverse(spec.upload_url_name),
    }
    return render(request, spec.template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def inspection_form(request: HttpRequest, module: str) -> HttpResponse:
    spec = SPECS[Module(module)]
    taxonomy = hvac_taxonomy() if spec.module == Module.HVAC_MEP else None
    if request.method != "POST":
        form, formset = _build_forms(spec, request, None, taxonomy)
        return _render_form(request, spec, form, formset, taxonomy)

    data = request.POST.copy()
    try:
        upload_errors, stored_now = _store_posted_photos(request, spec, data)
    except StorageFailedError:
        form, formset = _build_forms(spec, request, request.POST, taxonomy)
        form.is_valid()
        return _render_form(
            request,
            spec,
            form,
            formset,
            taxonomy,
            status=503,
            problem="The photo storage is not answering, so nothing was saved. Check your connection "
            "and press Submit again; everything you typed is still here.",
        )
    form, formset = _build_forms(spec, request, data, taxonomy)
    valid = form.is_valid()
    valid = (formset.is_valid() if formset is not None else True) and valid
    if upload_errors:
        valid = False
        targets = {item.prefix: item for item in (formset.forms if formset is not None else [])}
        for prefix, messages in upload_errors.items():
            target = targets.get(prefix, form)
            for message in messages:
                target.add_error(None, f"Photo not added: {message}")
    if not valid:
        return _render_form(
            request,
            spec,
            form,
            formset,
            taxonomy,
            status=400,
            problem="Some answers need your attention; they are marked below.",
        )
    try:
        outcome = inspection_submit(
            actor=request.user,
            draft=_draft(spec, form, formset, request),
            client_key=form.cleaned_data["client_key"],
            submitted_by_ip=client_ip(request),
        )
    except SubmissionConflictError as conflict:
        photos_discard(stored_now)
        return render(
            request, "submissions/inspector/conflict.html", {"spec": spec, "existing": conflict.existing}, status=409
        )
    except StorageFailedError:
        return _render_form(
            request,
            spec,
            form,
            formset,
            taxonomy,
            status=503,
            problem="Saving the signatures to storage failed, so nothing was saved. Press Submit again; "
            "everything you typed, your photos and signatures are still here.",
        )
    except SubmissionFilesUnavailableError as error:
        return _render_form(request, spec, form, formset, taxonomy, status=409, problem=str(error))
    if not outcome.created:
        photos_discard(stored_now)  # a replay: the photos re-sent with it are duplicates
    stored = submission_get(outcome.submission.submission_id)
    if stored is None or not can_view_submission(request.user, stored):
        # json phase: the old files record no owner, so only staff can open the record.
        return render(request, "submissions/inspector/submitted.html", {"spec": spec, "submission": outcome.submission})
    return HttpResponseRedirect(reverse("submission_detail", args=[outcome.submission.submission_id]), status=303)


# --- reading --------------------------------------------------------------------------------


def _visible_submission(request: HttpRequest, submission_id: str) -> Submission:
    submission = submission_get(submission_id)
    if submission is None or not can_view_submission(request.user, submission):
        raise Http404("No such submission.")
    return submission


def job_status_url(job_id: str) -> str | None:
    """The JSON status endpoint of a report job (provided by the jobs app as ``jobs:status``)."""
    try:
        return reverse("jobs:status", kwargs={"job_id": job_id})
    except NoReverseMatch:
        return None


@login_required
@require_GET
def submission_detail(request: HttpRequest, submission_id: str) -> HttpResponse:
    submission = _visible_submission(request, submission_id)
    job = job_latest_for_submission(submission_id=submission.submission_id)
    context = {
        "submission": submission,
        "document": submission.form_data or {},
        "job": job_status_payload(job, request=request) if job else None,
        "status_url": job_status_url(job.job_id) if job else None,
        "display": document_display(submission),
        "review_summary": review_summaries(user=request.user, submissions=[submission]).get(submission.pk),
        "review_decisions": decisions_for(submission) if submission.pk is not None else [],
    }
    return render(request, "submissions/inspector/submission_detail.html", context)


@login_required
@require_GET
def my_submissions(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()[:100]
    module = request.GET.get("module") or ""
    rows = submission_list(user=request.user)
    if module in Module.values:
        rows = rows.filter(module=module)
    if query:
        rows = rows.filter(Q(submission_id=query.lower()) | Q(site_name__icontains=query))
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    if page > MAX_PAGE:
        raise Http404("No such page.")  # its offset would not fit the database's integers
    # No COUNT(*): a supervisor's list can be every submission there is.
    window = list(
        rows.only("submission_id", "module", "site_name", "visit_date", "status", "created_at", "user__email").order_by(
            "-created_at", "-id"
        )[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1]
    )
    shown = window[:PAGE_SIZE]
    summaries = review_summaries(user=request.user, submissions=shown)
    for submission in shown:
        submission.review_summary = summaries.get(submission.pk)  # type: ignore[attr-defined]
    context = {
        "submissions": shown,
        "page": page,
        "has_next": len(window) > PAGE_SIZE,
        "query": query,
        "module": module,
        "modules": Module.choices,
    }
    return render(request, "submissions/inspector/submission_list.html", context)


@login_required
@require_GET
def stored_file(request: HttpRequest, name: str) -> HttpResponseBase:
    """A photo or signature, for those allowed to see its submission (or its uploader while waiting)."""
    row = stored_file_get(user=request.user, name=name)
    if row is None:
        raise Http404("No such file.")
    storage = file_storage()
    if isinstance(storage, FileSystemStorage):
        try:
            handle = storage.open(name, "rb")
        except FileNotFoundError as error:
            raise Http404("The file is missing from storage.") from error
        response = FileResponse(handle, content_type=content_type_for(name))
        response["Cache-Control"] = "private, max-age=3600"
        return response
    return redirect(storage.url(name))


def home_redirect(module: str) -> Callable[[HttpRequest], HttpResponse]:
    def view(request: HttpRequest) -> HttpResponse:
        return redirect(f"{module}:form")

    return view
