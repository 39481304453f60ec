"""Spreadsheet safety shared by the report workbooks and the admin's XLSX/CSV exports."""

from __future__ import annotations

from typing import Any

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets
# (CSV/formula injection); tab and carriage return are how some of them get smuggled in.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Return ``value`` safe to put in a cell: text that would run as a formula gets a leading quote.

    Numbers, dates and ``None`` pass through unchanged (a negative number is a number, not a formula).
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
