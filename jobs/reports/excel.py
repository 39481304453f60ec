"""The Excel workbook of a submission (openpyxl).

Sheet one holds the summary, every field of the module by section, the items or work rows with
their photo counts, and the signatures; sheet "Photos" lists every photo, in the order the
inspector picked them, with its link and a thumbnail. Cells are typed (``injaaz.spreadsheet``):
numbers typed into number fields are numbers, dates are dates, text is always a string cell, so
text that starts like a formula is never run as one and shows no apostrophe.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from injaaz.spreadsheet import DATE, NUMBER, put, typed
from jobs.reports.content import PhotoView, ReportContent
from submissions.modules.registry import declaration_or_none

BRAND = "125435"
# Summary rows that are counts or times rather than text.
SUMMARY_KINDS = {"visit_date": DATE, "items": NUMBER, "photos": NUMBER}
SUMMARY_TIME_FORMAT = "%Y-%m-%d %H:%M UTC"

TITLE_FONT = Font(bold=True, size=14, color="FFFFFF")
TITLE_FILL = PatternFill("solid", start_color=BRAND, end_color=BRAND)
HEADER_FONT = Font(bold=True, color=BRAND, size=12)
COLUMN_FONT = Font(bold=True, color="FFFFFF")
LABEL_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
THUMBNAIL_ROW_HEIGHT = 72  # points; thumbnails are at most 120 px (90 pt) on their long side


def field_kinds(module: str) -> dict[str, str]:
    """Each declared field's type (header and item fields): numbers and dates get typed cells."""
    declared = declaration_or_none(module)
    if declared is None:
        return {}
    items = declared.items
    kinds = {field.key: str(field.type) for field in (*declared.fields, *(items.fields if items else ()))}
    if items is not None and items.number_key:
        kinds[items.number_key] = NUMBER
    return kinds


def summary_value(key: str, value: str) -> Any:
    """A summary row's value: the visit date a date, counts numbers, times date-times (UTC)."""
    if key in ("created_at", "generated_at"):
        try:
            return dt.datetime.strptime(value, SUMMARY_TIME_FORMAT)  # noqa: DTZ007 - UTC, said in the label
        except ValueError:
            return value
    return typed(value, SUMMARY_KINDS.get(key, ""))


def _is_web_link(reference: str) -> bool:
    parts = urlsplit(reference)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and '"' not in reference


def _photo_link_text(reference: str, link: str) -> str:
    if reference.startswith("data:"):
        return "(image embedded in the submission)"
    return link or reference


def web_link(reference: str) -> str:
    """The default photo link: the reference itself when it is already an absolute web link."""
    return reference if _is_web_link(reference) else ""


def _add_image(sheet: Worksheet, data: bytes, width: int, height: int, anchor: str) -> None:
    image = SheetImage(io.BytesIO(data))
    image.width, image.height = width, height
    sheet.add_image(image, anchor)


class _Writer:
    def __init__(self, sheet: Worksheet, width: int) -> None:
        self.sheet = sheet
        self.row = 1
        self.width = width

    def title(self, text: str, subtitle: str) -> None:
        self.sheet.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=self.width)
        cell = put(self.sheet, self.row, 1, text)
        cell.font, cell.fill = TITLE_FONT, TITLE_FILL
        self.sheet.row_dimensions[self.row].height = 24
        self.row += 1
        put(self.sheet, self.row, 1, subtitle).font = Font(italic=True)
        self.row += 2

    def heading(self, text: str) -> None:
        put(self.sheet, self.row, 1, text).font = HEADER_FONT
        self.row += 1

    def pair(self, label: str, value: Any) -> None:
        put(self.sheet, self.row, 1, label).font = LABEL_FONT
        put(self.sheet, self.row, 2, value).alignment = WRAP
        self.row += 1

    def columns(self, labels: list[str]) -> None:
        for column, label in enumerate(labels, start=1):
            cell = put(self.sheet, self.row, column, label)
            cell.font, cell.fill = COLUMN_FONT, TITLE_FILL
        self.row += 1

    def gap(self) -> None:
        self.row += 1


def build_workbook(content: ReportContent, *, photo_link: Callable[[str], str] = web_link) -> bytes:
    """The workbook's bytes (``.xlsx``). ``photo_link``: a photo reference's absolute link (the
    authorised download link of a stored photo; ``jobs.reports.files.ReportFiles.download_link``), or ""."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = content.layout.sheet_title[:31]
    item_columns = ["#", *(label for key, label in content.item_fields if key != "item_number"), "Photos"]
    writer = _Writer(sheet, max(4, len(item_columns)))
    kinds = field_kinds(content.module)

    writer.title(content.layout.title, content.layout.subtitle)
    writer.heading("Summary")
    for row in content.summary:
        writer.pair(row.label, summary_value(row.key, row.value))

    for section in content.sections:
        writer.gap()
        writer.heading(section.title)
        for row in section.rows:
            writer.pair(row.label, typed(row.value, kinds.get(row.key, "")))

    if content.items or content.layout.item_fields:
        writer.gap()
        writer.heading(content.layout.items_title or "Items")
        writer.columns(item_columns)
        for item in content.items:
            values: list[Any] = [item.number]
            values += [
                typed(item.values.get(key, ""), kinds.get(key, ""))
                for key, _ in content.item_fields
                if key != "item_number"
            ]
            values.append(len(item.photos))
            for column, value in enumerate(values, start=1):
                put(sheet, writer.row, column, value).alignment = WRAP
            writer.row += 1
        if not content.items:
            writer.pair("No items were recorded.", "")

    writer.gap()
    writer.heading("Signatures")
    for signature in content.signatures:
        status = "Signed" if signature.present else "Not signed"
        if signature.present and signature.image is None:
            status = "Signed (image not available)"
        put(sheet, writer.row, 1, signature.label).font = LABEL_FONT
        put(sheet, writer.row, 2, status)
        put(sheet, writer.row, 3, signature.person)
        if signature.image is not None:
            image = signature.image
            _add_image(sheet, image.thumbnail, image.thumbnail_width, image.thumbnail_height, f"D{writer.row}")
            sheet.row_dimensions[writer.row].height = THUMBNAIL_ROW_HEIGHT
        writer.row += 1

    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 40
    for column in range(3, len(item_columns) + 2):
        sheet.column_dimensions[get_column_letter(column)].width = 20

    _photos_sheet(workbook.create_sheet("Photos"), content.all_photos, photo_link)

    workbook.properties.creator = "Injaaz"
    workbook.properties.title = f"{content.layout.title} {content.submission_id}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _photos_sheet(sheet: Worksheet, photos: list[PhotoView], photo_link: Callable[[str], str]) -> None:
    headers = ["Photo", "Item", "Link", "Thumbnail"]
    for column, label in enumerate(headers, start=1):
        cell = put(sheet, 1, column, label)
        cell.font, cell.fill = COLUMN_FONT, TITLE_FILL
    for row, photo in enumerate(photos, start=2):
        put(sheet, row, 1, photo.number)
        put(sheet, row, 2, photo.item + 1 if photo.item is not None else "")
        link = "" if photo.reference.startswith("data:") else photo_link(photo.reference)
        cell = put(sheet, row, 3, _photo_link_text(photo.reference, link))
        if _is_web_link(link):
            cell.hyperlink = link
            cell.style = "Hyperlink"
        if photo.image is not None:
            image = photo.image
            _add_image(sheet, image.thumbnail, image.thumbnail_width, image.thumbnail_height, f"D{row}")
            sheet.row_dimensions[row].height = THUMBNAIL_ROW_HEIGHT
        else:
            put(sheet, row, 4, "Image not available")
    if not photos:
        put(sheet, 2, 1, "No photos were attached.")
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 8
    sheet.column_dimensions["C"].width = 60
    sheet.column_dimensions["D"].width = 20
