"""Review pages: "To review", a report's review page (decide, history, versions, diff), the edit
page (the author's "Edit and resubmit", a reviewer's edit) and staff's reopen.

Views are thin: forms validate, ``review.services`` decide, ``review.selectors`` read. Reading
goes through ``can_view_submission`` (404 otherwise), acting through ``actable_slots``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jobs.selectors import job_latest_for_submission, job_status_payload
from review.diff import document_diff
from review.editing import document_edited, editable_groups
from review.forms import DecisionForm, EditForm, ReopenForm
from review.models import DecisionKind, ReviewSlot, ReviewState
from review.selectors import (
    actable_slots,
    can_edit_as_author,
    can_reopen,
    decisions_for,
    is_reviewer,
    reports_by_version,
    review_get,
    review_queue,
    review_stage_counts,
    slots_decided,
    stages_for_module,
    user_slots,
    version_get,
    versions_for,
)
from review.services import (
    ReviewError,
    ReviewNotAllowedError,
    review_approve,
    review_reject,
    review_reopen,
    review_resubmit,
    review_send_back,
    submission_revise,
)
from submissions.inspector.display import document_display
from submissions.models import Submission
from submissions.modules.registry import declarations
from submissions.router import phase_plan
from submissions.selectors import can_view_submission


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "review/unavailable.html", status=503)


def _submission(request: HttpRequest, submission_id: str) -> Submission:
    """The report if the user may read it (404 otherwise, as if it did not exist). Review works on
    database rows, so the row is read directly whatever the phase reads documents from."""
    submission = Submission.objects.select_related("user").filter(submission_id=submission_id[:50]).first()
    if submission is None or not can_view_submission(request.user, submission):
        raise Http404("No such submission.")
    return submission


def _page(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page") or 1), 10_000))
    except ValueError:
        return 1


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    if not phase_plan().writes_database:
        return _unavailable(request)
    if not (is_reviewer(request.user) or request.user.is_staff):
        raise PermissionDenied("You are not a reviewer.")
    page = _page(request)
    rows, has_next = review_queue(user=request.user, page=page)
    context = {"rows": rows, "page": page, "has_next": has_next, "detail_prefix": reverse("review:queue")}
    return render(request, "review/queue.html", context)


def _detail_context(request: HttpRequest, submission: Submission) -> dict[str, Any]:
    review = review_get(submission)
    slots = actable_slots(request.user, submission, review)
    decided = slots_decided(review) if review is not None else {}
    stages = []
    for stage in stages_for_module(submission.module):
        stage_slots = list(stage.slots.all())
        stages.append(
            {
                "stage": stage,
                "current": review is not None and review.stage_id == stage.pk,
                "slots": [{"slot": slot, "decision": decided.get(slot.pk)} for slot in stage_slots],
            }
        )
    job = job_latest_for_submission(submission_id=submission.submission_id)
    version = review.version if review is not None else 1
    return {
        "submission": submission,
        "review": review,
        "state": review.state if review is not None else ReviewState.IMPORTED,
        "state_label": review.get_state_display() if review is not None else ReviewState.IMPORTED.label,
        "stages": stages,
        "slots": slots,
        "signature_required": bool(review and review.stage and review.stage.signature_required),
        "decisions": decisions_for(submission),
        "versions": versions_for(submission),
        "reports": reports_by_version(submission),
        "version": version,
        "display": document_display(submission),
        "job": job_status_payload(job, request=request) if job else None,
        "can_edit_as_author": can_edit_as_author(request.user, submission, review),
        "can_revise": bool(slots) or bool(request.user.is_staff and review is not None and review.waiting),
        "can_reopen": can_reopen(request.user, submission),
        "form": DecisionForm(initial={"version": version}),
        "reopen_form": ReopenForm(),
        "decision_kinds": DecisionKind,
    }


@login_required
@require_GET
def review_detail(request: HttpRequest, submission_id: str) -> HttpResponse:
    if not phase_plan().writes_database:
        return _unavailable(request)
    submission = _submission(request, submission_id)
    return render(request, "review/detail.html", _detail_context(request, submission))


def _back(submission: Submission) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("review:detail", args=[submission.submission_id]), status=303)


@login_required
@require_POST
def review_decide(request: HttpRequest, submission_id: str) -> HttpResponse:
    if not phase_plan().writes_database:
        return _unavailable(request)
    submission = _submission(request, submission_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, submission) | {"form": form, "problem": "Check the decision below."}
        return render(request, "review/detail.html", context, status=400)
    data = form.cleaned_data
    slot = ReviewSlot.objects.filter(pk=data["slot"]).first() if data.get("slot") else None
    common = {"actor": request.user, "submission": submission, "expected_version": data["version"], "slot": slot}
    try:
        if data["decision"] == DecisionKind.APPROVE:
            review_approve(**common, comment=data["comment"], signature=data["signature"])
            messages.success(request, "Approved.")
        elif data["decision"] == DecisionKind.SEND_BACK:
            review_send_back(**common, comment=data["comment"])
            messages.success(request, "Sent back to the author.")
        else:
            review_reject(**common, reason=data["comment"])
            messages.success(request, "Rejected.")
    except ReviewNotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    except ReviewError as error:
        context = _detail_context(request, submission) | {"form": form, "problem": str(error)}
        return render(request, "review/detail.html", context, status=409)
    return _back(submission)


@login_required
@require_POST
def review_reopen_view(request: HttpRequest, submission_id: str) -> HttpResponse:
    if not phase_plan().writes_database:
        return _unavailable(request)
    submission = _submission(request, submission_id)
    if not can_reopen(request.user, submission):
        raise PermissionDenied("Only staff can reopen a rejected report.")
    form = ReopenForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, submission) | {"reopen_form": form, "problem": "Say why it is reopened."}
        return render(request, "review/detail.html", context, status=400)
    try:
        review_reopen(actor=request.user, submission=submission, comment=form.cleaned_data["comment"])
    except ReviewError as error:
        context = _detail_context(request, submission) | {"problem": str(error)}
        return render(request, "review/detail.html", context, status=409)
    messages.success(request, "Reopened.")
    return _back(submission)


@login_required
@require_http_methods(["GET", "POST"])
def review_edit(request: HttpRequest, submission_id: str) -> HttpResponse:
    """The author's "Edit and resubmit" after a send-back, or a reviewer's edit at their stage."""
    if not phase_plan().writes_database:
        return _unavailable(request)
    submission = _submission(request, submission_id)
    review = review_get(submission)
    as_author = can_edit_as_author(request.user, submission, review)
    as_reviewer = (
        review is not None
        and review.waiting
        and submission.user_id != request.user.pk
        and (request.user.is_staff or any(slot.stage_id == review.stage_id for slot in user_slots(request.user)))
    )
    if not (as_author or as_reviewer):
        raise PermissionDenied("You cannot edit this report now.")
    document = submission.form_data if isinstance(submission.form_data, dict) else {}
    version = review.version if review is not None else 1
    form = EditForm(request.POST or None, initial={"version": version})
    context = {
        "submission": submission,
        "groups": editable_groups(document, module=submission.module),
        "form": form,
        "as_author": as_author,
        "last_comment": next(
            (row.comment for row in reversed(decisions_for(submission)) if row.decision == DecisionKind.SEND_BACK), ""
        ),
    }
    if request.method != "POST":
        return render(request, "review/edit.html", context)
    if not form.is_valid():
        return render(request, "review/edit.html", context | {"problem": "Check the form."}, status=400)
    edited = document_edited(document, request.POST)
    reason = form.cleaned_data["reason"]
    try:
        if as_author:
            review_resubmit(
                actor=request.user,
                submission=submission,
                expected_version=form.cleaned_data["version"],
                form_data=edited if edited != document else None,
                comment=reason,
            )
            messages.success(request, "Resubmitted for review.")
            return HttpResponseRedirect(reverse("submission_detail", args=[submission.submission_id]), status=303)
        submission_revise(
            actor=request.user,
            submission=submission,
            expected_version=form.cleaned_data["version"],
            form_data=edited,
            reason=reason,
        )
    except ReviewNotAllowedError as error:
        raise PermissionDenied(str(error)) from error
    except ReviewError as error:
        return render(request, "review/edit.html", context | {"problem": str(error)}, status=409)
    messages.success(request, "Saved as a new version.")
    return _back(submission)


@login_required
@require_GET
def review_version(request: HttpRequest, submission_id: str, number: int) -> HttpResponse:
    """One version of the report as it read then, and what changed from the version before."""
    submission = _submission(request, submission_id)
    version = version_get(submission, number)
    if version is None:
        raise Http404("No such version.")
    previous = version_get(submission, number - 1) if number > 1 else None
    shown = Submission(submission_id=submission.submission_id, module=submission.module, form_data=version.form_data)
    context = {
        "submission": submission,
        "version": version,
        "display": document_display(shown),
        "changes": document_diff(previous.form_data, version.form_data, module=submission.module) if previous else [],
        "previous": previous,
    }
    return render(request, "review/version.html", context)


def home(request: HttpRequest) -> HttpResponse:
    """The home page: a link to every declared module's form, and a reviewer's "To review" counts per stage."""
    counts = []
    if request.user.is_authenticated and phase_plan().writes_database:
        counts = review_stage_counts(user=request.user)
    return render(
        request,
        "home.html",
        {"modules": declarations(), "review_counts": counts, "is_reviewer": bool(counts)},
    )
