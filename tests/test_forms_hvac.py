"""The HVAC/MEP form: the documented document, each invalid field, photos per item, idempotency."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditLog
from submissions.inspector.models import HvacDescription
from submissions.models import FileType, Submission, UploadedFile
from tests.inspection_helpers import hvac_post, image_bytes, new_key, signature_data_url, upload_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(client: Client, inspector: Any) -> Client:
    client.force_login(inspector)
    return client


def test_form_page_offers_the_taxonomy_and_a_fresh_key(client_in: Client) -> None:
    page = client_in.get("/hvac-mep/form")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="client_key"' in html and 'name="items-0-asset"' in html
    taxonomy = json.loads(html.split('id="hvac-taxonomy" type="application/json">')[1].split("</script>")[0])
    assert list(taxonomy) == [
        "HVAC",
        "Electrical",
        "Electro Mechanical",
        "Life & Safety",
        "Plumbing",
        "Electronics",
        "Lights",
    ]
    assert sum(len(systems) for systems in taxonomy.values()) == 19
    # The descriptions ship with the migrations: no manual load before the form offers them.
    assert taxonomy["HVAC"]["Chiller Evaporator"][:2] == ["Chiller", "Secondary Pump"]
    assert "cdn" not in html.lower() and "https://" not in html


def test_valid_submission_writes_the_documented_shape(client_in: Client, inspector: Any) -> None:
    first, second, third = (upload_photo(client_in) for _ in range(3))
    response = client_in.post(
        "/hvac-mep/form",
        hvac_post(
            items=[
                {
                    "asset": "HVAC",
                    "system": "Extract Fans",
                    "description": "Toilet Extract Fan",
                    "photo_ids": f"{first['id']},{second['id']}",
                },
                {
                    "asset": "Plumbing",
                    "system": "Drainage System",
                    "description": "Grease Traps",
                    "photo_ids": str(third["id"]),
                },
            ],
            tech_signature=signature_data_url(),
        ),
    )
    assert response.status_code == 303
    submission = Submission.objects.get()
    assert response["Location"] == f"/submissions/{submission.submission_id}/"
    document = submission.form_data
    assert set(document) == {  # JSONB keeps no key order
        "submission_id",
        "site_name",
        "visit_date",
        "tech_signature",
        "opMan_signature",
        "items",
        "timestamp",
        "base_url",
    }
    assert document["submission_id"] == submission.submission_id
    assert (document["site_name"], document["visit_date"], document["base_url"]) == (
        "Tower A",
        "2025-12-20",
        "http://testserver",
    )
    assert document["opMan_signature"] is None
    signature = document["tech_signature"]
    assert {k: signature[k] for k in ("saved", "path", "is_cloud")} == {"saved": None, "path": None, "is_cloud": True}
    assert signature["name"].startswith("signatures/") and signature["url"] == f"/files/{signature['name']}"
    # Photos stay with their item, in order.
    assert [[p["name"] for p in item["photos"]] for item in document["items"]] == [
        [first["name"], second["name"]],
        [third["name"]],
    ]
    assert [(i["asset"], i["system"], i["description"]) for i in document["items"]] == [
        ("HVAC", "Extract Fans", "Toilet Extract Fan"),
        ("Plumbing", "Drainage System", "Grease Traps"),
    ]
    timestamp = dt.datetime.fromisoformat(document["timestamp"])
    assert timestamp.tzinfo is None and abs(timestamp - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(
        minutes=1
    )
    assert (submission.module, submission.site_name, submission.visit_date, submission.user) == (
        "hvac_mep",
        "Tower A",
        dt.date(2025, 12, 20),
        inspector,
    )
    files = UploadedFile.objects.filter(submission=submission)
    assert sorted(files.values_list("file_type", flat=True)) == ["photo", "photo", "photo", "signature"]
    assert AuditLog.objects.filter(action="submit_form", resource_id=submission.pk).count() == 1


def test_descriptions_come_from_the_shipped_taxonomy(client_in: Client) -> None:
    listed = hvac_post(items=[{"asset": "HVAC", "system": "Chiller Evaporator", "description": "chiller"}])
    response = client_in.post("/hvac-mep/form", listed)
    assert response.status_code == 303
    assert Submission.objects.get().form_data["items"][0]["description"] == "Chiller"  # canonical spelling
    unlisted = hvac_post(items=[{"asset": "HVAC", "system": "Chiller Evaporator", "description": "Teapot"}])
    response = client_in.post("/hvac-mep/form", unlisted)
    assert response.status_code == 400
    assert "Choose one of the descriptions listed for Chiller Evaporator." in response.content.decode()


def test_a_system_without_descriptions_takes_free_text(client_in: Client) -> None:
    HvacDescription.objects.filter(system__name="Lamps").delete()
    response = client_in.post(
        "/hvac-mep/form", hvac_post(items=[{"asset": "Lights", "system": "Lamps", "description": "Corridor LED strip"}])
    )
    assert response.status_code == 303
    assert Submission.objects.get().form_data["items"][0]["description"] == "Corridor LED strip"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"site_name": ""}, "site_name", "This field is required."),
        ({"visit_date": ""}, "visit_date", "This field is required."),
        ({"visit_date": "20/12/2025"}, "visit_date", "Enter the date as YYYY-MM-DD."),
        ({"visit_date": "2025-02-30"}, "visit_date", "Enter the date as YYYY-MM-DD."),
        (
            {"visit_date": (dt.date.today() + dt.timedelta(days=3)).isoformat()},
            "visit_date",
            "The visit date cannot be in the future.",
        ),
        ({"items-0-asset": "Kitchen"}, "items-0-asset", "Select a valid choice."),
        ({"items-0-system": "MDB"}, "items-0-system", "Choose one of the systems of HVAC."),
        ({"items-0-description": ""}, "items-0-description", "This field is required."),
        (
            {"tech_signature": "data:image/png;base64,bm90IGFuIGltYWdl"},
            "tech_signature",
            "The signature could not be read",
        ),
        ({"items-0-photo_ids": "1,x"}, "items-0-photo_ids", "The photo list is damaged"),
        ({"items-0-photo_ids": "999"}, "items-0-photo_ids", "no longer available"),
        ({"client_key": ""}, "client_key", "reload the page"),
    ],
)
def test_each_invalid_field_is_reported_next_to_it(
    client_in: Client, change: dict[str, str], field: str, message: str
) -> None:
    data = hvac_post(site_name="Tower <B>")
    data.update(change)
    response = client_in.post("/hvac-mep/form", data)
    assert response.status_code == 400
    html = response.content.decode()
    if field != "client_key":
        assert re.search(f'data-error-for="{field}">[^<]*{re.escape(message)}', html.replace("&#x27;", "'")), html
    else:
        assert message in html
    # What was typed is kept (escaped).
    if "site_name" not in change:
        assert 'value="Tower &lt;B&gt;"' in html
    assert Submission.objects.count() == 0


def test_more_than_100_photos_on_an_item_is_refused(client_in: Client) -> None:
    data = hvac_post()
    data["items-0-photo_ids"] = ",".join(str(n) for n in range(1, 102))
    response = client_in.post("/hvac-mep/form", data)
    assert response.status_code == 400
    assert "At most 100 photos per item (101 were added)." in response.content.decode()


def test_an_untouched_extra_item_is_ignored_but_one_item_is_needed(client_in: Client) -> None:
    blank = {"asset": "", "system": "", "description": ""}
    empty = client_in.post("/hvac-mep/form", hvac_post(items=[blank]))
    assert empty.status_code == 400  # an empty report is refused (issue 13)
    assert 'data-error-for="items-0-asset">This field is required.' in empty.content.decode()
    assert client_in.post("/hvac-mep/form", hvac_post(items=[])).status_code == 400
    filled = {"asset": "Lights", "system": "Lamps", "description": "Lamps"}
    response = client_in.post("/hvac-mep/form", hvac_post(items=[filled, blank]))
    assert response.status_code == 303
    assert len(Submission.objects.get().form_data["items"]) == 1


def test_same_key_twice_returns_the_same_submission(client_in: Client) -> None:
    photo = upload_photo(client_in)
    data = hvac_post(key=new_key(), tech_signature=signature_data_url())
    data["items-0-photo_ids"] = str(photo["id"])
    first = client_in.post("/hvac-mep/form", data)
    second = client_in.post("/hvac-mep/form", data)
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Submission.objects.count() == 1
    assert UploadedFile.objects.filter(file_type=FileType.SIGNATURE).count() == 1
    assert AuditLog.objects.filter(action="submit_form").count() == 1


def test_same_key_with_different_content_is_a_409(client_in: Client) -> None:
    key = new_key()
    assert client_in.post("/hvac-mep/form", hvac_post(key=key)).status_code == 303
    response = client_in.post("/hvac-mep/form", hvac_post(key=key, site_name="Tower Z"))
    assert response.status_code == 409
    existing = Submission.objects.get()
    assert existing.submission_id in response.content.decode()
    assert existing.site_name == "Tower A"


def test_another_users_key_is_a_409_that_reveals_nothing(client: Client, make_user: Any) -> None:
    key = new_key()
    owner, other = make_user("inspector"), make_user("inspector")
    client.force_login(owner)
    assert client.post("/hvac-mep/form", hvac_post(key=key)).status_code == 303
    client.force_login(other)
    response = client.post("/hvac-mep/form", hvac_post(key=key))
    assert response.status_code == 409
    assert Submission.objects.get().submission_id not in response.content.decode()


def test_photos_posted_with_the_form_work_without_javascript(client_in: Client) -> None:
    import io

    photo = io.BytesIO(image_bytes("PNG"))
    photo.name = "pump.png"
    junk = io.BytesIO(b"hello, I am not a picture")
    junk.name = "fake.jpg"
    data = hvac_post()
    data["items-0-photos"] = [photo]
    response = client_in.post("/hvac-mep/form", data)
    assert response.status_code == 303
    stored = Submission.objects.get().form_data["items"][0]["photos"]
    assert len(stored) == 1 and stored[0]["name"].endswith(".png")
    assert UploadedFile.objects.get(file_type="photo").original_filename == "pump.png"

    # A bad file is named next to its item; the good one is kept for the retry.
    good = io.BytesIO(image_bytes())
    good.name = "good.jpg"
    data = hvac_post(site_name="")
    data["items-0-photos"] = [good, junk]
    response = client_in.post("/hvac-mep/form", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Photo not added: fake.jpg: The file is not an image" in html
    waiting = UploadedFile.objects.filter(submission__isnull=True, original_filename="good.jpg").get()
    assert f'value="{waiting.pk}"' in html


def test_a_concurrent_request_with_the_same_key_is_settled_by_the_unique_index(client_in: Client) -> None:
    """The second request's insert fails on the key, and it answers the first one's submission
    (same content) instead of an error. (Issue 17: the submit no longer looks the key up before
    inserting, so a repeated key always takes this path, raced or not.)"""
    data = hvac_post(key=new_key(), tech_signature=signature_data_url())
    assert client_in.post("/hvac-mep/form", data).status_code == 303
    first = Submission.objects.get()
    again = client_in.post("/hvac-mep/form", data)
    assert (again.status_code, again["Location"]) == (303, f"/submissions/{first.submission_id}/")
    assert Submission.objects.count() == 1
    assert UploadedFile.objects.filter(file_type=FileType.SIGNATURE).count() == 1  # its stored signature removed
