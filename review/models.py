"""Review and approval: the stages a report passes, each decision taken there, and its versions.

- ``review_stages`` / ``review_slots``: the ordered stages of a module (``module`` empty: the
  default list every module without its own uses). A stage has one or more slots; each slot names
  the auth ``Group`` whose members act there, and the stage is complete when every slot approved.
- ``submission_reviews``: where one submission stands (state, stage, round, current version). A
  submission without a row is ``imported``: it was filed before review existed or came from the
  old app, and waits in no queue until staff put it into review. Kept here, not as columns of
  ``submissions``, so the importer's COPY path and the inspector's submit stay as they are and
  the queue's indexes cover a table of the reports in review only (docs/REVIEW.md).
- ``review_decisions``: one row per decision (approve, send back, reject) and per author
  resubmit or staff reopen; ``(submission, slot, round)`` is unique, so one slot is decided once
  per round whatever races.
- ``submission_versions``: every version's document; ``submissions.form_data`` is the current one.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from submissions.models import Submission, UploadedFile
from submissions.modules.registry import module_choices


class ReviewState(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    # Never stored: a submission without a review row.
    IMPORTED = "imported", "Imported (not in review)"


STORED_STATES = [state for state in ReviewState.values if state != ReviewState.IMPORTED]
# States in which a report waits at its stage for a decision.
WAITING_STATES = (ReviewState.SUBMITTED, ReviewState.IN_REVIEW)


class DecisionKind(models.TextChoices):
    APPROVE = "approve", "Approved"
    SEND_BACK = "send_back", "Sent back for changes"
    REJECT = "reject", "Rejected"
    RESUBMIT = "resubmit", "Resubmitted"
    REOPEN = "reopen", "Reopened"


class ReviewStage(models.Model):
    """One step of a module's review. ``module`` empty: the default list."""

    module = models.CharField(
        max_length=50, blank=True, default="", choices=module_choices, help_text="Empty: every module without its own"
    )
    position = models.PositiveSmallIntegerField(help_text="Stages run in increasing position")
    name = models.CharField(max_length=100)
    signature_required = models.BooleanField(default=False)

    class Meta:
        db_table = "review_stages"
        ordering = ("module", "position")
        constraints = [
            models.UniqueConstraint(fields=["module", "position"], name="uq_review_stages_module_position"),
        ]

    def __str__(self) -> str:
        return self.name


class ReviewSlot(models.Model):
    """One approval a stage needs, given by a member of ``group``."""

    stage = models.ForeignKey(ReviewStage, on_delete=models.CASCADE, related_name="slots")
    name = models.CharField(max_length=100)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="review_slots")
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        db_table = "review_slots"
        ordering = ("stage", "position", "id")
        constraints = [
            models.UniqueConstraint(fields=["stage", "group"], name="uq_review_slots_stage_group"),
        ]

    def __str__(self) -> str:
        return self.name


class SubmissionReview(models.Model):
    """Where a submission stands in its review."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, primary_key=True, related_name="review")
    state = models.CharField(max_length=20, choices=[(value, label) for value, label in ReviewState.choices[:-1]])
    # The stage it waits at (submitted, in_review), was sent back from (changes_requested) or was
    # rejected at (rejected); empty once approved.
    stage = models.ForeignKey(ReviewStage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    stage_since = models.DateTimeField(default=timezone.now, db_default=Now())
    # Bumped on every resubmit and reopen: the slots of a stage are decided once per round.
    round = models.PositiveIntegerField(default=1, db_default=1)
    version = models.PositiveIntegerField(default=1, db_default=1)
    updated_at = models.DateTimeField(default=timezone.now, db_default=Now())
    # The submission's own created_at, copied (it never changes): the admin filtered by a review
    # state reads idx_sub_reviews_state_created in the list's order instead of walking every
    # submission newer than the first match (docs/REVIEW.md).
    submission_created_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "submission_reviews"
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=STORED_STATES), name="submission_reviews_state_valid"),
        ]
        indexes = [
            # The "To review" queue: waiting reports of some stages, oldest first.
            models.Index(
                fields=["stage", "stage_since"],
                condition=models.Q(state__in=WAITING_STATES),
                name="idx_sub_reviews_queue",
            ),
            models.Index(
                fields=["state", "-submission_created_at", "-submission"], name="idx_sub_reviews_state_created"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.state}"

    @property
    def waiting(self) -> bool:
        return self.state in WAITING_STATES


class ReviewDecision(models.Model):
    """One decision, resubmit or reopen. The audit log has its twin, written in the same transaction."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="review_decisions")
    stage = models.ForeignKey(ReviewStage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    slot = models.ForeignKey(ReviewSlot, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    round = models.PositiveIntegerField()
    version = models.PositiveIntegerField()
    decision = models.CharField(max_length=20, choices=DecisionKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The name as it was when they decided: what the approval page of the report prints.
    actor_name = models.CharField(max_length=200)
    comment = models.TextField(blank=True, default="")
    signature = models.ForeignKey(UploadedFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "review_decisions"
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "slot", "round"],
                condition=models.Q(slot__isnull=False),
                name="uq_review_decisions_slot_round",
            ),
            models.CheckConstraint(
                condition=models.Q(decision__in=DecisionKind.values), name="review_decisions_decision_valid"
            ),
        ]
        indexes = [models.Index(fields=["submission", "created_at"], name="idx_review_decisions_sub")]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.actor_name}"


class SubmissionVersion(models.Model):
    """One version of a submission's document. Version 1 is what was filed."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    form_data = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True, default="")

    class Meta:
        db_table = "submission_versions"
        ordering = ("submission", "number")
        constraints = [
            models.UniqueConstraint(fields=["submission", "number"], name="uq_submission_versions_number"),
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} v{self.number}"
