"""The Excel workbook of a submission (openpyxl).

Sheet one holds the summary, every field of the module by section, the items or work rows with
their photo counts, and the signatures; sheet "Photos" lists every photo with its link and a
thumbnail. Every text cell goes through ``injaaz.spreadsheet.neutralise``: text that starts
like a formula is never run as one.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from injaaz.spreadsheet import neutralise
from jobs.reports.content import PhotoView, ReportContent

BRAND = "125435"
EXCEL_CELL_LIMIT = 32_767
# Fields whose values are numbers typed into number inputs: written as numbers when they are.
NUMERIC_KEYS = {
    "item_number",
    "quantity",
    "material_qty",
    "price",
    "room_count",
    "current_team_size",
    "lift_count_total",
    "required_team_size",
} | {
    f"facility_{name}"
    for name in (
        "ground_parking",
        "basement",
        "podium",
        "gym_room",
        "swimming_pool",
        "washroom_male",
        "washroom_female",
        "changing_room",
        "play_kids_place",
        "garbage_room",
        "floor_chute_room",
        "staircase",
        "floor_service_room",
        "cleaner_count",
    )
}
_NUMBER_RE = re.compile(r"^-?\d{1,12}(\.\d{1,6})?$")

TITLE_FONT = Font(bold=True, size=14, color="FFFFFF")
TITLE_FILL = PatternFill("solid", start_color=BRAND, end_color=BRAND)
HEADER_FONT = Font(bold=True, color=BRAND, size=12)
COLUMN_FONT = Font(bold=True, color="FFFFFF")
LABEL_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
THUMBNAIL_ROW_HEIGHT = 72  # points; thumbnails are at most 120 px (90 pt) on their long side


def cell_text(value: Any) -> Any:
    """A value safe for a cell: control characters dropped, length capped, formulas neutralised."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_CELL_LIMIT]
    return neutralise(value)


def cell_value(key: str, value: str) -> Any:
    """Numbers typed into number fields become numbers; everything else stays (neutralised) text."""
    if key in NUMERIC_KEYS and _NUMBER_RE.match(value.strip()):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return cell_text(value)
        return int(number) if number == number.to_integral_value() and "." not in value else float(number)
    return cell_text(value)


def _is_web_link(reference: str) -> bool:
    parts = urlsplit(reference)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and '"' not in reference


def _photo_link_text(reference: str) -> str:
    if reference.startswith("data:"):
        return "(image embedded in the submission)"
    return reference


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
        cell = self.sheet.cell(self.row, 1, cell_text(text))
        cell.font, cell.fill = TITLE_FONT, TITLE_FILL
        self.sheet.row_dimensions[self.row].height = 24
        self.row += 1
        self.sheet.cell(self.row, 1, cell_text(subtitle)).font = Font(italic=True)
        self.row += 2

    def heading(self, text: str) -> None:
        self.sheet.cell(self.row, 1, cell_text(text)).font = HEADER_FONT
        self.row += 1

    def pair(self, label: str, value: Any) -> None:
        self.sheet.cell(self.row, 1, cell_text(label)).font = LABEL_FONT
        self.sheet.cell(self.row, 2, value).alignment = WRAP
        self.row += 1

    def columns(self, labels: list[str]) -> None:
        for column, label in enumerate(labels, start=1):
            cell = self.sheet.cell(self.row, column, cell_text(label))
            cell.font, cell.fill = COLUMN_FONT, TITLE_FILL
        self.row += 1

    def gap(self) -> None:
        self.row += 1


def build_workbook(content: ReportContent) -> bytes:
    """The workbook's bytes (``.xlsx``)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = content.layout.sheet_title[:31]
    item_columns = ["#", *(label for key, label in content.item_fields if key != "item_number"), "Photos"]
    writer = _Writer(sheet, max(4, len(item_columns)))

    writer.title(content.layout.title, content.layout.subtitle)
    writer.heading("Summary")
    for row in content.summary:
        writer.pair(row.label, cell_text(row.value))

    for section in content.sections:
        writer.gap()
        writer.heading(section.title)
        for row in section.rows:
            writer.pair(row.label, cell_value(row.key, row.value))

    if content.items or content.layout.item_fields:
        writer.gap()
        writer.heading(content.layout.items_title or "Items")
        writer.columns(item_columns)
        for item in content.items:
            values: list[Any] = [item.number]
            values += [
                cell_value(key, item.values.get(key, "")) for key, _ in content.item_fields if key != "item_number"
            ]
            values.append(len(item.photos))
            for column, value in enumerate(values, start=1):
                sheet.cell(writer.row, column, value).alignment = WRAP
            writer.row += 1
        if not content.items:
            writer.pair("No items were recorded.", "")

    writer.gap()
    writer.heading("Signatures")
    for signature in content.signatures:
        status = "Signed" if signature.present else "Not signed"
        if signature.present and signature.image is None:
            status = "Signed (image not available)"
        sheet.cell(writer.row, 1, cell_text(signature.label)).font = LABEL_FONT
        sheet.cell(writer.row, 2, cell_text(status))
        sheet.cell(writer.row, 3, cell_text(signature.person))
        if signature.image is not None:
            image = signature.image
            _add_image(sheet, image.thumbnail, image.thumbnail_width, image.thumbnail_height, f"D{writer.row}")
            sheet.row_dimensions[writer.row].height = THUMBNAIL_ROW_HEIGHT
        writer.row += 1

    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 40
    for column in range(3, len(item_columns) + 2):
        sheet.column_dimensions[get_column_letter(column)].width = 20

    _photos_sheet(workbook.create_sheet("Photos"), content.all_photos)

    workbook.properties.creator = "Injaaz"
    workbook.properties.title = cell_text(f"{content.layout.title} {content.submission_id}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _photos_sheet(sheet: Worksheet, photos: list[PhotoView]) -> None:
    headers = ["Photo", "Item", "Link", "Thumbnail"]
    for column, label in enumerate(headers, start=1):
        cell = sheet.cell(1, column, label)
        cell.font, cell.fill = COLUMN_FONT, TITLE_FILL
    for row, photo in enumerate(photos, start=2):
        sheet.cell(row, 1, photo.number)
        sheet.cell(row, 2, photo.item + 1 if photo.item is not None else "")
        link = sheet.cell(row, 3, cell_text(_photo_link_text(photo.reference)))
        if _is_web_link(photo.reference):
            link.hyperlink = photo.reference
            link.style = "Hyperlink"
        if photo.image is not None:
            image = photo.image
            _add_image(sheet, image.thumbnail, image.thumbnail_width, image.thumbnail_height, f"D{row}")
            sheet.row_dimensions[row].height = THUMBNAIL_ROW_HEIGHT
        else:
            sheet.cell(row, 4, "Image not available")
    if not photos:
        sheet.cell(2, 1, "No photos were attached.")
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 8
    sheet.column_dimensions["C"].width = 60
    sheet.column_dimensions["D"].width = 20
