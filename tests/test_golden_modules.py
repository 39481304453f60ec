"""Golden tests: what each module's form post and legacy request store, and what its PDF says.

Recorded from the code before the modules were declared in one place (issue 13) and kept as the
spec the declarations must reproduce: for each module, the browser form's post and the old
app's requests produce the same stored document (generated ids, names and times replaced by
placeholders), the same derived columns, and the same report text (pypdf).

To record again after an intended change: ``INJAAZ_GOLDEN_RECORD=1 pytest tests/test_golden_modules.py``,
then read the diff of ``tests/golden/`` before committing it.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdf
import pytest
from django.test import Client

from jobs.models import Job
from jobs.reports.files import ReportFiles
from jobs.reports.render import render_reports
from submissions.legacy.normalize import normalize_submission
from submissions.models import Submission, UploadedFile
from tests.inspection_helpers import image_bytes, new_key, signature_data_url, upload_photo

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
RECORD = os.environ.get("INJAAZ_GOLDEN_RECORD") == "1"
GENERATED_AT = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)
REPORT_JOB = "job_0000000000aa"


@pytest.fixture
def client_in(client: Client, inspector: Any) -> Client:
    client.force_login(inspector)
    return client


def _photo(client: Client, module_path: str, color: str) -> dict[str, Any]:
    return upload_photo(client, module_path, data=image_bytes(color=color), name=f"{color}.jpg")


def _data_url(color: str) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(image_bytes(color=color)).decode()


def _file(color: str, fmt: str = "JPEG") -> io.BytesIO:
    part = io.BytesIO(image_bytes(fmt, color=color))
    part.name = f"{color}.{fmt.lower()}"
    return part


# --- the requests ---------------------------------------------------------------------------------


def hvac_form(client: Client) -> Any:
    first, second, third = (_photo(client, "hvac-mep", color) for color in ("red", "green", "blue"))
    return client.post(
        "/hvac-mep/form",
        {
            "client_key": new_key(),
            "site_name": "Tower A",
            "visit_date": "2025-12-20",
            "tech_signature": signature_data_url(),
            "opman_signature": signature_data_url("blue"),
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "0",
            "items-0-asset": "HVAC",
            "items-0-system": "Extract Fans",
            "items-0-description": "Toilet Extract Fan",
            "items-0-photo_ids": f"{first['id']},{second['id']}",
            "items-1-asset": "Plumbing",
            "items-1-system": "Drainage System",
            "items-1-description": "Grease Traps",
            "items-1-photo_ids": str(third["id"]),
        },
    )


def hvac_json(client: Client) -> Any:
    first, second = _photo(client, "hvac-mep", "red"), _photo(client, "hvac-mep", "green")
    body = {
        "site_name": "Tower A",
        "visit_date": "2025-12-20",
        "tech_signature": signature_data_url(),
        "opMan_signature": "",
        "items": [
            {"asset": "HVAC", "system": "Chiller Evaporator", "description": "Chiller", "photo_urls": [first["url"]]},
            {
                "asset": "Electrical",
                "system": "MDB",
                "description": "Main Switchboard System",
                "photos": [{"url": second["url"]}],
            },
        ],
    }
    return client.post("/hvac-mep/submit-with-urls", json.dumps(body), content_type="application/json")


def hvac_multipart(client: Client) -> Any:
    return client.post(
        "/hvac-mep/submit",
        {
            "site_name": "Tower B",
            "visit_date": "2025-12-20",
            "items_count": "2",
            "item_0_asset": "HVAC",
            "item_0_system": "Chiller Condenser",
            "item_0_description": "Condenser Pump",
            "item_0_photo": [_file("red")],
            "item_1_asset": "Lights",
            "item_1_system": "Lamps",
            "item_1_description": "Lamps",
            "tech_signature": signature_data_url(),
            "opMan_signature": signature_data_url("blue"),
        },
    )


CIVIL_HEADER = {
    "project_name": "Marina Villa",
    "location": "Block 3",
    "visit_date": "2025-12-20",
    "description_of_work": "Repairs after the leak",
    "floor": "G+1",
    "developer_client": "Emaar",
    "city_area": "Dubai Marina",
    "estimated_time": "2 weeks",
    "estimated_completion": "2026-01-10",
    "inspector_name": "Ravi",
    "manager_name": "Omar",
}


def civil_form(client: Client) -> Any:
    first, second = _photo(client, "civil", "red"), _photo(client, "civil", "green")
    return client.post(
        "/civil/form",
        {
            "client_key": new_key(),
            **CIVIL_HEADER,
            "inspector_signature": signature_data_url(),
            "manager_signature": signature_data_url("blue"),
            "work-TOTAL_FORMS": "2",
            "work-INITIAL_FORMS": "0",
            "work-0-description": "Patch plaster",
            "work-0-quantity": "3",
            "work-0-material": "Knauf",
            "work-0-material_qty": "2",
            "work-0-price": "120.50",
            "work-0-labour": "2 days",
            "work-0-photo_ids": f"{first['id']},{second['id']}",
            "work-1-description": "Repaint",
            "work-1-quantity": "1",
            "work-1-price": "80",
        },
    )


def civil_json(client: Client) -> Any:
    photo = _photo(client, "civil", "red")
    body = {
        **CIVIL_HEADER,
        "inspector_signature": signature_data_url(),
        "manager_signature": "",
        "work_items": [
            {"description": "Patch plaster", "quantity": 3, "price": "120.50", "photos": [{"url": photo["url"]}]},
            {"description": "Repaint", "quantity": "1", "material": "Jotun", "labour": "1 day"},
        ],
    }
    return client.post("/civil/submit-with-urls", json.dumps(body), content_type="application/json")


def civil_multipart(client: Client) -> Any:
    photo = _photo(client, "civil", "red")
    header = {key: value for key, value in CIVIL_HEADER.items() if key not in ("location", "visit_date")}
    return client.post(
        "/civil/submit",
        {
            **header,
            "date": "2025-12-20",
            "location_name": "Block 3",
            "work_desc[]": ["Patch plaster", "Repaint"],
            "work_qty[]": ["3", "1"],
            "material[]": ["Knauf", "Jotun"],
            "material_qty[]": ["2", "4"],
            "price[]": ["120.50", "80"],
            "labour[]": ["2 days", "1 day"],
            "photo_url_0": photo["url"],
            "photos": [_file("green", "PNG")],
            "tech_signature": signature_data_url(),
            "op_signature": "",
        },
    )


CLEANING_FIELDS = {
    "client_name": "Emaar",
    "project_name": "Creek Tower",
    "site_address": "Creek Harbour",
    "date_of_visit": "2025-12-20",
    "key_person_name": "Hassan",
    "contact_number": "+971 50 123 4567",
    "room_count": "12",
    "current_team_size": "4",
    "lift_count_total": "3",
    "current_team_desc": "Two shifts",
    "facility_floor": "G+10",
    "facility_basement": "2",
    "facility_washroom_male": "6",
    "facility_cleaner_count": "5",
    "deep_clean_required": "Yes",
    "deep_clean_areas": "Lobby",
    "waste_hazardous_details": "Batteries",
    "restricted_access": "Roof",
    "pest_control": "Monthly",
    "working_hours": "8-5",
    "required_team_size": "6",
    "site_access_requirements": "Gate pass",
    "facility_equipment_condition": "Fair",
    "required_equipment": "Scrubber",
    "facility_maintenance_notes": "None",
    "high_risk_areas": "Pool",
    "suggested_safety_ppe": "Gloves",
    "general_comments": "Clean overall",
    "assessor_name": "Ali",
    "contact_name": "Sara",
}


def cleaning_form(client: Client) -> Any:
    first, second = _photo(client, "cleaning", "red"), _photo(client, "cleaning", "green")
    return client.post(
        "/cleaning/form",
        {
            "client_key": new_key(),
            **CLEANING_FIELDS,
            "scope_offices": "on",
            "scope_kitchen": "on",
            "waste_general": "on",
            "waste_hazardous": "on",
            "photo_ids": f"{first['id']},{second['id']}",
            "tech_signature": signature_data_url(),
            "contact_signature": signature_data_url("blue"),
        },
    )


def cleaning_json(client: Client) -> Any:
    photo = _photo(client, "cleaning", "red")
    body = {
        **CLEANING_FIELDS,
        "scope_offices": "True",
        "scope_toilets": "False",
        "waste_general": "True",
        "waste_recycling": True,
        "photos": [_data_url("green")],
        "photo_url_0": photo["url"],
        "tech_signature": signature_data_url(),
        "contact_signature": "",
    }
    return client.post("/cleaning/submit", json.dumps(body), content_type="application/json")


def cleaning_with_urls(client: Client) -> Any:
    first, second = _photo(client, "cleaning", "red"), _photo(client, "cleaning", "green")
    body = {
        **CLEANING_FIELDS,
        "scope_toilets": "True",
        "photo_urls": [first["url"]],
        "photo_url_0": second["url"],
        "tech_signature": signature_data_url(),
        "contact_signature": signature_data_url("blue"),
    }
    return client.post("/cleaning/submit-with-urls", json.dumps(body), content_type="application/json")


CASES: dict[str, Callable[[Client], Any]] = {
    "hvac_mep_form": hvac_form,
    "hvac_mep_submit_with_urls": hvac_json,
    "hvac_mep_submit": hvac_multipart,
    "civil_form": civil_form,
    "civil_submit_with_urls": civil_json,
    "civil_submit": civil_multipart,
    "cleaning_form": cleaning_form,
    "cleaning_submit": cleaning_json,
    "cleaning_submit_with_urls": cleaning_with_urls,
}


# --- what is compared -----------------------------------------------------------------------------

TIME_KEYS = ("timestamp", "created_at")


class Placeholders:
    """Replaces generated values (ids, storage names) by stable names, in order of appearance."""

    def __init__(self, submission: Submission) -> None:
        self.replacements: dict[str, str] = {submission.submission_id: "<submission>"}
        job = Job.objects.filter(submission=submission).first()
        if job is not None:
            self.replacements[job.job_id] = "<job>"
        names = UploadedFile.objects.filter(submission=submission).order_by("pk")
        for number, name in enumerate(names.values_list("storage_name", flat=True), start=1):
            self.replacements[name] = f"<file-{number}>"

    def text(self, value: str) -> str:
        for real, placeholder in self.replacements.items():
            value = value.replace(real, placeholder)
        return value

    def document(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {key: ("<time>" if key in TIME_KEYS and node[key] else self.document(node[key])) for key in node}
        if isinstance(node, list):
            return [self.document(value) for value in node]
        if isinstance(node, str):
            return self.text(node)
        return node


def report_text(submission: Submission, placeholders: Placeholders) -> list[str]:
    document = submission.form_data
    record = normalize_submission(document, stem=submission.submission_id, module_hint=submission.module)
    reports = render_reports(
        record, ReportFiles.for_document(document).open, job_id=REPORT_JOB, generated_at=GENERATED_AT
    )
    reader = pypdf.PdfReader(io.BytesIO(reports.pdf))
    text = unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))
    # The submit time (the document's timestamp) is the one time the report shows besides GENERATED_AT.
    text = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC", _keep_generated, text)
    return placeholders.text(text).splitlines()


def _keep_generated(match: re.Match[str]) -> str:
    return match.group(0) if match.group(0).startswith("2026-04-01 12:00") else "<time>"


def observed(submission: Submission) -> dict[str, Any]:
    placeholders = Placeholders(submission)
    return {
        "module": submission.module,
        "site_name": submission.site_name,
        "visit_date": submission.visit_date.isoformat() if submission.visit_date else None,
        "files": sorted(UploadedFile.objects.filter(submission=submission).values_list("file_type", flat=True)),
        "document": placeholders.document(submission.form_data),
        "report_text": report_text(submission, placeholders),
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(client_in: Client, case: str) -> None:
    response = CASES[case](client_in)
    assert response.status_code in (200, 202, 303), response.content[:2000]
    submission = Submission.objects.get()
    found = observed(submission)
    path = GOLDEN / f"{case}.json"
    if RECORD:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(found, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    expected = json.loads(path.read_text())
    assert found == expected
