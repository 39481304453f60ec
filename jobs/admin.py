"""Staff admin for report jobs: failures first, newest first, never counting the whole table."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Case, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.http import HttpRequest

from injaaz.admin_tools import AuditedAdminMixin, DateRangeFilter, FastChangelistMixin
from jobs.models import Job, JobStatus
from submissions.ids import JOB_ID_RE, SUBMISSION_ID_RE

# Served by ``idx_jobs_failed_first`` (migration 0003): keep the two in step.
FAILED_FIRST: tuple[OrderBy | str, ...] = (
    Case(When(status=JobStatus.FAILED, then=Value(0)), default=Value(1)).asc(),
    "-created_at",
    "-id",
)


@admin.register(Job)
class JobAdmin(AuditedAdminMixin, FastChangelistMixin, admin.ModelAdmin[Job]):
    list_display = ("job_id", "submission", "status", "progress", "created_at", "completed_at", "short_error")
    list_filter = ("status", ("created_at", DateRangeFilter))
    list_select_related = ("submission",)
    search_fields = ("job_id",)
    search_help_text = "An exact job id (job_…) or submission id (sub_…)."
    raw_id_fields = ("submission",)
    ordering = FAILED_FIRST

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Job], search_term: str
    ) -> tuple[QuerySet[Job], bool]:
        term = search_term.strip().lower()
        if not term:
            return queryset, False
        if JOB_ID_RE.fullmatch(term):
            return queryset.filter(job_id=term), False
        if SUBMISSION_ID_RE.fullmatch(term):
            return queryset.filter(submission__submission_id=term), False
        # Ids only: anything else matches nothing rather than scanning the table.
        return queryset.none(), False

    @admin.display(description="Error")
    def short_error(self, job: Job) -> str:
        return job.error_message[:80] + ("…" if len(job.error_message) > 80 else "")

    # Jobs are created and moved on by the job services and the worker: staff look, and may
    # delete (audited); the regenerate action on submissions makes new ones.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)
