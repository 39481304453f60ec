"""The Cleaning form: the five tabs of fields, checkboxes as "True"/"False", photos with index."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from submissions.models import Submission
from submissions.modules.registry import declaration
from tests.inspection_helpers import cleaning_post, new_key, signature_data_url, upload_photo

pytestmark = pytest.mark.django_db

FORMAT_FIELDS = [  # FORMAT.md §4.3, every named field of the five tabs
    "client_name",
    "project_name",
    "site_address",
    "date_of_visit",
    "key_person_name",
    "contact_number",
    "room_count",
    "current_team_size",
    "lift_count_total",
    "current_team_desc",
    "facility_floor",
    "facility_ground_parking",
    "facility_basement",
    "facility_podium",
    "facility_gym_room",
    "facility_swimming_pool",
    "facility_washroom_male",
    "facility_washroom_female",
    "facility_changing_room",
    "facility_play_kids_place",
    "facility_garbage_room",
    "facility_floor_chute_room",
    "facility_staircase",
    "facility_floor_service_room",
    "facility_cleaner_count",
    "scope_offices",
    "scope_toilets",
    "scope_hallways",
    "scope_kitchen",
    "scope_exterior",
    "scope_special_care",
    "deep_clean_required",
    "deep_clean_areas",
    "waste_general",
    "waste_recycling",
    "waste_hazardous",
    "waste_hazardous_details",
    "restricted_access",
    "pest_control",
    "working_hours",
    "required_team_size",
    "site_access_requirements",
    "facility_equipment_condition",
    "required_equipment",
    "facility_maintenance_notes",
    "high_risk_areas",
    "suggested_safety_ppe",
    "general_comments",
    "assessor_name",
    "contact_name",
]


@pytest.fixture
def client_in(client: Client, inspector: Any) -> Client:
    client.force_login(inspector)
    return client


def test_the_five_tabs_hold_exactly_the_old_fields(client_in: Client) -> None:
    assert [field.key for field in declaration("cleaning").fields] == FORMAT_FIELDS
    html = client_in.get("/cleaning/form").content.decode()
    tabs = ["Project &amp; facility", "Cleaning &amp; scope", "Safety &amp; staffing", "Visual evidence", "Sign-off"]
    positions = [html.index(f"<legend>{number}. {title}</legend>") for number, title in enumerate(tabs, start=1)]
    assert positions == sorted(positions)
    for name in [*FORMAT_FIELDS, "tech_signature", "contact_signature", "photo_ids", "photos"]:
        assert f'name="{name}"' in html, name
    fields = [html.index(f'name="{name}"') for name in FORMAT_FIELDS]
    assert fields == sorted(fields)  # in form order
    assert positions[3] < html.index('name="photo_ids"') < positions[4]  # photos on "Visual evidence"
    assert 'name="waste_general" checked' in html.replace(' id="id_waste_general"', "")


def test_valid_submission_writes_the_flat_shape(client_in: Client) -> None:
    photos = [upload_photo(client_in, "cleaning") for _ in range(2)]
    response = client_in.post(
        "/cleaning/form",
        cleaning_post(
            site_address="Creek Harbour",
            room_count="12",
            facility_floor="G+10",
            scope_offices="on",
            scope_kitchen="on",
            deep_clean_required="Yes",
            deep_clean_areas="Lobby marble",
            waste_general="",
            waste_hazardous="on",
            facility_equipment_condition="Fair",
            general_comments="OK overall",
            assessor_name="Ali",
            contact_name="Sara",
            photo_ids=f"{photos[0]['id']},{photos[1]['id']}",
            tech_signature=signature_data_url(),
        ),
    )
    assert response.status_code == 303, response.content.decode()[:2000]
    submission = Submission.objects.get()
    document = submission.form_data
    assert {key for key in document if key in FORMAT_FIELDS} == set(FORMAT_FIELDS)  # JSONB keeps no key order
    assert set(document) - set(FORMAT_FIELDS) == {
        "tech_signature",
        "contact_signature",
        "photos",
        "base_url",
        "submission_id",
        "job_id",
        "created_at",
    }
    assert all(isinstance(document[name], str) for name in FORMAT_FIELDS)
    assert (document["scope_offices"], document["scope_toilets"], document["scope_kitchen"]) == (
        "True",
        "False",
        "True",
    )
    assert (document["waste_general"], document["waste_hazardous"]) == ("False", "True")
    assert (document["room_count"], document["facility_podium"], document["deep_clean_required"]) == ("12", "", "Yes")
    assert document["contact_signature"] == ""  # not drawn: the old cleaning shape's empty string
    assert document["tech_signature"]["name"].startswith("signatures/")
    assert [(p["index"], p["name"]) for p in document["photos"]] == [(0, photos[0]["name"]), (1, photos[1]["name"])]
    assert document["submission_id"] == submission.submission_id
    assert (submission.site_name, submission.visit_date) == ("Creek Tower", dt.date(2025, 12, 20))


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"client_name": ""}, "client_name", "This field is required."),
        ({"project_name": ""}, "project_name", "This field is required."),
        ({"date_of_visit": ""}, "date_of_visit", "This field is required."),
        ({"date_of_visit": "25-12-2025"}, "date_of_visit", "Enter the date as YYYY-MM-DD."),
        (
            {"date_of_visit": (dt.date.today() + dt.timedelta(days=5)).isoformat()},
            "date_of_visit",
            "cannot be in the future",
        ),
        ({"room_count": "2.5"}, "room_count", "Enter a whole number."),
        ({"lift_count_total": "lots"}, "lift_count_total", "Enter a number."),
        ({"facility_staircase": "-2"}, "facility_staircase", "zero or more"),
        ({"deep_clean_required": "Maybe"}, "deep_clean_required", "Select a valid choice."),
        ({"facility_equipment_condition": "Broken"}, "facility_equipment_condition", "Select a valid choice."),
        ({"photo_ids": "5000"}, "photo_ids", "no longer available"),
    ],
)
def test_each_invalid_field(client_in: Client, change: dict[str, str], field: str, message: str) -> None:
    data = cleaning_post(general_comments="Remember <this>")
    data.update(change)
    response = client_in.post("/cleaning/form", data)
    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert re.search(f'data-error-for="{field}">[^<]*{re.escape(message)}', html), html
    assert "Remember &lt;this&gt;</textarea>" in html
    assert Submission.objects.count() == 0


def test_idempotent_resubmit_and_conflict(client_in: Client) -> None:
    key = new_key()
    data = cleaning_post(key=key, contact_signature=signature_data_url())
    assert client_in.post("/cleaning/form", data).status_code == 303
    assert client_in.post("/cleaning/form", data).status_code == 303
    assert Submission.objects.count() == 1
    data["scope_exterior"] = "on"
    assert client_in.post("/cleaning/form", data).status_code == 409
    assert Submission.objects.count() == 1
