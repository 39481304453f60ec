"""Reads for review: the stage lists, who may see and act on a report, the queue, the histories.

``can_act_on_submission`` is the one rule for acting (views, API and admin use it, beside
``submissions.selectors.can_view_submission`` for reading, which asks ``reviewer_can_view`` here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from injaaz.process_cache import ProcessCache
from jobs.models import Job, JobStatus
from jobs.selectors import job_download_url
from review.models import (
    WAITING_STATES,
    DecisionKind,
    ReviewDecision,
    ReviewSlot,
    ReviewStage,
    ReviewState,
    SubmissionReview,
    SubmissionVersion,
)
from submissions.models import Submission

QUEUE_PAGE_SIZE = 25
# Per-stage counts on the home page stop counting here ("1000+"): no COUNT over everything.
COUNT_BOUND = 1000


def stages_for_module(module: str) -> list[ReviewStage]:
    """The module's own stage list, or the default one (``module`` empty), slots included."""
    stages = list(ReviewStage.objects.filter(module__in=[module, ""]).prefetch_related("slots__group"))
    own = [stage for stage in stages if stage.module == module]
    return own or [stage for stage in stages if stage.module == ""]


def _first_stages() -> dict[str, ReviewStage]:
    first: dict[str, ReviewStage] = {}
    for stage in ReviewStage.objects.order_by("module", "position"):
        first.setdefault(stage.module, stage)
    return first


# Every submit asks where its report starts; stages change rarely (INJAAZ_REVIEW_STAGES_CACHE_SECONDS,
# cleared in this process when a stage is saved or deleted: review.receivers).
_first_stages_cached = ProcessCache(load=_first_stages, seconds_setting="INJAAZ_REVIEW_STAGES_CACHE_SECONDS")


def stage_first(module: str) -> ReviewStage | None:
    """Where a new report of ``module`` starts: its own list's first stage, else the default list's
    (from the process's cached stage list; shared, never change it)."""
    first = _first_stages_cached.get()
    return first.get(module) or first.get("")


def review_stages_cache_clear() -> None:
    _first_stages_cached.clear()


def stage_next(stage: ReviewStage) -> ReviewStage | None:
    """The stage after ``stage`` in its list, or ``None`` after the last."""
    return ReviewStage.objects.filter(module=stage.module, position__gt=stage.position).order_by("position").first()


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def user_slots(user: Any) -> list[ReviewSlot]:
    """The slots ``user`` may act in (all of them for a superuser), cached on the user for the request."""
    if not _active(user):
        return []
    cached = getattr(user, "_review_slots", None)
    if cached is None:
        slots = ReviewSlot.objects.select_related("stage", "group")
        if not user.is_superuser:
            slots = slots.filter(group__in=user.groups.all())
        cached = list(slots)
        user._review_slots = cached
    return list(cached)


def is_reviewer(user: Any) -> bool:
    return bool(user_slots(user))


def review_get(submission: Submission) -> SubmissionReview | None:
    """The submission's review row (``None``: ``imported``, or a record that lives only in files)."""
    if submission.pk is None:
        return None
    # Read afresh, not through ``submission.review``: a cached row would outlive a decision.
    return SubmissionReview.objects.select_related("stage").filter(submission_id=submission.pk).first()


def review_state(submission: Submission) -> str:
    review = review_get(submission)
    return review.state if review is not None else ReviewState.IMPORTED


def reviewer_can_view(user: Any, submission: Submission) -> bool:
    """A reviewer sees the reports at or past their stages (in the list those stages belong to)."""
    slots = user_slots(user)
    if not slots:
        return False
    review = review_get(submission)
    if review is None:
        return False
    reached = review.stage  # None once approved: past every stage
    lists = {slot.stage.module for slot in slots}
    for list_module in lists:
        mine = [slot.stage.position for slot in slots if slot.stage.module == list_module]
        if reached is None:
            if review.state == ReviewState.APPROVED and _module_uses(submission.module, list_module):
                return True
            continue
        if reached.module == list_module and reached.position >= min(mine):
            return True
    return False


def _module_uses(module: str, list_module: str) -> bool:
    """Whether reports of ``module`` run through the list ``list_module`` ("" = the default)."""
    if list_module == module:
        return True
    return list_module == "" and not ReviewStage.objects.filter(module=module).exists()


def slots_decided(review: SubmissionReview) -> dict[int, ReviewDecision]:
    """The decisions taken in the current round at the review's stage, by slot id."""
    if review.stage_id is None:
        return {}
    rows = ReviewDecision.objects.filter(
        submission_id=review.submission_id, stage_id=review.stage_id, round=review.round, slot__isnull=False
    ).select_related("actor")
    return {row.slot_id: row for row in rows if row.slot_id is not None}


def actable_slots(user: Any, submission: Submission, review: SubmissionReview | None = None) -> list[ReviewSlot]:
    """The slots where ``user`` may decide on ``submission`` now (empty: they may not act).

    The rule for acting: the report waits at a stage; the user is a member of a slot's group
    there (superusers: any slot) whose decision for this round is not taken yet; and the user is
    not its author (an inspector never acts on their own report).
    """
    if not _active(user):
        return []
    review = review if review is not None else review_get(submission)
    if review is None or not review.waiting or review.stage_id is None:
        return []
    if submission.user_id is not None and submission.user_id == user.pk:
        return []
    mine = [slot for slot in user_slots(user) if slot.stage_id == review.stage_id]
    if not mine:
        return []
    decided = slots_decided(review)
    return [slot for slot in mine if slot.pk not in decided]


def can_act_on_submission(user: Any, submission: Submission) -> bool:
    """The one rule for acting on a report in review (see ``actable_slots``)."""
    return bool(actable_slots(user, submission))


def can_edit_as_author(user: Any, submission: Submission, review: SubmissionReview | None = None) -> bool:
    """The author edits and resubmits a report sent back to them."""
    if not _active(user) or submission.user_id != user.pk:
        return False
    review = review if review is not None else review_get(submission)
    return review is not None and review.state == ReviewState.CHANGES_REQUESTED


def can_reopen(user: Any, submission: Submission) -> bool:
    """Only staff reopen a rejected report."""
    review = review_get(submission)
    return bool(_active(user) and user.is_staff and review is not None and review.state == ReviewState.REJECTED)


# --- The queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    submission_id: str
    module_label: str
    site_name: str
    visit_date: dt.date | None
    author: str
    stage: str
    waiting_since: dt.datetime

    waiting: str  # "3 d 4 h": computed once here, cheaper than a template filter per row


def queue_queryset(user: Any) -> QuerySet[SubmissionReview]:
    """Reviews waiting at a stage where ``user`` holds a slot not yet decided this round."""
    slots = user_slots(user)
    if not slots:
        return SubmissionReview.objects.none()
    stage_ids = sorted({slot.stage_id for slot in slots})
    queryset = SubmissionReview.objects.filter(state__in=WAITING_STATES, stage_id__in=stage_ids)
    # At a stage of several slots, a report waits for the others once this user's slot is decided.
    decided_mine = ReviewDecision.objects.filter(
        submission_id=OuterRef("submission_id"), round=OuterRef("round"), slot_id__in=[slot.pk for slot in slots]
    )
    queryset = queryset.exclude(Exists(decided_mine))
    if not user.is_superuser:
        queryset = queryset.exclude(submission__user_id=user.pk)
    return queryset


def _waiting_text(waited: dt.timedelta) -> str:
    minutes = max(0, int(waited.total_seconds() // 60))
    days, hours = minutes // 1440, minutes // 60 % 24
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes % 60} min" if hours else f"{minutes} min"


def review_queue(*, user: Any, page: int = 1) -> tuple[list[QueueRow], bool]:
    """One page of the user's queue, oldest first, and whether there is a next page."""
    now = timezone.now()
    start = (page - 1) * QUEUE_PAGE_SIZE
    rows = list(
        queue_queryset(user)
        .select_related("submission__user", "stage")
        .only(
            "stage_since",
            "stage__name",
            "submission__submission_id",
            "submission__module",
            "submission__site_name",
            "submission__visit_date",
            "submission__user__email",
            "submission__user__full_name",
        )
        .order_by("stage_since", "submission_id")[start : start + QUEUE_PAGE_SIZE + 1]
    )
    result = [
        QueueRow(
            submission_id=row.submission.submission_id,
            module_label=row.submission.get_module_display(),
            site_name=row.submission.site_name,
            visit_date=row.submission.visit_date,
            author=str(row.submission.user) if row.submission.user else "",
            stage=row.stage.name if row.stage else "",
            waiting_since=row.stage_since,
            waiting=_waiting_text(now - row.stage_since),
        )
        for row in rows[:QUEUE_PAGE_SIZE]
    ]
    return result, len(rows) > QUEUE_PAGE_SIZE


@dataclass(frozen=True)
class StageCount:
    stage: str
    count: int
    more: bool  # past COUNT_BOUND


def review_stage_counts(*, user: Any) -> list[StageCount]:
    """How many reports wait at each stage the user acts in (bounded counts)."""
    slots = user_slots(user)
    stages = {slot.stage_id: slot.stage for slot in slots}
    result = []
    for stage_id, stage in sorted(stages.items(), key=lambda pair: (pair[1].module, pair[1].position)):
        waiting = queue_queryset(user).filter(stage_id=stage_id)
        count = len(waiting.values_list("pk", flat=True)[: COUNT_BOUND + 1])
        result.append(StageCount(stage=stage.name, count=min(count, COUNT_BOUND), more=count > COUNT_BOUND))
    return result


# --- Histories --------------------------------------------------------------------------------


def decisions_for(submission: Submission) -> list[ReviewDecision]:
    return list(
        ReviewDecision.objects.filter(submission=submission)
        .select_related("stage", "slot", "signature")
        .order_by("created_at", "id")
    )


def approvals_current(submission: Submission) -> list[ReviewDecision]:
    """The approvals standing for the report as it is: per slot, the latest approval (what the
    report's approval page prints)."""
    latest: dict[int, ReviewDecision] = {}
    for decision in decisions_for(submission):
        if decision.slot_id is None:
            continue
        if decision.decision == DecisionKind.APPROVE:
            latest[decision.slot_id] = decision
        else:
            latest.pop(decision.slot_id, None)
    return sorted(latest.values(), key=lambda row: (row.stage.position if row.stage else 0, row.created_at))


def versions_for(submission: Submission) -> list[SubmissionVersion]:
    return list(SubmissionVersion.objects.filter(submission=submission).select_related("author").order_by("number"))


def version_get(submission: Submission, number: int) -> SubmissionVersion | None:
    return SubmissionVersion.objects.filter(submission=submission, number=number).select_related("author").first()


# --- The author's view ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewSummary:
    state: str
    state_label: str
    stage: str
    comment: str  # the send-back comment or rejection reason the author must read
    can_resubmit: bool


def review_summaries(*, user: Any, submissions: list[Submission]) -> dict[int, ReviewSummary]:
    """For a page of submissions (two queries): each one's review state, and for those sent back
    or rejected the comment that says why."""
    ids = [submission.pk for submission in submissions if submission.pk is not None]
    if not ids:
        return {}
    reviews = {
        row.submission_id: row for row in SubmissionReview.objects.filter(submission_id__in=ids).select_related("stage")
    }
    told = [pk for pk, row in reviews.items() if row.state in (ReviewState.CHANGES_REQUESTED, ReviewState.REJECTED)]
    comments: dict[int, str] = {}
    if told:
        for decision in ReviewDecision.objects.filter(
            submission_id__in=told, decision__in=[DecisionKind.SEND_BACK, DecisionKind.REJECT]
        ).order_by("created_at", "id"):
            comments[decision.submission_id] = decision.comment
    result = {}
    for submission in submissions:
        review = reviews.get(submission.pk)
        if review is None:
            result[submission.pk] = ReviewSummary(ReviewState.IMPORTED, "Not in review", "", "", False)
            continue
        result[submission.pk] = ReviewSummary(
            state=review.state,
            state_label=review.get_state_display(),
            stage=review.stage.name if review.stage else "",
            comment=comments.get(submission.pk, ""),
            can_resubmit=can_edit_as_author(user, submission, review),
        )
    return result


# --- The report's approval page ---------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalEntry:
    stage: str
    slot: str
    signer: str
    decided_at: dt.datetime
    comment: str
    signature_name: str  # its name in storage, empty when unsigned


@dataclass(frozen=True)
class ReportApprovals:
    version: int
    state_label: str
    entries: list[ApprovalEntry]


def report_approvals(submission: Submission) -> ReportApprovals | None:
    """What the PDF's approval page prints: the version, the state and each standing approval
    (``None`` for a report not in review)."""
    review = review_get(submission)
    if review is None:
        return None
    entries = [
        ApprovalEntry(
            stage=decision.stage.name if decision.stage else "",
            slot=decision.slot.name if decision.slot else "",
            signer=decision.actor_name,
            decided_at=decision.created_at,
            comment=decision.comment,
            signature_name=decision.signature.storage_name if decision.signature else "",
        )
        for decision in approvals_current(submission)
    ]
    return ReportApprovals(version=review.version, state_label=review.get_state_display(), entries=entries)


# --- Reports by version -----------------------------------------------------------------------


@dataclass(frozen=True)
class VersionReport:
    version: int
    generated_at: dt.datetime
    pdf_url: str
    excel_url: str


def reports_by_version(submission: Submission) -> list[VersionReport]:
    """Every finished report of the submission, newest first, with the version it was made from
    (the version current when its job was created): earlier versions' reports stay downloadable."""
    versions = list(
        SubmissionVersion.objects.filter(submission=submission).order_by("number").values_list("number", "created_at")
    )
    jobs = Job.objects.filter(submission=submission, status=JobStatus.DONE).order_by("-created_at", "-id")[:50]
    result = []
    for job in jobs:
        number = 1
        for version_number, created_at in versions:
            if created_at <= job.created_at:
                number = version_number
        result.append(
            VersionReport(
                version=number,
                generated_at=job.completed_at or job.created_at,
                pdf_url=job_download_url(job, "pdf") or "",
                excel_url=job_download_url(job, "excel") or "",
            )
        )
    return result
