"""Review in the admin: the stage lists (editable, with their slots), and on the submissions list
filters by review state and stage, the decisions and versions as inlines, and "Put into review".

The submissions admin is extended here (re-registered as a subclass) so the review app owns its
part of it. Filters draw without a database query (the stage is typed, not listed) and
filter through an ``EXISTS`` on ``submission_reviews``, so the changelist keeps walking the
``created_at`` index at a million submissions (docs/BENCHMARKS.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from injaaz.admin_tools import AuditedAdminMixin, InputFilter
from review.models import (
    STORED_STATES,
    WAITING_STATES,
    ReviewDecision,
    ReviewSlot,
    ReviewStage,
    ReviewState,
    SubmissionReview,
    SubmissionVersion,
)
from review.selectors import review_get
from submissions.admin import ReadOnlyInline, SubmissionAdmin
from submissions.models import Submission

# "Put into review" refuses larger selections: each one is a review row, an audit row and mail.
START_LIMIT = 500


class ReviewStateFilter(admin.SimpleListFilter):
    title = "review state"
    parameter_name = "review_state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in ReviewState.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value not in ReviewState.values:
            return queryset
        if value == ReviewState.IMPORTED:
            return queryset.filter(~Exists(SubmissionReview.objects.filter(submission_id=OuterRef("pk"))))
        # A join, read in list order from idx_sub_reviews_state_created (see get_ordering).
        return queryset.filter(review__state=value)


class ReviewStageFilter(InputFilter):
    """Reports waiting at a stage, by the stage's id or part of its name (a text box: drawing a
    list of the stages would cost a query on every page view)."""

    title = "waiting at review stage (name or id)"
    parameter_name = "review_stage"
    placeholder = "General manager, or 3"

    def filter(self, queryset: QuerySet[Any], value: str) -> QuerySet[Any]:
        stage = Q(stage_id=int(value)) if value.isdigit() else Q(stage__name__icontains=value[:100])
        waiting = SubmissionReview.objects.filter(stage, submission_id=OuterRef("pk"), state__in=WAITING_STATES)
        return queryset.filter(Exists(waiting))


class ReviewDecisionInline(ReadOnlyInline):
    model = ReviewDecision
    fields = ("created_at", "decision", "stage", "slot", "actor_name", "round", "version", "comment", "signed")
    readonly_fields = fields
    ordering = ("created_at", "id")
    show_change_link = False
    verbose_name_plural = "review decisions"

    @admin.display(description="Signature")
    def signed(self, decision: ReviewDecision) -> SafeString | str:
        if decision.signature is None:
            return "—"
        url = reverse("stored_file", kwargs={"name": decision.signature.storage_name})
        return format_html('<img src="{}" alt="signature" height="48">', url)


class SubmissionVersionInline(ReadOnlyInline):
    model = SubmissionVersion
    fields = ("number", "created_at", "author", "reason")
    readonly_fields = fields
    ordering = ("number",)
    show_change_link = False


class ReviewedSubmissionAdmin(SubmissionAdmin):
    # Typed as the admin's own sequences: the tuples grow by the review's entries.
    list_filter: ClassVar[Any] = (*SubmissionAdmin.list_filter, ReviewStateFilter, ReviewStageFilter)
    fields: ClassVar[Any] = (*SubmissionAdmin.fields[:3], "review_summary", *SubmissionAdmin.fields[3:])
    readonly_fields: ClassVar[Any] = fields
    inlines: ClassVar[Any] = (*SubmissionAdmin.inlines, ReviewDecisionInline, SubmissionVersionInline)
    actions: Any = (*SubmissionAdmin.actions, "put_into_review")

    def get_ordering(self, request: HttpRequest) -> Any:
        """Newest first as ever; filtered by a stored review state, by the copy of ``created_at``
        on the review row, so PostgreSQL reads idx_sub_reviews_state_created in order."""
        state = request.GET.get(ReviewStateFilter.parameter_name)
        if state in STORED_STATES and not request.GET.get("o"):
            return ("-review__submission_created_at", "-review__submission_id")
        return super().get_ordering(request)

    @admin.display(description="Review")
    def review_summary(self, submission: Submission) -> SafeString:
        review = review_get(submission)
        page = reverse("review:detail", kwargs={"submission_id": submission.submission_id})
        if review is None:
            return format_html("{} · <a href='{}'>review page</a>", ReviewState.IMPORTED.label, page)
        where = f" at {review.stage.name}" if review.stage else ""
        return format_html(
            "{}{} · version {} · <a href='{}'>review page</a>", review.get_state_display(), where, review.version, page
        )

    @admin.action(description="Put into review (imported records)", permissions=["change"])
    def put_into_review(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        chosen = list(
            queryset.filter(~Exists(SubmissionReview.objects.filter(submission_id=OuterRef("pk"))))[: START_LIMIT + 1]
        )
        if len(chosen) > START_LIMIT:
            self.message_user(request, f"Choose at most {START_LIMIT} submissions at a time.", messages.ERROR)
            return
        # Imported here: the services pull in the report builders (WeasyPrint, openpyxl), which
        # the admin's autodiscovery must not load for every command (see submissions/admin.py).
        from review.services import ReviewError, review_start

        started = 0
        for submission in chosen:
            try:
                review_start(actor=request.user, submission=submission)
            except ReviewError as error:
                self.message_user(request, f"{submission.submission_id}: {error}", messages.ERROR)
                return
            started += 1
        self.message_user(request, f"{started} submission(s) put into review; the others already were.")


admin.site.unregister(Submission)
admin.site.register(Submission, ReviewedSubmissionAdmin)


class ReviewSlotInline(admin.TabularInline[ReviewSlot, ReviewStage]):
    model = ReviewSlot
    extra = 0
    fields = ("position", "name", "group")


@admin.register(ReviewStage)
class ReviewStageAdmin(AuditedAdminMixin, admin.ModelAdmin[ReviewStage]):
    list_display = ("name", "module", "position", "signature_required", "slot_names")
    list_filter = ("module",)
    ordering = ("module", "position")
    inlines = (ReviewSlotInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewStage]:
        return super().get_queryset(request).prefetch_related("slots__group")

    @admin.display(description="Approvals needed (group)")
    def slot_names(self, stage: ReviewStage) -> str:
        return ", ".join(f"{slot.name} ({slot.group.name})" for slot in stage.slots.all())
