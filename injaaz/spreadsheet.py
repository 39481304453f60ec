"""Spreadsheet cells shared by the report workbooks and the admin's XLSX/CSV exports.

An XLSX cell has a type, so text is stored as a string cell whatever it starts with: ``+971 50…``
stays that text (no apostrophe shown) and ``=HYPERLINK(…)`` is never a formula. Numbers and
dates typed into number and date fields become number and date cells (``typed``). A CSV cell has
no type: a spreadsheet program runs text that starts like a formula, so CSV text gets the
neutralising quote (``neutralise``).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets
# (CSV/formula injection); tab and carriage return are how some of them get smuggled in.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXCEL_CELL_LIMIT = 32_767
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"

# The value kinds ``typed`` turns into cells of their own (the declarations' field types).
NUMBER = "number"
DECIMAL = "decimal"
DATE = "date"

# Control characters an XLSX cell cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE). Stated here so
# this module does not import openpyxl: the admin imports it, and the tree commands load the admin.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_NUMBER_RE = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def neutralise(value: Any) -> Any:
    """Return ``value`` safe to put in a CSV cell: text that would run as a formula gets a leading quote.

    Numbers, dates and ``None`` pass through unchanged (a negative number is a number, not a formula).
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def clean_text(value: str) -> str:
    """Text an XLSX cell can hold: control characters dropped, length capped."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:EXCEL_CELL_LIMIT]


def typed(value: Any, kind: str = "") -> Any:
    """A document's value as the cell value its field's type means.

    ``kind`` ``number``/``decimal``: a number when the text is one (an ``int`` when it has no
    fraction); ``date``: a ``datetime.date`` when the text is ``YYYY-MM-DD``. Anything else, and
    text that is not what its field expects (an old record's "3 pcs"), stays as it was typed.
    """
    if not isinstance(value, str) or kind not in (NUMBER, DECIMAL, DATE):
        return value
    text = value.strip()
    if kind == DATE:
        if _DATE_RE.match(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                return value
        return value
    if not _NUMBER_RE.match(text):
        return value
    try:
        number = Decimal(text)
    except InvalidOperation:
        return value
    return int(number) if "." not in text else float(number)


def write(cell: Cell, value: Any) -> Cell:
    """Put ``value`` in ``cell`` with its type: text as a string cell (never a formula or an error
    code, with Excel's quote-prefix flag when it starts like a formula), dates as date cells."""
    if isinstance(value, str):
        text = clean_text(value)
        cell.value = text
        cell.data_type = "s"  # openpyxl would read "=…" as a formula and "#N/A" as an error
        if text.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True  # Excel keeps it text when the cell is edited; nothing is shown
    elif isinstance(value, Decimal):
        cell.value = float(value)
    else:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)  # cells hold no zone: UTC, said in the header
        cell.value = value
        if isinstance(value, dt.datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, dt.date):
            cell.number_format = DATE_FORMAT
    return cell


def put(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """``write`` into the cell at ``row``, ``column`` of a normal sheet."""
    return write(sheet.cell(row, column), value)


def row_cells(sheet: Any, values: list[Any]) -> list[Cell]:
    """Typed cells for ``sheet.append`` in a write-only sheet (``WriteOnlyCell``)."""
    from openpyxl.cell import WriteOnlyCell  # only when a workbook is written (see ILLEGAL_CHARACTERS_RE)

    return [write(WriteOnlyCell(sheet), value) for value in values]
