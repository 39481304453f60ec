"""In ``dual`` phase a legacy file that cannot be written (issue 14 item 5) loses nothing:
the JSON routes answer 503 with a JSON body and ``Retry-After``, the browser form comes back with
every value, photo and signature and says saving failed, and the log says why. Nothing is
written anywhere, and the same submit succeeds once the folder is writable again.

The failure is a real one: a file stands where the ``submissions`` folder must be created.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditLog
from jobs.models import Job
from submissions.models import Submission, UploadedFile
from tests.inspection_helpers import civil_post, signature_data_url, upload_photo
from tests.legacy_store_helpers import legacy_dir

__all__ = ["legacy_dir"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def blocked(legacy_dir: Path, settings: Any) -> Path:
    """dual phase, with the submissions folder impossible to create."""
    settings.INJAAZ_STORAGE_PHASE = "dual"
    obstacle = legacy_dir / "submissions"
    obstacle.write_text("not a folder")
    return obstacle


@pytest.fixture
def client_in(client: Client, inspector: Any) -> Client:
    client.force_login(inspector)
    return client


def assert_nothing_written() -> None:
    assert Submission.objects.count() == 0
    assert Job.objects.count() == 0
    assert not AuditLog.objects.filter(action="submit_form").exists()
    assert not UploadedFile.objects.filter(file_type="signature").exists()  # the stored signatures went again


def assert_logged_with_cause(caplog: pytest.LogCaptureFixture) -> None:
    messages = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    causes = ("Not a directory", "File exists")  # mkdir meets the file in the way
    assert any("legacy store" in m and any(cause in m for cause in causes) for m in messages), messages


def input_value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0)) if tag else None
    return value.group(1) if value else None


def hvac_body(photo_url: str) -> dict[str, Any]:
    return {
        "site_name": "Tower A",
        "visit_date": "2025-12-20",
        "tech_signature": signature_data_url(),
        "items": [{"asset": "Lights", "system": "Lamps", "description": "Lamps", "photo_urls": [photo_url]}],
    }


@pytest.mark.parametrize(
    ("path", "module_path", "body"),
    [
        ("/hvac-mep/submit-with-urls", "hvac-mep", "hvac"),
        ("/civil/submit-with-urls", "civil", "civil"),
        ("/cleaning/submit", "cleaning", "cleaning"),
        ("/cleaning/submit-with-urls", "cleaning", "cleaning"),
    ],
)
def test_json_routes_answer_503_with_retry_after(
    client_in: Client, blocked: Path, caplog: pytest.LogCaptureFixture, path: str, module_path: str, body: str
) -> None:
    photo = upload_photo(client_in, module_path)
    bodies = {
        "hvac": hvac_body(photo["url"]),
        "civil": {
            "project_name": "Marina Villa",
            "location": "Block 3",
            "visit_date": "2025-12-20",
            "inspector_signature": signature_data_url(),
            "work_items": [{"description": "Patch plaster", "photos": [{"url": photo["url"]}]}],
        },
        "cleaning": {
            "client_name": "Emaar",
            "project_name": "Creek Tower",
            "date_of_visit": "2025-12-20",
            "tech_signature": signature_data_url(),
            "photo_urls": [photo["url"]],
        },
    }
    with caplog.at_level(logging.ERROR):
        response = client_in.post(path, json.dumps(bodies[body]), content_type="application/json")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert int(response["Retry-After"]) > 0
    assert "Saving failed" in response.json()["error"]
    assert_nothing_written()
    assert UploadedFile.objects.get(pk=photo["id"]).submission is None  # still waiting, usable again
    assert_logged_with_cause(caplog)

    blocked.unlink()  # the folder can be written again: the same request now succeeds
    again = client_in.post(path, json.dumps(bodies[body]), content_type="application/json")
    assert again.status_code in (200, 202), again.content
    assert Submission.objects.count() == 1


def test_the_multipart_route_answers_503_too(client_in: Client, blocked: Path) -> None:
    response = client_in.post(
        "/hvac-mep/submit",
        {
            "site_name": "Tower B",
            "visit_date": "2025-12-20",
            "items_count": "1",
            "item_0_asset": "Lights",
            "item_0_system": "Lamps",
            "item_0_description": "Lamps",
            "tech_signature": signature_data_url(),
        },
    )
    assert (response.status_code, response["Content-Type"]) == (503, "application/json")
    assert int(response["Retry-After"]) > 0 and "Saving failed" in response.json()["error"]
    assert_nothing_written()


def test_the_form_comes_back_with_everything_and_says_saving_failed(
    client_in: Client, blocked: Path, caplog: pytest.LogCaptureFixture
) -> None:
    photo = upload_photo(client_in, "civil")
    manager = signature_data_url("blue")
    data = civil_post(
        rows=[{"description": "Patch plaster", "quantity": "3", "photo_ids": str(photo["id"])}],
        inspector_name="Ravi",
        manager_signature=manager,
    )
    with caplog.at_level(logging.ERROR):
        response = client_in.post("/civil/form", data)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "Saving failed" in html and "Press Submit again" in html
    # Every value, the item's photo and both signatures are in the page again.
    for name in ("project_name", "inspector_name", "work-0-quantity", "inspector_signature", "manager_signature"):
        assert input_value(html, name) == data[name], name
    assert input_value(html, "client_key") == data["client_key"]  # the retry is the same submit
    assert input_value(html, "work-0-photo_ids") == str(photo["id"])
    assert f'data-id="{photo["id"]}"' in html  # its thumbnail
    assert_nothing_written()
    assert_logged_with_cause(caplog)

    blocked.unlink()
    retried = client_in.post("/civil/form", data)
    assert retried.status_code == 303
    submission = Submission.objects.get()
    assert submission.form_data["work_items"][0]["photos"][0]["url"] == photo["url"]
    assert submission.form_data["manager_signature"]["name"].startswith("signatures/")
