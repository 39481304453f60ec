"""The Civil form: location asked and required, every work row kept with its photos, signatures saved."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client

from submissions.models import Submission, UploadedFile
from tests.inspection_helpers import civil_post, new_key, signature_data_url, upload_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(client: Client, inspector: Any) -> Client:
    client.force_login(inspector)
    return client


def test_form_asks_for_the_location(client_in: Client) -> None:
    html = client_in.get("/civil/form").content.decode()
    assert 'name="location"' in html and 'name="work-0-description"' in html
    assert 'name="inspector_signature"' in html and 'name="manager_signature"' in html


def test_every_work_row_survives_with_its_photos_and_both_signatures(client_in: Client) -> None:
    photos = [upload_photo(client_in, "civil") for _ in range(3)]
    rows = [
        {
            "description": "Patch plaster",
            "quantity": "3",
            "material": "Knauf MP75",
            "material_qty": "2",
            "price": "120.50",
            "labour": "2 days",
            "photo_ids": f"{photos[0]['id']},{photos[1]['id']}",
        },
        {"description": "Repaint", "quantity": "1", "price": "80", "photo_ids": str(photos[2]["id"])},
        {"description": "", "quantity": "", "material": ""},  # an untouched row
        {"description": "Seal joints", "quantity": "12.5"},
    ]
    response = client_in.post(
        "/civil/form",
        civil_post(
            rows=rows,
            inspector_name="Ravi",
            manager_name="Omar",
            description_of_work="Façade repairs",
            floor="G+2",
            developer_client="Emaar",
            city_area="Dubai Marina",
            estimated_time="2 weeks",
            estimated_completion="2027-01-10",
            inspector_signature=signature_data_url(),
            manager_signature=signature_data_url("blue"),
        ),
    )
    assert response.status_code == 303, response.content.decode()[:3000]
    submission = Submission.objects.get()
    document = submission.form_data
    assert set(document) == {  # JSONB keeps no key order
        "id",
        "project_name",
        "location",
        "visit_date",
        "inspector_name",
        "inspector_signature",
        "manager_name",
        "manager_signature",
        "work_items",
        "description_of_work",
        "floor",
        "developer_client",
        "city_area",
        "estimated_time",
        "estimated_completion",
        "created_at",
        "base_url",
    }
    assert document["id"] == submission.submission_id
    assert (document["location"], document["estimated_completion"]) == ("Block 3", "2027-01-10")
    assert document["description_of_work"] == "Façade repairs"
    work = document["work_items"]
    assert [w["item_number"] for w in work] == [1, 2, 3]
    assert [w["description"] for w in work] == ["Patch plaster", "Repaint", "Seal joints"]
    assert work[0] | {"photos": None} == {
        "item_number": 1,
        "description": "Patch plaster",
        "quantity": "3",
        "material": "Knauf MP75",
        "material_qty": "2",
        "price": "120.50",
        "labour": "2 days",
        "photos": None,
    }
    assert [[p["name"] for p in w["photos"]] for w in work] == [
        [photos[0]["name"], photos[1]["name"]],
        [photos[2]["name"]],
        [],
    ]
    for key in ("inspector_signature", "manager_signature"):
        assert document[key]["name"].startswith("signatures/") and document[key]["is_cloud"] is True
    assert "photos" not in document  # browser photos always belong to a work row
    assert submission.site_name == "Marina Villa" and submission.visit_date == dt.date(2025, 12, 20)
    assert UploadedFile.objects.filter(submission=submission).count() == 5


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"project_name": ""}, "project_name", "This field is required."),
        ({"location": "  "}, "location", "This field is required."),
        ({"visit_date": ""}, "visit_date", "This field is required."),
        ({"visit_date": "2025-13-01"}, "visit_date", "Enter the date as YYYY-MM-DD."),
        ({"visit_date": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "visit_date", "cannot be in the future"),
        ({"estimated_completion": "soon"}, "estimated_completion", "Enter the date as YYYY-MM-DD."),
        ({"work-0-quantity": "three"}, "work-0-quantity", "Enter a number."),
        ({"work-0-quantity": "-1"}, "work-0-quantity", "zero or more"),
        ({"work-0-price": "12.345"}, "work-0-price", "at most 2 decimal places"),
        ({"work-0-material_qty": "NaN"}, "work-0-material_qty", "Enter a number."),
        ({"work-0-description": ""}, "work-0-description", "This field is required."),
        ({"manager_signature": "data:text/plain;base64,aGk="}, "manager_signature", "not an image data URL"),
    ],
)
def test_each_invalid_field(client_in: Client, change: dict[str, str], field: str, message: str) -> None:
    data = civil_post(inspector_name="Ravi")
    data.update(change)
    response = client_in.post("/civil/form", data)
    assert response.status_code == 400
    html = response.content.decode().replace("&#x27;", "'")
    assert re.search(f'data-error-for="{field}">[^<]*{re.escape(message)}', html), html
    assert 'value="Ravi"' in html  # kept
    assert Submission.objects.count() == 0


def test_idempotent_resubmit_and_conflict(client_in: Client) -> None:
    key = new_key()
    photo = upload_photo(client_in, "civil")
    data = civil_post(key=key, rows=[{"description": "Patch", "photo_ids": str(photo["id"])}])
    first, again = client_in.post("/civil/form", data), client_in.post("/civil/form", data)
    assert (first.status_code, again.status_code) == (303, 303)
    assert first["Location"] == again["Location"] and Submission.objects.count() == 1
    changed = civil_post(key=key, rows=[{"description": "Patch", "photo_ids": str(photo["id"]), "quantity": "2"}])
    assert client_in.post("/civil/form", changed).status_code == 409
    assert Submission.objects.count() == 1
