import datetime as dt

import pytest

from injaaz.spreadsheet import neutralise


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1"])
def test_formula_text_is_quoted(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["Tower A", "", None, -5, 3.5, dt.date(2025, 1, 2), "a=b"])
def test_other_values_pass_through(value: object) -> None:
    assert neutralise(value) == value
