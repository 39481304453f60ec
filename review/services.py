"""Writes for review: put a report into review, decide (approve, send back, reject), resubmit,
reopen, and edit (a new version). Each writes its rows and its audit row in one transaction;
report jobs and e-mails are queued when it commits.

Concurrency: every action locks the report's ``submission_reviews`` row first, then checks the
version the person was looking at (``expected_version``: an edit in between refuses the action)
and that the slot is still undecided this round (``AlreadyDecidedError`` names who decided and
when). ``uq_review_decisions_slot_round`` backs that up in the database itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import Action, audit_record
from jobs.services import job_create
from review import notifications
from review.models import (
    DecisionKind,
    ReviewDecision,
    ReviewSlot,
    ReviewStage,
    ReviewState,
    SubmissionReview,
    SubmissionVersion,
)
from review.selectors import stage_first, stage_next, user_slots
from submissions.models import FileType, Submission, UploadedFile
from submissions.modules.registry import declaration_or_none
from submissions.router import phase_plan, storage_atomic, submission_save
from submissions.uploads import UploadRejectedError, data_url_decode, image_store, stored_files_discard

COMMENT_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 1000


class ReviewError(Exception):
    """An action that cannot be taken; the message says why, for the person who tried."""


class ReviewUnavailableError(ReviewError):
    """The ``json`` phase keeps no database rows, so there is no review."""

    def __init__(self) -> None:
        super().__init__(
            "Review is not available yet: it starts when the migration reaches the dual phase (docs/REVIEW.md)."
        )


class ReviewNotAllowedError(ReviewError):
    """The person may not take this action on this report."""


class ReviewInputError(ReviewError):
    """A required comment, reason or signature is missing or unusable."""


class ReviewStateError(ReviewError):
    """The report is not where the action expects it (moved on, sent back, decided)."""


class AlreadyDecidedError(ReviewStateError):
    def __init__(self, decision: ReviewDecision) -> None:
        when = timezone.localtime(decision.created_at).strftime("%Y-%m-%d %H:%M")
        super().__init__(f"Already decided by {decision.actor_name} at {when} ({decision.get_decision_display()}).")
        self.decision = decision


class StaleVersionError(ReviewStateError):
    def __init__(self, *, expected: int, current: int) -> None:
        super().__init__(
            f"The report changed while you were reading it: you saw version {expected}, it is now version "
            f"{current}. Reload the page, read the changes, and decide again."
        )
        self.current = current


def _require_database_phase() -> None:
    if not phase_plan().writes_database:
        raise ReviewUnavailableError


def _clean_text(value: str, *, limit: int, what: str, required: bool) -> str:
    text = (value or "").replace("\x00", "").strip()
    if required and not text:
        raise ReviewInputError(f"A {what} is required.")
    if len(text) > limit:
        raise ReviewInputError(f"The {what} is longer than {limit} characters.")
    return text


# --- Entering review --------------------------------------------------------------------------


def review_enter(*, submission: Submission) -> SubmissionReview | None:
    """Put a just-created submission at its module's first stage (``submitted``).

    Called by ``submission_create`` inside its transaction (its ``submit_form`` audit row covers
    it). Nothing in the ``json`` phase (no row to review) or when no stage is configured.
    """
    if not phase_plan().writes_database or submission.pk is None:
        return None
    first = stage_first(submission.module)
    if first is None:
        return None
    review = SubmissionReview(
        submission=submission,
        state=ReviewState.SUBMITTED,
        stage=first,
        submission_created_at=submission.created_at,
    )
    review.save(force_insert=True)
    notifications.stage_reached_on_commit(submission=submission, stage=first)
    return review


@storage_atomic
def review_start(*, actor: Any, submission: Submission) -> SubmissionReview:
    """Staff put an imported (or pre-review) report into review at its first stage."""
    _require_database_phase()
    if not (actor.is_active and actor.is_staff):
        raise ReviewNotAllowedError("Only staff can put a report into review.")
    if SubmissionReview.objects.filter(submission=submission).exists():
        raise ReviewStateError(f"{submission.submission_id} is already in review.")
    first = stage_first(submission.module)
    if first is None:
        raise ReviewStateError("No review stage is configured for this module.")
    review = SubmissionReview(
        submission=submission,
        state=ReviewState.SUBMITTED,
        stage=first,
        submission_created_at=submission.created_at,
    )
    review.save(force_insert=True)
    audit_record(
        actor=actor,
        action=Action.REVIEW_START,
        resource=submission,
        details={"submission_id": submission.submission_id, "stage": first.name},
    )
    notifications.stage_reached_on_commit(submission=submission, stage=first)
    return review


# --- Deciding ---------------------------------------------------------------------------------


def _locked_review(submission: Submission) -> SubmissionReview:
    # No join in the locking read: after waiting for the lock, PostgreSQL re-reads the locked row
    # but may hand back an outer-joined row as NULLs. The stage is read once the lock is held.
    review = SubmissionReview.objects.select_for_update().filter(submission_id=submission.pk).first()
    if review is None:
        raise ReviewStateError("This report is not in review.")
    if review.stage_id is not None:
        review.stage = ReviewStage.objects.get(pk=review.stage_id)
    return review


def _check_version(review: SubmissionReview, expected_version: int) -> None:
    if review.version != expected_version:
        raise StaleVersionError(expected=expected_version, current=review.version)


def _slot_for(actor: Any, submission: Submission, review: SubmissionReview, slot: ReviewSlot | None) -> ReviewSlot:
    """The slot ``actor`` decides in, checked against the rule for acting (see ``actable_slots``)."""
    # This round's decisions in the person's slots (one query): at another stage they mean the
    # slot was decided and the report moved on; at this stage, which slots are still open.
    round_decisions = list(
        ReviewDecision.objects.filter(
            submission_id=submission.pk, round=review.round, slot_id__in=[s.pk for s in user_slots(actor)]
        ).order_by("-created_at")
    )
    current_stage = review.stage_id if review.waiting else None
    taken = next((row for row in round_decisions if row.stage_id != current_stage), None)
    if taken is not None and (slot is None or taken.slot_id == slot.pk):
        # The person's slot was decided (by them or a colleague) and the report moved on since.
        raise AlreadyDecidedError(taken)
    if not review.waiting or review.stage is None:
        raise ReviewStateError(f"This report is {review.get_state_display().lower()}; there is nothing to decide.")
    if submission.user_id is not None and submission.user_id == actor.pk:
        raise ReviewNotAllowedError("You cannot decide on a report you wrote.")
    mine = [candidate for candidate in user_slots(actor) if candidate.stage_id == review.stage_id]
    if slot is not None:
        mine = [candidate for candidate in mine if candidate.pk == slot.pk]
    if not mine:
        raise ReviewNotAllowedError(f"You cannot decide at {review.stage.name}.")
    decided = {row.slot_id: row for row in round_decisions if row.stage_id == review.stage_id}
    open_slots = [candidate for candidate in mine if candidate.pk not in decided]
    if not open_slots:
        raise AlreadyDecidedError(next(iter(decided.values())))
    if len(open_slots) > 1:
        raise ReviewInputError("Choose which approval you give: " + ", ".join(s.name for s in open_slots) + ".")
    return open_slots[0]


def _decision_write(
    *,
    actor: Any,
    submission: Submission,
    review: SubmissionReview,
    slot: ReviewSlot | None,
    stage: ReviewStage | None,
    kind: str,
    comment: str,
    signature: UploadedFile | None = None,
) -> ReviewDecision:
    decision = ReviewDecision(
        submission=submission,
        stage=stage,
        slot=slot,
        round=review.round,
        version=review.version,
        decision=kind,
        actor=actor,
        actor_name=actor.get_full_name()[:200],
        comment=comment,
        signature=signature,
        created_at=timezone.now(),
    )
    try:
        with transaction.atomic():  # a savepoint: the unique index speaks if the lock was bypassed
            decision.save(force_insert=True)
    except IntegrityError:
        existing = ReviewDecision.objects.filter(submission=submission, slot=slot, round=review.round).first()
        if existing is None:
            raise
        raise AlreadyDecidedError(existing) from None
    audit_record(
        actor=actor,
        action=Action.REVIEW_DECISION,
        resource=submission,
        details={
            "submission_id": submission.submission_id,
            "decision": kind,
            "stage": stage.name if stage else "",
            "slot": slot.name if slot else "",
            "round": review.round,
            "version": review.version,
            "comment": comment,
            "signature": signature.storage_name if signature else "",
        },
    )
    return decision


def _review_move(review: SubmissionReview, *, state: str, stage: ReviewStage | None) -> None:
    now = timezone.now()
    if stage != review.stage or state != review.state:
        review.stage_since = now
    review.state = state
    review.stage = stage
    review.updated_at = now
    review.save(update_fields=["state", "stage", "stage_since", "updated_at", "round", "version"])


def _signature_store(signature: str, actor: Any) -> UploadedFile | None:
    if not signature:
        return None
    try:
        return image_store(
            data=data_url_decode(signature),
            file_type=FileType.SIGNATURE,
            original_filename="review-signature.png",
            uploaded_by=actor,
        )
    except UploadRejectedError as error:
        raise ReviewInputError(f"The signature could not be used: {error}") from error


def _with_stored_signature(signature: str, actor: Any, action: Callable[[UploadedFile | None], Any]) -> Any:
    """Store the signature image first (outside the transaction), run ``action``; remove the
    file again if the action does not commit."""
    row = _signature_store(signature, actor)
    try:
        return action(row)
    except BaseException:
        if row is not None:
            stored_files_discard([row.storage_name])
        raise


def review_approve(
    *,
    actor: Any,
    submission: Submission,
    expected_version: int,
    comment: str = "",
    signature: str = "",
    slot: ReviewSlot | None = None,
) -> ReviewDecision:
    """Approve at the report's current stage; when every slot of the stage has approved, the
    report moves to the next stage (or is ``approved`` after the last). ``signature``: a
    ``data:image/png;base64,…`` URL, required where the stage says so. Queues a new report job
    (the approval page changed)."""
    _require_database_phase()
    comment = _clean_text(comment, limit=COMMENT_MAX_LENGTH, what="comment", required=False)
    if not signature:
        # Checked before anything is stored; the stage is read again under the lock below.
        current = SubmissionReview.objects.select_related("stage").filter(submission_id=submission.pk).first()
        if current is not None and current.stage is not None and current.stage.signature_required:
            raise ReviewInputError(f"{current.stage.name} needs your signature.")

    @storage_atomic
    def decide(signature_row: UploadedFile | None) -> ReviewDecision:
        review = _locked_review(submission)
        chosen = _slot_for(actor, submission, review, slot)
        _check_version(review, expected_version)
        stage = review.stage
        assert stage is not None  # _slot_for checked it
        if stage.signature_required and signature_row is None:
            raise ReviewInputError(f"{stage.name} needs your signature.")
        if signature_row is not None:
            signature_row.submission = submission
            # Built by image_store from a decoded image; its constraints (type, unique generated
            # name) are the database's to enforce, without a query each here.
            signature_row.full_clean(exclude=["submission", "uploaded_by"], validate_constraints=False)
            signature_row.save()
        decision = _decision_write(
            actor=actor,
            submission=submission,
            review=review,
            slot=chosen,
            stage=stage,
            kind=DecisionKind.APPROVE,
            comment=comment,
            signature=signature_row,
        )
        needed = set(ReviewSlot.objects.filter(stage=stage).values_list("pk", flat=True))
        approved = set(
            ReviewDecision.objects.filter(
                submission=submission, stage=stage, round=review.round, decision=DecisionKind.APPROVE
            ).values_list("slot_id", flat=True)
        )
        if needed <= approved:
            following = stage_next(stage)
            if following is None:
                _review_move(review, state=ReviewState.APPROVED, stage=None)
                notifications.author_told_on_commit(submission=submission, decision=decision)
            else:
                _review_move(review, state=ReviewState.IN_REVIEW, stage=following)
                notifications.stage_reached_on_commit(submission=submission, stage=following)
        else:
            _review_move(review, state=ReviewState.IN_REVIEW, stage=stage)
        job_create(submission=submission)
        return decision

    decision: ReviewDecision = _with_stored_signature(signature, actor, decide)
    return decision


@storage_atomic
def review_send_back(
    *, actor: Any, submission: Submission, expected_version: int, comment: str, slot: ReviewSlot | None = None
) -> ReviewDecision:
    """Return the report to its author for changes (comment required). After the author's
    resubmit it re-enters at this stage."""
    return _decide_for_author(
        actor=actor,
        submission=submission,
        expected_version=expected_version,
        slot=slot,
        kind=DecisionKind.SEND_BACK,
        text=comment,
        what="comment saying what to change",
        state=ReviewState.CHANGES_REQUESTED,
    )


@storage_atomic
def review_reject(
    *, actor: Any, submission: Submission, expected_version: int, reason: str, slot: ReviewSlot | None = None
) -> ReviewDecision:
    """Reject the report (reason required). Terminal: only staff can reopen it."""
    return _decide_for_author(
        actor=actor,
        submission=submission,
        expected_version=expected_version,
        slot=slot,
        kind=DecisionKind.REJECT,
        text=reason,
        what="reason",
        state=ReviewState.REJECTED,
    )


def _decide_for_author(
    *,
    actor: Any,
    submission: Submission,
    expected_version: int,
    slot: ReviewSlot | None,
    kind: str,
    text: str,
    what: str,
    state: str,
) -> ReviewDecision:
    """A decision that stops the report at its stage and tells its author (send back, reject);
    ``text`` (the comment or the reason, named ``what`` in errors) is required."""
    _require_database_phase()
    comment = _clean_text(text, limit=COMMENT_MAX_LENGTH, what=what, required=True)
    review = _locked_review(submission)
    chosen = _slot_for(actor, submission, review, slot)
    _check_version(review, expected_version)
    decision = _decision_write(
        actor=actor,
        submission=submission,
        review=review,
        slot=chosen,
        stage=review.stage,
        kind=kind,
        comment=comment,
    )
    _review_move(review, state=state, stage=review.stage)
    notifications.author_told_on_commit(submission=submission, decision=decision)
    return decision


@storage_atomic
def review_reopen(*, actor: Any, submission: Submission, comment: str) -> ReviewDecision:
    """Staff reopen a rejected report: it waits again at the stage that rejected it (new round)."""
    _require_database_phase()
    if not (actor.is_active and actor.is_staff):
        raise ReviewNotAllowedError("Only staff can reopen a rejected report.")
    comment = _clean_text(comment, limit=COMMENT_MAX_LENGTH, what="reason for reopening", required=True)
    review = _locked_review(submission)
    if review.state != ReviewState.REJECTED:
        raise ReviewStateError("Only a rejected report can be reopened.")
    return _review_reenter(actor=actor, submission=submission, review=review, kind=DecisionKind.REOPEN, comment=comment)


def _review_reenter(
    *, actor: Any, submission: Submission, review: SubmissionReview, kind: str, comment: str
) -> ReviewDecision:
    """A new round at the report's stage (a reopen, a resubmit): the decision, the move back into
    review, and the e-mail to the stage's reviewers."""
    review.round += 1
    decision = _decision_write(
        actor=actor,
        submission=submission,
        review=review,
        slot=None,
        stage=review.stage,
        kind=kind,
        comment=comment,
    )
    _review_move(review, state=ReviewState.IN_REVIEW, stage=review.stage)
    if review.stage is not None:
        notifications.stage_reached_on_commit(submission=submission, stage=review.stage)
    return decision


# --- Versions ---------------------------------------------------------------------------------


def _version_add(
    *,
    actor: Any,
    submission: Submission,
    review: SubmissionReview,
    form_data: dict[str, Any],
    reason: str,
) -> SubmissionVersion:
    """Keep the current document as a version (version 1 is written the first time), then make
    ``form_data`` the submission's document as the next version. Files a version no longer
    refers to stay in storage and in ``uploaded_files``: older versions still show them."""
    if not isinstance(form_data, dict):
        raise ReviewInputError("The edited report is not a document.")
    if not SubmissionVersion.objects.filter(submission=submission).exists():
        SubmissionVersion.objects.create(
            submission=submission,
            number=review.version,
            form_data=submission.form_data,
            author=submission.user,
            created_at=submission.created_at,
            reason="Filed" if review.version == 1 else "",
        )
    review.version += 1
    version = SubmissionVersion.objects.create(
        submission=submission,
        number=review.version,
        form_data=form_data,
        author=actor,
        created_at=timezone.now(),
        reason=reason,
    )
    submission.form_data = form_data
    # The columns follow the edited document by the module's one rule, as submission_create's do.
    declared = declaration_or_none(submission.module)
    if declared is not None:
        site_name, submission.visit_date = declared.document_columns(form_data)
        submission.site_name = site_name[:200]
    submission.full_clean()
    submission_save(submission)
    audit_record(
        actor=actor,
        action=Action.REVIEW_EDIT,
        resource=submission,
        details={"submission_id": submission.submission_id, "version": review.version, "reason": reason},
    )
    job_create(submission=submission)
    return version


@storage_atomic
def submission_revise(
    *,
    actor: Any,
    submission: Submission,
    expected_version: int,
    form_data: dict[str, Any],
    reason: str,
) -> SubmissionVersion:
    """A reviewer who may act at the report's stage (or staff) edits it: a new version, same stage."""
    _require_database_phase()
    reason = _clean_text(reason, limit=REASON_MAX_LENGTH, what="reason for the edit", required=True)
    review = _locked_review(submission)
    allowed = actor.is_active and (actor.is_staff or bool(_stage_slots_of(actor, review)))
    if not allowed or submission.user_id == actor.pk:
        raise ReviewNotAllowedError("You cannot edit this report at its current stage.")
    if not review.waiting:
        raise ReviewStateError(f"This report is {review.get_state_display().lower()}; it cannot be edited now.")
    _check_version(review, expected_version)
    version = _version_add(
        actor=actor,
        submission=submission,
        review=review,
        form_data=form_data,
        reason=reason,
    )
    _review_move(review, state=review.state, stage=review.stage)
    return version


def _stage_slots_of(actor: Any, review: SubmissionReview) -> list[ReviewSlot]:
    return [slot for slot in user_slots(actor) if slot.stage_id == review.stage_id]


@storage_atomic
def review_resubmit(
    *,
    actor: Any,
    submission: Submission,
    expected_version: int,
    form_data: dict[str, Any] | None,
    comment: str = "",
) -> ReviewDecision:
    """The author's answer to a send-back: their edit (a new version; ``None``: no change) goes
    back to the stage that sent it back, whose slots decide again (a new round)."""
    _require_database_phase()
    comment = _clean_text(comment, limit=COMMENT_MAX_LENGTH, what="comment", required=False)
    review = _locked_review(submission)
    if submission.user_id != actor.pk or not actor.is_active:
        raise ReviewNotAllowedError("Only the report's author can resubmit it.")
    if review.state != ReviewState.CHANGES_REQUESTED:
        raise ReviewStateError("This report was not sent back for changes.")
    _check_version(review, expected_version)
    if form_data is not None:
        _version_add(
            actor=actor,
            submission=submission,
            review=review,
            form_data=form_data,
            reason=comment or "Changes after send-back",
        )
    return _review_reenter(
        actor=actor, submission=submission, review=review, kind=DecisionKind.RESUBMIT, comment=comment
    )
