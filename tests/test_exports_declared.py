"""CSV/XLSX exports: one column per declared field, headed by the declared label; typed XLSX
cells, the CSV's formula-neutralising quote, photos in the order taken."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from submissions.models import Submission
from tests.jobs_support import civil_document, cleaning_document, hvac_document

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:submissions_submission_changelist"
COMMON = ["Submission id", "Module", "Site", "Visit date", "Status", "Inspector", "Created (UTC)"]
# The spec, written independently of the declarations.
HVAC_COLUMNS = [
    "Site name",
    "Visit date",
    "Items",
    "Asset",
    "System",
    "Description",
    "Technician signature",
    "Operations manager signature",
    "Photos",
]


@pytest.fixture
def staff_client(client: Client, staff_user: Any) -> Client:
    client.force_login(staff_user)
    return client


def _save(document: dict[str, Any], module: str, submission_id: str, **extra: Any) -> Submission:
    return Submission.objects.create(
        submission_id=submission_id, module=module, site_name="Site", form_data=document, **extra
    )


def _export(client: Client, action: str, submissions: list[Submission]) -> Any:
    response = client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [submission.pk for submission in submissions]}
    )
    assert response.status_code == 200
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def _sheet(data: bytes) -> list[list[Any]]:
    return [list(row) for row in load_workbook(io.BytesIO(data))["Submissions"].iter_rows()]


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_hvac_columns_are_its_declared_fields_with_items_signatures_and_photos_in_order(
    staff_client: Client,
) -> None:
    document = hvac_document("sub_00000000e401", items=2, photos_per_item=2, prefix="ex")
    document["items"][1]["system"] = "Extract Fans"
    _save(document, "hvac_mep", "sub_00000000e401")
    rows = _sheet(_export(staff_client, "export_xlsx", list(Submission.objects.all())))
    header = [cell.value for cell in rows[0]]
    assert header == COMMON + HVAC_COLUMNS
    values = dict(zip(header, rows[1], strict=True))
    assert values["Site name"].value == "برج الإنجاز Tower"
    assert values["Visit date"].is_date and values["Visit date"].value == dt.datetime(2026, 1, 15)
    assert (values["Items"].value, values["Items"].data_type) == (2, "n")
    assert values["System"].value == "Chiller Evaporator\nExtract Fans"  # one line per item, in order
    description = values["Description"]
    assert description.data_type == "s" and description.value.startswith('=HYPERLINK("http://evil.example"')
    assert (values["Technician signature"].value, values["Operations manager signature"].value) == (
        "Signed",
        "Not signed",
    )
    names = [photo["name"] for item in document["items"] for photo in item["photos"]]
    assert values["Photos"].value == "\n".join(f"http://testserver/files/{name}" for name in names)


def test_cleaning_cells_are_typed_and_the_csv_keeps_the_prefix(staff_client: Client) -> None:
    document = cleaning_document("sub_00000000e402")
    document |= {"contact_number": "+971 50 123 4567", "room_count": "12", "facility_washroom_male": "3"}
    submission = _save(document, "cleaning", "sub_00000000e402")
    rows = _sheet(_export(staff_client, "export_xlsx", [submission]))
    header = [cell.value for cell in rows[0]]
    values = dict(zip(header, rows[1], strict=True))
    assert header[len(COMMON) : len(COMMON) + 6] == [
        "Client name",
        "Project name",
        "Site address",
        "Date of visit",
        "Key person name",
        "Contact number",
    ]
    assert "facility_washroom_male" not in header and "Washrooms (male)" in header
    phone = values["Contact number"]
    assert (phone.value, phone.data_type) == ("+971 50 123 4567", "s")  # exact, no apostrophe
    assert (values["Room count"].value, values["Room count"].data_type) == (12, "n")
    assert values["Date of visit"].value == dt.datetime(2026, 3, 3)
    yes_no = [value.value for label, value in values.items() if label in ("Offices", "Toilets")]
    assert yes_no == ["Yes", "No"]
    lines = _csv(_export(staff_client, "export_csv", [submission]))
    by_header = dict(zip(lines[0], lines[1], strict=True))
    assert by_header["Contact number"] == "'+971 50 123 4567"  # CSV has no types: the prefix stays
    assert by_header["Room count"] == "12" and by_header["Date of visit"] == "2026-03-03"


def test_a_mixed_selection_names_each_modules_columns(staff_client: Client) -> None:
    hvac = _save(hvac_document("sub_00000000e403", items=1, photos_per_item=0), "hvac_mep", "sub_00000000e403")
    civil = _save(civil_document("sub_00000000e404"), "civil", "sub_00000000e404")
    lines = _csv(_export(staff_client, "export_csv", [hvac, civil]))
    header = lines[0]
    assert header[: len(COMMON)] == COMMON
    assert "HVAC & MEP: Site name" in header and "Civil works: Project name" in header
    assert header.index("HVAC & MEP: Photos") < header.index("Civil works: Project name")
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in lines[1:]}
    assert rows["sub_00000000e404"]["Civil works: Project name"] == "Villa 12"
    assert rows["sub_00000000e404"]["HVAC & MEP: Site name"] == ""
    assert rows["sub_00000000e403"]["Civil works: Price"] == ""
    assert rows["sub_00000000e404"]["Civil works: Price"] == "120.50\n"
    assert rows["sub_00000000e404"]["Civil works: Manager name"] == "'+Manager"
