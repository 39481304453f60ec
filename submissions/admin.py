"""Staff admin for submissions and uploaded files, built to stay fast at a million rows.

- Counting: ``EstimatedCountPaginator`` (planner estimate unfiltered, bounded count filtered).
- Search: an exact submission id (or job id) goes to the unique index; anything else is a
  site-name substring, ``UPPER(site_name) LIKE``, served by the trigram index of migration 0003.
- Filters draw without queries; a visit-date range orders by visit date so PostgreSQL reads the
  ``(module, visit_date DESC)`` index instead of walking ``created_at``.
- The change page is read-only (submissions change through services) and shows the report as
  the inspector's page does (``submissions/_document.html``); actions regenerate
  reports (``jobs.services.reports_regenerate``) and export CSV/XLSX (``submissions.exports``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from injaaz.admin_tools import (
    AuditedAdminMixin,
    DateRangeFilter,
    FastChangelistMixin,
    InspectorFilter,
    filter_pk_in,
    remember_result_count,
)
from jobs.models import Job
from submissions.admin_display import image, safe_link_url
from submissions.ids import JOB_ID_RE, SUBMISSION_ID_RE
from submissions.inspector.display import document_display
from submissions.models import Submission, UploadedFile

# "Regenerate reports" refuses larger selections: each one enqueues a job.
REGENERATE_LIMIT = 500
# A site-name search matching at most this many rows is resolved to their ids once (one trigram
# index scan), and the count and the page then read rows by primary key.
SEARCH_IDS_LIMIT = 5_000


def _link(url: str, label: str) -> SafeString | str:
    if not url:
        return "—"
    if safe_link_url(url):
        return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', url, label)
    return format_html("<code>{}</code>", url)


class ReadOnlyInline(admin.TabularInline[Any, Submission]):
    """A submission's related rows, shown and linked but never added or edited from its page."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class JobInline(ReadOnlyInline):
    model = Job
    fields = ("job_id", "status", "progress", "created_at", "completed_at", "error_message", "excel", "pdf")
    readonly_fields = fields
    ordering = ("-created_at", "-id")

    @admin.display(description="Excel")
    def excel(self, job: Job) -> SafeString | str:
        return _link(job.excel_url, "Excel")

    @admin.display(description="PDF")
    def pdf(self, job: Job) -> SafeString | str:
        return _link(job.pdf_url, "PDF")


class UploadedFileInline(ReadOnlyInline):
    model = UploadedFile
    fields = ("preview", "file_type", "original_filename", "file_size", "uploaded_at")
    readonly_fields = fields

    @admin.display(description="File")
    def preview(self, upload: UploadedFile) -> SafeString | str:
        if upload.file_type == "report":
            return _link(upload.cloudinary_url, upload.original_filename or "report")
        return image(upload.cloudinary_url, upload.original_filename)


@admin.register(Submission)
class SubmissionAdmin(AuditedAdminMixin, FastChangelistMixin, admin.ModelAdmin[Submission]):
    list_display = ("submission", "module", "site_name", "visit", "status", "user", "created")
    # The id column links itself (``change_link``): cheaper than Django's per-row link.
    list_display_links = None
    list_filter = ("module", "status", ("visit_date", DateRangeFilter), InspectorFilter)
    list_select_related = ("user",)
    ordering = ("-created_at", "-id")
    # Searched by ``get_search_results`` below; naming a field here shows the search box.
    search_fields = ("site_name",)
    search_help_text = "An exact submission id (sub_…) or job id (job_…), or part of the site name."
    fields = (
        "submission_id",
        "module",
        "status",
        "site_name",
        "visit_date",
        "user",
        "submitted_by_ip",
        "created_at",
        "updated_at",
        "audit_history",
        "document",
    )
    readonly_fields = fields
    inlines = (JobInline, UploadedFileInline)
    actions = ("regenerate_reports", "export_csv", "export_xlsx")

    class Media:
        css = {"all": ("css/document.css",)}

    # Submissions come from the forms and the importer, and change through services: the
    # change page is a read-only view; changing permission still gates the actions.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def get_ordering(self, request: HttpRequest) -> Any:
        # With a visit-date range, newest visit first reads (module, visit_date DESC) in order;
        # ordering by created_at would walk that index and filter, or sort the whole range.
        if any(name.startswith("visit_date__") for name in request.GET):
            return ("-visit_date", "-id")
        return super().get_ordering(request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Submission], search_term: str
    ) -> tuple[QuerySet[Submission], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if SUBMISSION_ID_RE.fullmatch(term.lower()):
            return queryset.filter(submission_id=term.lower()), False
        if JOB_ID_RE.fullmatch(term.lower()):
            return queryset.filter(jobs__job_id=term.lower()), False
        matches = queryset.filter(site_name__icontains=term)
        ids = list(matches.select_related(None).order_by().values_list("pk", flat=True)[: SEARCH_IDS_LIMIT + 1])
        if len(ids) <= SEARCH_IDS_LIMIT:
            remember_result_count(request, len(ids))
            return filter_pk_in(queryset, ids), False
        remember_result_count(request, len(ids), at_least=True)
        return matches, False

    @admin.display(description="Submission id", ordering="submission_id")
    def submission(self, submission: Submission) -> SafeString:
        return self.change_link(submission, submission.submission_id)

    @admin.display(description="Visit date", ordering="visit_date")
    def visit(self, submission: Submission) -> str:
        return submission.visit_date.isoformat() if submission.visit_date else "-"

    @admin.display(description="Created", ordering="created_at")
    def created(self, submission: Submission) -> str:
        return self.local_datetime(submission.created_at)

    @admin.display(description="Report")
    def document(self, submission: Submission) -> SafeString:
        # The inspector's page renders the same partial from the same builder.
        return render_to_string("submissions/_document.html", {"document": document_display(submission)})

    @admin.display(description="Audit log")
    def audit_history(self, submission: Submission) -> SafeString:
        url = reverse("admin:audit_auditlog_changelist")
        return format_html(
            '<a href="{}?resource_type=submission&amp;resource_id={}">History of this submission</a>',
            url,
            submission.pk,
        )

    @admin.action(description="Regenerate reports for the selected submissions", permissions=["change"])
    def regenerate_reports(self, request: HttpRequest, queryset: QuerySet[Submission]) -> None:
        # Imported here, not with the admin (which every manage.py command loads): the job services
        # bring WeasyPrint and openpyxl, ~0.8 s the tree commands need not pay.
        from jobs.services import reports_regenerate

        selected = list(queryset.select_related(None).order_by("id")[: REGENERATE_LIMIT + 1])
        if len(selected) > REGENERATE_LIMIT:
            self.message_user(
                request, f"Select at most {REGENERATE_LIMIT} submissions to regenerate at once.", messages.ERROR
            )
            return
        jobs = [reports_regenerate(submission=submission, actor=request.user) for submission in selected]
        self.message_user(request, f"{len(jobs)} report job(s) queued.", messages.SUCCESS)

    @admin.action(description="Export the selected submissions to CSV", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Submission]) -> StreamingHttpResponse:
        # Imported here: Django imports every admin module at start-up (the tree commands included),
        # and the exports bring openpyxl with them.
        from submissions import exports

        lines = exports.submission_export_csv(actor=request.user, queryset=queryset)
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self._export_name("csv")}"'
        return response

    @admin.action(description="Export the selected submissions to Excel (XLSX)", permissions=["view"])
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet[Submission]) -> FileResponse:
        from submissions import exports

        workbook = exports.submission_export_xlsx(actor=request.user, queryset=queryset)
        return FileResponse(
            workbook,
            as_attachment=True,
            filename=self._export_name("xlsx"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )

    @staticmethod
    def _export_name(extension: str) -> str:
        return f"submissions-{timezone.now():%Y%m%d-%H%M%S}.{extension}"


@admin.register(UploadedFile)
class UploadedFileAdmin(AuditedAdminMixin, FastChangelistMixin, admin.ModelAdmin[UploadedFile]):
    list_display = ("id", "preview", "submission", "file_type", "original_filename", "file_size", "uploaded_at")
    list_filter = ("file_type", ("uploaded_at", DateRangeFilter))
    list_select_related = ("submission",)
    raw_id_fields = ("submission",)
    search_fields = ("original_filename",)
    search_help_text = "An exact submission id (sub_…), or the start of the original file name."
    readonly_fields = ("preview", "uploaded_at")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[UploadedFile], search_term: str
    ) -> tuple[QuerySet[UploadedFile], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if SUBMISSION_ID_RE.fullmatch(term.lower()):
            return queryset.filter(submission__submission_id=term.lower()), False
        return queryset.filter(original_filename__startswith=term), False

    @admin.display(description="Preview")
    def preview(self, upload: UploadedFile) -> SafeString | str:
        if upload.file_type == "report":
            return _link(upload.cloudinary_url, "report")
        return image(upload.cloudinary_url, upload.original_filename)


# The HVAC taxonomy's admin lives with the inspector forms.
from submissions.inspector import admin as inspector_admin  # noqa: E402, F401
