"""Exports of submissions to CSV and XLSX, for the admin's actions. Each export is audited.

Columns: the submission's own (id, module, site, visit date, status, inspector, time), then one
column per field each exported module declares (``submissions.modules``), headed by the
declared label (prefixed by the module's name when the selection mixes modules): the header
fields, the items' fields (one line per item, in order, with the item count), each signature
("Signed"/"Not signed") and the photos (their absolute download links, in the order taken).

Rows are read in chunks (``iterator``) and written as they come: a CSV streams to the client,
an XLSX is written by openpyxl's write-only workbook into a temporary file that is then
streamed. XLSX cells are typed (``injaaz.spreadsheet``: numbers and dates of number and date
fields are numbers and dates, text is a string cell, never a formula); CSV text that starts like
a formula gets the neutralising quote.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet

from audit.services import Action, audit_record
from injaaz.spreadsheet import NUMBER, neutralise, row_cells, typed
from jobs.reports.files import ReportFiles, storage_names_in
from submissions.legacy.records import LegacyFormatError, NormalizedSubmission
from submissions.models import Submission
from submissions.modules.registry import declarations
from submissions.modules.types import FieldType, ModuleDeclaration
from submissions.selectors import submission_record

HEADERS = ["Submission id", "Module", "Site", "Visit date", "Status", "Inspector", "Created (UTC)"]
FIELDS = ["submission_id", "module", "site_name", "visit_date", "status", "user__email", "created_at", "form_data"]
# The audit row names the exported submissions when there are at most this many.
AUDITED_IDS_LIMIT = 100
CHUNK = 500


@dataclass(frozen=True)
class _Read:
    """One submission as the declared columns read it."""

    record: NormalizedSubmission | None
    photo_links: list[str]


class Source(enum.StrEnum):
    FIELD = "field"  # a header field
    ITEM_COUNT = "item_count"
    ITEM_FIELD = "item_field"  # one line per item
    SIGNATURE = "signature"
    PHOTOS = "photos"


@dataclass(frozen=True)
class Column:
    """A declared column: what ``source``/``key`` of a ``module`` submission holds, of type ``kind``."""

    header: str
    module: str
    source: Source
    key: str = ""
    kind: str = ""

    def value(self, read: _Read) -> str:
        record = read.record
        if record is None:
            return ""
        if self.source == Source.FIELD:
            return _yes_no(self.kind, _text(record.fields.get(self.key)))
        if self.source == Source.ITEM_COUNT:
            return str(len(record.items))
        if self.source == Source.ITEM_FIELD:
            return "\n".join(_yes_no(self.kind, _text(item.fields.get(self.key))) for item in record.items)
        if self.source == Source.SIGNATURE:
            return "Signed" if any(ref.role == self.key for ref in record.signatures) else "Not signed"
        return "\n".join(read.photo_links)


def _yes_no(kind: str, text: str) -> str:
    if kind == FieldType.YES_NO and text in ("True", "False"):
        return "Yes" if text == "True" else "No"
    return text


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def _module_columns(declared: ModuleDeclaration, prefix: str) -> list[Column]:
    module = str(declared.module)
    columns = [Column(prefix + f.label, module, Source.FIELD, f.key, str(f.type)) for f in declared.fields]
    items = declared.items
    if items is not None:
        columns.append(Column(prefix + items.label, module, Source.ITEM_COUNT, kind=NUMBER))
        columns += [Column(prefix + f.label, module, Source.ITEM_FIELD, f.key, str(f.type)) for f in items.fields]
    columns += [Column(prefix + s.label, module, Source.SIGNATURE, s.role) for s in declared.signatures]
    columns.append(Column(prefix + "Photos", module, Source.PHOTOS))
    return columns


def export_columns(modules: set[str]) -> list[Column]:
    """The declared columns of the exported ``modules``, in the registry's order."""
    chosen = [declared for declared in declarations() if str(declared.module) in modules]
    mixed = len(chosen) > 1
    return [
        column for declared in chosen for column in _module_columns(declared, f"{declared.name}: " if mixed else "")
    ]


def _read(submission: Submission) -> _Read:
    try:
        record = submission_record(submission)
    except LegacyFormatError:
        return _Read(None, [])
    document = submission.form_data if isinstance(submission.form_data, dict) else {}
    base_url = document.get("base_url")
    files = ReportFiles(names=storage_names_in(document), base_url=base_url if isinstance(base_url, str) else "")
    references = [reference for item in record.items for reference in item.photos]
    in_items = set(references)
    references += [photo.url for photo in record.photos if photo.url not in in_items]
    return _Read(record, [files.download_link(reference) or reference for reference in references])


class _Echo:
    """A file-like object whose ``write`` returns what it was given (for ``csv.writer``)."""

    def write(self, value: str) -> str:
        return value


def _rows(queryset: QuerySet[Submission], columns: list[Column], *, typed_cells: bool) -> Iterator[list[Any]]:
    values = queryset.select_related(None).order_by("-created_at", "-id").values_list(*FIELDS)
    for submission_id, module, site, visit_date, status, email, created, form_data in values.iterator(chunk_size=CHUNK):
        created_utc = created.astimezone(dt.UTC).replace(tzinfo=None) if created else None
        row: list[Any] = [submission_id, module, site, visit_date, status, email or "", created_utc]
        read = _read(Submission(submission_id=submission_id, module=module, form_data=form_data))
        for column in columns:
            value = column.value(read) if column.module == module else ""
            row.append(typed(value, column.kind) if typed_cells else value)
        yield row


def _selected_modules(queryset: QuerySet[Submission]) -> set[str]:
    return set(queryset.select_related(None).order_by().values_list("module", flat=True).distinct())


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

    columns = export_columns(_selected_modules(queryset))

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow([*HEADERS, *(column.header for column in columns)])
        for row in _rows(queryset, columns, typed_cells=False):
            yield writer.writerow(["" if value is None else neutralise(value) for value in row])

    return lines()


def submission_export_xlsx(*, actor: Any, queryset: QuerySet[Submission]) -> IO[bytes]:
    """Audit the export, then return a temporary file holding the workbook, positioned at its start."""
    from openpyxl import Workbook

    submission_export_record(actor=actor, queryset=queryset, file_format="xlsx")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Submissions")
    columns = export_columns(_selected_modules(queryset))
    sheet.append(row_cells(sheet, [*HEADERS, *(column.header for column in columns)]))
    for row in _rows(queryset, columns, typed_cells=True):
        sheet.append(row_cells(sheet, row))
    output = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - handed to FileResponse, which closes it
    workbook.save(output)
    output.seek(0)
    return output
