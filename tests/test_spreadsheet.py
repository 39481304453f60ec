"""Spreadsheet cells: CSV text is neutralised, XLSX cells are typed (strings, numbers, dates)."""

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from injaaz.spreadsheet import DATE, DECIMAL, NUMBER, neutralise, put, row_cells, typed


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1"])
def test_formula_text_is_quoted(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Tower A", "", None, -5, 3.5, dt.date(2025, 1, 2), "a=b"])
def test_other_values_pass_through(value: object) -> None:
    assert neutralise(value) == value


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("12", NUMBER, 12),
        (" 3 ", NUMBER, 3),
        ("120.50", DECIMAL, 120.5),
        ("-4", DECIMAL, -4),
        ("3 pcs", NUMBER, "3 pcs"),  # an old record's free text stays text
        ("", NUMBER, ""),
        ("2025-12-20", DATE, dt.date(2025, 12, 20)),
        ("2025-02-30", DATE, "2025-02-30"),
        ("20/12/2025", DATE, "20/12/2025"),
        ("+971 50 123 4567", "", "+971 50 123 4567"),
        ("12", "", "12"),  # a text field's digits stay text (a phone number, a floor)
    ],
)
def test_typed_values(value: str, kind: str, expected: object) -> None:
    assert typed(value, kind) == expected
    assert type(typed(value, kind)) is type(expected)


def _round_trip(values: list[object], *, write_only: bool) -> list[Any]:
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("S") if write_only else workbook.active
    assert sheet is not None
    if write_only:
        sheet.append(row_cells(sheet, values))
    else:
        for column, value in enumerate(values, start=1):
            put(sheet, 1, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return list(next(load_workbook(io.BytesIO(buffer.getvalue()))["S" if write_only else "Sheet"].iter_rows()))


@pytest.mark.parametrize("write_only", [False, True])
def test_xlsx_cells_read_back_typed_with_no_apostrophe(write_only: bool) -> None:
    phone, formula, error_code = "+971 50 123 4567", '=HYPERLINK("http://evil.example","click")', "#N/A"
    values: list[object] = [
        phone,
        formula,
        "-2+3",
        "@cmd",
        error_code,
        12,
        120.5,
        Decimal("7.25"),
        dt.date(2025, 12, 20),
        dt.datetime(2026, 4, 1, 12, 30, tzinfo=dt.UTC),
        "bad\x07bell",
    ]
    cells = _round_trip(values, write_only=write_only)
    for cell, text in zip(cells[:5], (phone, formula, "-2+3", "@cmd", error_code), strict=True):
        assert (cell.value, cell.data_type) == (text, "s")  # exact text, a string cell, never a formula
    assert cells[0].quotePrefix and cells[1].quotePrefix and not cells[4].quotePrefix
    assert (cells[5].value, cells[5].data_type) == (12, "n")
    assert (cells[6].value, cells[7].value) == (120.5, 7.25)
    assert cells[8].is_date and cells[8].value == dt.datetime(2025, 12, 20)
    assert cells[8].number_format == "yyyy-mm-dd"
    assert cells[9].is_date and cells[9].value == dt.datetime(2026, 4, 1, 12, 30)  # UTC, no zone
    assert cells[10].value == "badbell"
