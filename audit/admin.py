"""The audit log in the admin: read-only, filtered by action, user and date, and a resource's history.

Find a resource's history with the search box (``submission:42``, ``sub_…``, ``job_…``) or the
link on a submission's page (``?resource_type=submission&resource_id=42``).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from audit.models import AuditLog
from audit.services import Action
from injaaz.admin_tools import DateRangeFilter, FastChangelistMixin, UserFilter
from submissions.ids import JOB_ID_RE, SUBMISSION_ID_RE


def known_actions() -> list[str]:
    return sorted({value for name, value in vars(Action).items() if name.isupper() and isinstance(value, str)})


class ActionFilter(admin.SimpleListFilter):
    """The actions ``audit.services.Action`` names: no ``SELECT DISTINCT`` over the whole log."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(action, action) for action in known_actions()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditLog]) -> QuerySet[AuditLog]:
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditLog)
class AuditLogAdmin(FastChangelistMixin, admin.ModelAdmin[AuditLog]):
    """Read-only: the log is appended to by services, never edited (and PostgreSQL refuses edits)."""

    list_display = ("created_at", "action", "user", "resource_type", "resource_id", "ip_address", "summary")
    list_filter = (ActionFilter, UserFilter, ("created_at", DateRangeFilter))
    list_select_related = ("user",)
    # The id is the chain's order and the primary key's index serves it.
    ordering = ("-id",)
    search_fields = ("resource_type",)
    search_help_text = "A resource (submission:42, sub_…, job_…) to see its history."
    fields = (
        "created_at",
        "action",
        "user",
        "resource_type",
        "resource_id",
        "ip_address",
        "user_agent",
        "request_id",
        "details_document",
        "prev_hash",
        "row_hash",
    )
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AuditLog], search_term: str
    ) -> tuple[QuerySet[AuditLog], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        resource_type, _, resource_id = term.partition(":")
        if resource_id.strip().isdigit():
            return queryset.filter(resource_type=resource_type.strip().lower(), resource_id=int(resource_id)), False
        lowered = term.lower()
        if SUBMISSION_ID_RE.fullmatch(lowered) or JOB_ID_RE.fullmatch(lowered):
            return self._history_of_public_id(queryset, lowered), False
        return queryset.filter(action=lowered), False

    @staticmethod
    def _history_of_public_id(queryset: QuerySet[AuditLog], public_id: str) -> QuerySet[AuditLog]:
        from jobs.models import Job
        from submissions.models import Submission

        model: Any = Submission if public_id.startswith("sub_") else Job
        field = "submission_id" if model is Submission else "job_id"
        pk = model.objects.filter(**{field: public_id}).values_list("pk", flat=True).first()
        # By row when the record exists; by the id in the details either way (it may be deleted).
        condition = Q(**{f"details__{field}": public_id})
        if pk is not None:
            condition |= Q(resource_type=model._meta.model_name, resource_id=pk)
        return queryset.filter(condition)

    @admin.display(description="Details")
    def summary(self, entry: AuditLog) -> str:
        text = json.dumps(entry.details, ensure_ascii=False, sort_keys=True) if entry.details else ""
        return text[:100] + ("…" if len(text) > 100 else "")

    @admin.display(description="Details")
    def details_document(self, entry: AuditLog) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(entry.details, ensure_ascii=False, indent=2, sort_keys=True))
