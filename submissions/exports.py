"""Exports of submissions to CSV and XLSX, for the admin's actions. Each export is audited.

Rows are read in chunks (``iterator``) and written as they come: a CSV streams to the client,
an XLSX is written by openpyxl's write-only workbook into a temporary file that is then
streamed. XLSX cells are typed (``injaaz.spreadsheet.write``: dates are dates, text is a string
cell, never a formula); CSV text that starts like a formula gets the neutralising quote.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet

from audit.services import Action, audit_record
from injaaz.spreadsheet import neutralise, row_cells
from submissions.models import Submission

HEADERS = ["Submission id", "Module", "Site", "Visit date", "Status", "Inspector", "Created (UTC)"]
FIELDS = ["submission_id", "module", "site_name", "visit_date", "status", "user__email", "created_at"]
# The audit row names the exported submissions when there are at most this many.
AUDITED_IDS_LIMIT = 100


class _Echo:
    """A file-like object whose ``write`` returns what it was given (for ``csv.writer``)."""

    def write(self, value: str) -> str:
        return value


def _rows(queryset: QuerySet[Submission]) -> Iterator[list[Any]]:
    values = queryset.select_related(None).order_by("-created_at", "-id").values_list(*FIELDS)
    for submission_id, module, site, visit_date, status, email, created in values.iterator(chunk_size=2000):
        created_utc = created.astimezone(dt.UTC).replace(tzinfo=None) if created else None
        yield [submission_id, module, site, visit_date, status, email or "", created_utc]


@transaction.atomic
def submission_export_record(*, actor: Any, queryset: QuerySet[Submission], file_format: str) -> int:
    """Write the ``export_submissions`` audit row for exporting ``queryset``; returns the row count."""
    count = queryset.count()
    ids = list(queryset.order_by("-created_at", "-id").values_list("submission_id", flat=True)[: AUDITED_IDS_LIMIT + 1])
    details: dict[str, Any] = {"format": file_format, "rows": count, "submission_ids": ids[:AUDITED_IDS_LIMIT]}
    if len(ids) > AUDITED_IDS_LIMIT:
        details["submission_ids_truncated"] = True
    audit_record(actor=actor, action=Action.EXPORT_SUBMISSIONS, resource_type="submission", details=details)
    return count


def submission_export_csv(*, actor: Any, queryset: QuerySet[Submission]) -> Iterator[str]:
    """Audit the export, then return the CSV's lines (UTF-8 BOM first, so Excel reads Arabic names)."""
    submission_export_record(actor=actor, queryset=queryset, file_format="csv")
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(HEADERS)
        for row in _rows(queryset):
            yield writer.writerow(["" if value is None else neutralise(value) for value in row])

    return lines()


def submission_export_xlsx(*, actor: Any, queryset: QuerySet[Submission]) -> IO[bytes]:
    """Audit the export, then return a temporary file holding the workbook, positioned at its start."""
    from openpyxl import Workbook

    submission_export_record(actor=actor, queryset=queryset, file_format="xlsx")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Submissions")
    sheet.append(HEADERS)
    for row in _rows(queryset):
        sheet.append(row_cells(sheet, row))
    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - handed to FileResponse, which closes it
    workbook.save(output)
    output.seek(0)
    return output
