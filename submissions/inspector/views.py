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
from submissions.inspector.forms import PHOTO_IDS, InspectionForm, References, module_forms, photos_per_item
from submissions.inspector.submit import SubmissionConflictError, draft_from_forms, inspection_submit
from submissions.legacy.store import LegacyWriteError
from submissions.models import Submission, UploadedFile
from submissions.modules.registry import UnknownModuleError, by_url_prefix, declaration, is_declared, module_choices
from submissions.modules.types import ModuleDeclaration
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
# How long a client waits before retrying a submit the storage refused (503).
RETRY_AFTER_SECONDS = 30
MAX_PAGE = 1_000_000  # 20 million rows deep: further is no list anyone pages through


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def form_url(declaration: ModuleDeclaration) -> str:
    return reverse("module_form", kwargs={"url_prefix": declaration.url_prefix})


def _photo_prefixes(declaration: ModuleDeclaration, data: Any) -> list[str]:
    """The form prefixes that carry photos: one per item, and the form itself when it has photos."""
    prefixes = [""] if declaration.photos is not None else []
    items = declaration.items
    if items is not None and items.photos is not None:
        try:
            total = min(int(data.get(f"{items.prefix}-TOTAL_FORMS", 0)), items.max_count)
        except (TypeError, ValueError):
            total = 0
        prefixes += [f"{items.prefix}-{index}" for index in range(total)]
    return prefixes


def _field_name(prefix: str, name: str) -> str:
    return f"{prefix}-{name}" if prefix else name


def _store_posted_photos(
    request: HttpRequest, declaration: ModuleDeclaration, data: Any
) -> tuple[dict[str, list[str]], list[UploadedFile]]:
    """Photos posted with the form itself (the form works without JavaScript): store each as a
    waiting upload and add it to its item's photo ids. Returns rejections by prefix and the rows
    stored now. A storage failure removes what this request stored and raises ``StorageFailedError``.
    """
    errors: dict[str, list[str]] = {}
    stored: list[UploadedFile] = []
    for prefix in _photo_prefixes(declaration, data):
        files = request.FILES.getlist(_field_name(prefix, "photos"))
        ids_field = _field_name(prefix, PHOTO_IDS)
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
        raw = form.data.get(form.add_prefix(PHOTO_IDS), "") if form.is_bound else ""
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


@dataclass
class FormPage:
    """A module's form page: the declaration, its bound forms and the reference data they offer."""

    declaration: ModuleDeclaration
    form: InspectionForm
    formset: Any
    references: References

    @classmethod
    def build(cls, request: HttpRequest, declaration: ModuleDeclaration, data: Any | None) -> FormPage:
        references = References.load(declaration)
        initial = None if data is not None else {"client_key": uuid.uuid4().hex}
        replay_of = replay_target(request.user, data.get("client_key")) if data is not None else None
        form, formset = module_forms(
            declaration, data, user=request.user, replay_of=replay_of, initial=initial, references=references
        )
        return cls(declaration, form, formset, references)

    def is_valid(self) -> bool:
        valid = self.form.is_valid()
        return (self.formset.is_valid() if self.formset is not None else True) and valid

    def render(self, request: HttpRequest, *, status: int = 200, problem: str = "") -> HttpResponse:
        forms_with_photos = [self.form] if self.declaration.photos is not None else []
        items = self.declaration.items
        if self.formset is not None and items is not None and items.photos is not None:
            forms_with_photos += list(self.formset.forms)
        _attach_photo_rows(request.user, forms_with_photos)
        context = {
            "declaration": self.declaration,
            "form": self.form,
            "formset": self.formset,
            "tabbed": any(title for title, _ in self.declaration.tabs),
            "taxonomy": self.references.taxonomy,
            "problem": problem,
            "photo_limit": photos_per_item(),
            "upload_url": reverse("module_upload_photo", kwargs={"url_prefix": self.declaration.url_prefix}),
        }
        template = self.declaration.template or "submissions/inspector/inspection_form.html"
        return render(request, template, context, status=status)


def _declared(module: str | None, url_prefix: str | None) -> ModuleDeclaration:
    try:
        return declaration(module) if module else by_url_prefix(url_prefix or "")
    except UnknownModuleError as error:
        raise Http404("No such form.") from error


@login_required
@require_http_methods(["GET", "POST"])
def inspection_form(request: HttpRequest, module: str | None = None, url_prefix: str | None = None) -> HttpResponse:
    declared = _declared(module, url_prefix)
    if request.method != "POST":
        return FormPage.build(request, declared, None).render(request)

    data = request.POST.copy()
    try:
        upload_errors, stored_now = _store_posted_photos(request, declared, data)
    except StorageFailedError:
        page = FormPage.build(request, declared, request.POST)
        page.is_valid()
        return page.render(
            request,
            status=503,
            problem="The photo storage is not answering, so nothing was saved. Check your connection "
            "and press Submit again; everything you typed is still here.",
        )
    page = FormPage.build(request, declared, data)
    valid = page.is_valid()
    if upload_errors:
        valid = False
        targets = {item.prefix: item for item in (page.formset.forms if page.formset is not None else [])}
        for prefix, messages in upload_errors.items():
            target = targets.get(prefix, page.form)
            for message in messages:
                target.add_error(None, f"Photo not added: {message}")
    if not valid:
        return page.render(request, status=400, problem="Some answers need your attention; they are marked below.")
    try:
        outcome = inspection_submit(
            actor=request.user,
            draft=draft_from_forms(page.form, page.formset, base_url=base_url(request)),
            client_key=page.form.cleaned_data["client_key"],
            submitted_by_ip=client_ip(request),
        )
    except SubmissionConflictError as conflict:
        photos_discard(stored_now)
        context = {"declaration": declared, "form_url": form_url(declared), "existing": conflict.existing}
        return render(request, "submissions/inspector/conflict.html", context, status=409)
    except StorageFailedError:
        return page.render(
            request,
            status=503,
            problem="Saving the signatures to storage failed, so nothing was saved. Press Submit again; "
            "everything you typed, your photos and signatures are still here.",
        )
    except SubmissionFilesUnavailableError as error:
        return page.render(request, status=409, problem=str(error))
    except LegacyWriteError:
        # dual phase: the old app's files could not be written (logged with the cause), so nothing was.
        response = page.render(
            request,
            status=503,
            problem="Saving failed, so nothing was saved. Press Submit again in a minute; everything you "
            "typed, your photos and signatures are still here.",
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if not outcome.created:
        photos_discard(stored_now)  # a replay: the photos re-sent with it are duplicates
    stored = submission_get(outcome.submission.submission_id)
    if stored is None or not can_view_submission(request.user, stored):
        # json phase: the old files record no owner, so only staff can open the record.
        context = {"declaration": declared, "form_url": form_url(declared), "submission": outcome.submission}
        return render(request, "submissions/inspector/submitted.html", context)
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
    if is_declared(module):
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
        "modules": module_choices(),
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
