"""The old app's JSON routes answer with its response shapes (FORMAT.md §5, samples/drive_log.jsonl)
for logged-in clients, and produce Injaaz's one document shape per module."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from jobs.models import Job
from submissions.models import Submission, UploadedFile
from tests.inspection_helpers import image_bytes, new_key, signature_data_url, upload_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_in(client: Client, inspector: Any) -> Client:
    client.force_login(inspector)
    return client


def post_json(client: Client, path: str, body: Any, **headers: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


# --- upload-photo -------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["hvac-mep", "civil", "cleaning"])
def test_upload_photo_answers_the_old_shape(client_in: Client, module: str) -> None:
    answer = upload_photo(client_in, module)
    assert {"success", "url", "filename"} <= set(answer)  # H0/C0/K0 keys; Injaaz adds id, name, view_url
    assert answer["success"] is True and answer["filename"] is None
    assert answer["url"].startswith("/files/uploads/")


# --- HVAC ---------------------------------------------------------------------------------------


def test_hvac_submit_with_urls_ui_payload(client_in: Client) -> None:
    photo = upload_photo(client_in)
    body = {
        "site_name": "Tower A",
        "visit_date": "2025-12-20",
        "tech_signature": signature_data_url(),  # H1 (a 500 in the old app)
        "opMan_signature": signature_data_url("blue"),
        "items": [
            {"asset": "HVAC", "system": "Chiller Evaporator", "description": "Chiller", "photo_urls": [photo["url"]]}
        ],
    }
    response = post_json(client_in, "/hvac-mep/submit-with-urls", body)
    assert response.status_code == 200
    answer = response.json()
    submission = Submission.objects.get()
    job = Job.objects.get(submission=submission)  # created with the submission, queued on commit
    assert answer == {
        "status": "ok",
        "submission_id": submission.submission_id,
        "job_id": job.job_id,
        "job_status_url": f"/hvac-mep/status/{job.job_id}",
    }
    document = submission.form_data
    assert document["items"][0]["photos"][0]["url"] == photo["url"]
    assert document["tech_signature"]["is_cloud"] is True and document["opMan_signature"]["name"].startswith(
        "signatures/"
    )
    assert UploadedFile.objects.get(pk=photo["id"]).submission == submission


def test_hvac_submit_with_urls_validates_what_the_old_app_did_not(client_in: Client) -> None:
    response = post_json(client_in, "/hvac-mep/submit-with-urls", {})  # G4 created a submission
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "error"
    assert answer["error"] == "Missing required fields: site_name, visit_date, tech_signature"
    assert answer["errors"]["visit_date"] == ["This field is required."]
    # An empty report is refused (issue 13): at least one item, and the technician's signature.
    assert answer["errors"]["items"] == ["Add at least 1 item."]
    assert answer["errors"]["tech_signature"] == ["Technician signature is required: sign in the box."]
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    item = {"asset": "Lights", "system": "Lamps", "description": "Lamps"}
    signed = {"site_name": "A", "tech_signature": signature_data_url(), "items": [item]}
    response = post_json(client_in, "/hvac-mep/submit-with-urls", {**signed, "visit_date": future})
    assert response.json()["error"] == "visit_date: The visit date cannot be in the future."
    bad_item = {
        **signed,
        "visit_date": "2025-01-01",
        "items": [{"asset": "HVAC", "system": "Nope", "description": "x"}],
    }
    assert post_json(client_in, "/hvac-mep/submit-with-urls", bad_item).json()["errors"] == {
        "items[0].system": ["Choose one of the systems of HVAC."]
    }
    assert Submission.objects.count() == 0


def test_photo_urls_must_be_the_callers_own_waiting_uploads(client_in: Client, make_user: Any) -> None:
    stranger = Client()
    stranger.force_login(make_user("inspector"))
    theirs = upload_photo(stranger)
    for url in (theirs["url"], "https://evil.example/x.jpg", "/generated/uploads/ahu_photo_69a6c9b4.png"):
        body = {
            "site_name": "A",
            "visit_date": "2025-01-01",
            "items": [{"asset": "Lights", "system": "Lamps", "description": "Lamps", "photo_urls": [url]}],
        }
        response = post_json(client_in, "/hvac-mep/submit-with-urls", body)
        assert response.status_code == 400 and response.json()["error"].startswith("Unknown photo URL")
    assert UploadedFile.objects.get(pk=theirs["id"]).submission is None


def test_idempotency_key_header(client_in: Client) -> None:
    photo = upload_photo(client_in)
    key = new_key()
    body = {
        "site_name": "A",
        "visit_date": "2025-01-01",
        "tech_signature": signature_data_url(),
        "items": [{"asset": "Lights", "system": "Lamps", "description": "Lamps", "photo_urls": [photo["url"]]}],
    }
    first = post_json(client_in, "/hvac-mep/submit-with-urls", body, HTTP_IDEMPOTENCY_KEY=key)
    again = post_json(client_in, "/hvac-mep/submit-with-urls", body, HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and Submission.objects.count() == 1
    conflict = post_json(client_in, "/hvac-mep/submit-with-urls", {**body, "site_name": "B"}, HTTP_IDEMPOTENCY_KEY=key)
    assert conflict.status_code == 409 and conflict.json()["status"] == "error"
    # Without a key every call is a new submission, as the old clients expect.
    unkeyed = {**body, "items": [{"asset": "Lights", "system": "Lamps", "description": "Lamps"}]}
    assert post_json(client_in, "/hvac-mep/submit-with-urls", unkeyed).status_code == 200
    assert post_json(client_in, "/hvac-mep/submit-with-urls", unkeyed).status_code == 200
    assert Submission.objects.count() == 3


def test_hvac_multipart_submit(client_in: Client) -> None:
    photo = io.BytesIO(image_bytes())
    photo.name = "ahu.jpg"
    response = client_in.post(
        "/hvac-mep/submit",
        {
            "site_name": "Tower B",
            "visit_date": "2025-12-20",
            "items_count": "1",
            "item_0_asset": "HVAC",
            "item_0_system": "Chiller Condenser",
            "item_0_description": "Condenser Pump",
            "item_0_photo": [photo],
            "tech_signature": signature_data_url(),
        },
    )
    assert response.status_code == 200, response.content
    submission = Submission.objects.get()
    assert response.json() == {
        "status": "queued",
        "job_id": Job.objects.get(submission=submission).job_id,
        "submission_id": submission.submission_id,
        "items": 1,
    }
    assert len(submission.form_data["items"][0]["photos"]) == 1
    missing = client_in.post("/hvac-mep/submit", {"visit_date": "2025-12-20"})  # H6
    assert (missing.status_code, missing.json()["error"]) == (400, "Missing required fields: site_name, tech_signature")
    assert missing.json()["errors"]["items"] == ["Add at least 1 item."]


def test_dropdowns(client_in: Client) -> None:
    taxonomy = client_in.get("/hvac-mep/dropdowns").json()
    assert list(taxonomy["Electrical"]) == ["LV Panel", "MDB"]
    assert client_in.get("/civil/dropdowns").json() == {}


# --- Civil --------------------------------------------------------------------------------------

CIVIL_UI_FORM = {  # C1's fields, two work rows (the old app kept only the first)
    "date": "2025-12-20",
    "project_name": "Marina Villa",
    "description_of_work": "Repairs",
    "location_name": "Block 3",
    "floor": "G",
    "developer_client": "Emaar",
    "city_area": "Marina",
    "work_desc[]": ["Patch plaster", "Repaint"],
    "work_qty[]": ["3", "1"],
    "material[]": ["Knauf", "Jotun"],
    "material_qty[]": ["2", "4"],
    "price[]": ["120.50", "80"],
    "labour[]": ["2 days", "1 day"],
    "estimated_time": "2 weeks",
    "inspector_name": "Ravi",
    "tech_signature": signature_data_url(),  # the inspector's signature is required (issue 13)
}


def test_civil_submit_exact_ui_form_keeps_every_row_and_the_location(client_in: Client) -> None:
    photo = upload_photo(client_in, "civil")
    form = {**CIVIL_UI_FORM, "photo_url_0": photo["url"], "tech_signature": signature_data_url(), "op_signature": ""}
    response = client_in.post("/civil/submit", form)
    assert response.status_code == 200, response.content  # C1 was a 400 (no `location`)
    submission = Submission.objects.get()
    assert response.json() == {
        "status": "queued",
        "job_id": Job.objects.get(submission=submission).job_id,
        "submission_id": submission.submission_id,
        "files": [],
    }
    document = submission.form_data
    assert document["location"] == "Block 3" and document["visit_date"] == "2025-12-20"
    assert [(w["item_number"], w["description"], w["price"]) for w in document["work_items"]] == [
        (1, "Patch plaster", "120.50"),
        (2, "Repaint", "80"),
    ]
    assert [p["url"] for p in document["photos"]] == [photo["url"]]  # not tied to a row by the old UI
    assert document["inspector_signature"]["name"].startswith("signatures/") and document["manager_signature"] is None


def test_civil_submit_with_a_file_part_lists_it(client_in: Client) -> None:
    part = io.BytesIO(image_bytes("PNG"))
    part.name = "site.png"
    response = client_in.post("/civil/submit", {**CIVIL_UI_FORM, "location": "Block 4", "photos": [part]})
    assert response.status_code == 200
    files = response.json()["files"]
    assert len(files) == 1 and files[0] | {"url": None} == {
        "field": "photos",
        "saved": None,
        "url": None,
        "is_cloud": True,
    }
    assert Submission.objects.get().form_data["location"] == "Block 4"  # `location` wins over location_name


def test_civil_submit_errors_name_the_old_fields(client_in: Client) -> None:
    response = client_in.post("/civil/submit", {"project_name": "P"})
    assert response.status_code == 400
    assert response.json()["error"] == "Missing required fields: location, date, tech_signature"
    assert response.json()["errors"]["work_items"] == ["Add at least 1 work item."]
    bad_row = client_in.post("/civil/submit", {**CIVIL_UI_FORM, "work_qty[]": ["3", "lots"]})
    assert bad_row.json()["errors"] == {"work_qty[][1]": ["Enter a number."]}
    assert Submission.objects.count() == 0


def test_civil_submit_with_urls_json(client_in: Client) -> None:
    photo = upload_photo(client_in, "civil")
    body = {
        "project_name": "Marina Villa",
        "location": "Block 3",
        "visit_date": "2025-12-20",
        "inspector_name": "Ravi",
        "inspector_signature": signature_data_url(),
        "manager_name": "Omar",
        "manager_signature": "",
        "work_items": [{"description": "Patch plaster", "quantity": 3, "photos": [{"url": photo["url"]}]}],
        "estimated_completion": "2026-01-10",
    }
    response = post_json(client_in, "/civil/submit-with-urls", body)
    assert response.status_code == 200
    submission = Submission.objects.get()
    job_id = Job.objects.get(submission=submission).job_id
    assert response.json() == {
        "status": "ok",
        "submission_id": submission.submission_id,
        "job_id": job_id,
        "job_status_url": f"/civil/status/{job_id}",
    }
    work = submission.form_data["work_items"]
    assert work[0]["quantity"] == "3" and work[0]["photos"][0]["url"] == photo["url"]


# --- Cleaning -----------------------------------------------------------------------------------

CLEANING_UI_BODY = {  # K3
    "client_name": "Emaar",
    "project_name": "Creek Tower",
    "site_address": "Creek Harbour",
    "date_of_visit": "2025-12-20",
    "room_count": "12",
    "scope_offices": "True",
    "scope_toilets": "False",
    "deep_clean_required": "Yes",
    "waste_general": "True",
    "facility_equipment_condition": "Good",
    "assessor_name": "Ali",
    "contact_name": "Sara",
    "tech_signature": signature_data_url(),  # required on every module (issue 13)
    "contact_signature": "",
    "photos": [],
}


def test_cleaning_submit_answers_202_and_stores_base64_photos_and_signatures(client_in: Client) -> None:
    photo = "data:image/jpeg;base64," + base64.b64encode(image_bytes()).decode()  # K4 (a 500 in the old app)
    body = {**CLEANING_UI_BODY, "photos": [photo], "tech_signature": signature_data_url()}
    response = post_json(client_in, "/cleaning/submit", body)
    assert response.status_code == 202
    submission = Submission.objects.get()
    job_id = Job.objects.get(submission=submission).job_id
    assert response.json() == {"status": "queued", "job_id": job_id, "submission_id": submission.submission_id}
    document = submission.form_data
    assert document["job_id"] == job_id  # the /cleaning/submit shape records its job
    assert (document["scope_offices"], document["scope_toilets"], document["scope_kitchen"]) == (
        "True",
        "False",
        "False",
    )
    assert document["photos"][0]["index"] == 0 and document["photos"][0]["name"].startswith("uploads/")
    assert document["tech_signature"]["name"].startswith("signatures/") and document["contact_signature"] == ""


def test_cleaning_submit_missing_fields(client_in: Client) -> None:
    response = post_json(client_in, "/cleaning/submit", {"client_name": "X"})  # G3
    assert (response.status_code, response.json()["error"]) == (
        400,
        "Missing required fields: project_name, date_of_visit, tech_signature",
    )
    empty = post_json(client_in, "/cleaning/submit", {})
    assert (empty.status_code, empty.json()["error"]) == (400, "No data received")


def test_cleaning_submit_with_urls_takes_photo_url_keys_and_lists(client_in: Client) -> None:
    first, second = upload_photo(client_in, "cleaning"), upload_photo(client_in, "cleaning")
    body = {**CLEANING_UI_BODY, "photo_url_0": first["url"], "photo_urls": [second["url"]]}
    response = post_json(client_in, "/cleaning/submit-with-urls", body)  # K1/K5
    assert response.status_code == 200
    submission = Submission.objects.get()
    job_id = Job.objects.get(submission=submission).job_id
    assert response.json() == {
        "status": "queued",
        "submission_id": submission.submission_id,
        "job_id": job_id,
        "job_status_url": f"/cleaning/job-status/{job_id}",
    }
    assert [p["url"] for p in submission.form_data["photos"]] == [second["url"], first["url"]]


def test_a_failed_legacy_submit_removes_the_photos_it_stored(client_in: Client) -> None:
    photo = "data:image/png;base64," + base64.b64encode(image_bytes("PNG")).decode()
    response = post_json(client_in, "/cleaning/submit", {**CLEANING_UI_BODY, "date_of_visit": "bad", "photos": [photo]})
    assert response.status_code == 400
    assert UploadedFile.objects.count() == 0


def test_cleaning_index_redirects_to_the_form(client_in: Client) -> None:
    response = client_in.get("/cleaning/")
    assert (response.status_code, response["Location"]) == (302, "/cleaning/form")


# --- status routes ------------------------------------------------------------------------------


def make_job(submission: Submission, **fields: Any) -> Job:
    return Job.objects.create(submission=submission, **fields)


@pytest.mark.parametrize(
    ("module", "path", "results"),
    [
        (
            "hvac_mep",
            "/hvac-mep/status/",
            {"excel_url": "{base}/a.xlsx", "pdf_url": "{base}/a.pdf"},
        ),
        (
            "civil",
            "/civil/status/",
            [
                {"filename": "a.xlsx", "url": "{base}/a.xlsx"},
                {"filename": "a.pdf", "url": "{base}/a.pdf"},
            ],
        ),
        (
            "cleaning",
            "/cleaning/job-status/",
            {"excel": "{base}/a.xlsx", "pdf": "{base}/a.pdf"},
        ),
    ],
)
def test_status_of_a_done_job_in_the_old_shape(
    client_in: Client, inspector: Any, module: str, path: str, results: Any
) -> None:
    submission = Submission.objects.create(module=module, form_data={"x": 1}, user=inspector)
    job = make_job(
        submission,
        status="done",
        progress=100,
        excel_url="/r/a.xlsx",
        pdf_url="/r/a.pdf",
        completed_at=timezone.now(),
    )
    # The report links are the authorised download view's, made absolute as the old ones were.
    results = json.loads(json.dumps(results).replace("{base}", f"http://testserver/jobs/{job.job_id}/files"))
    response = client_in.get(f"{path}{job.job_id}")
    assert response.status_code == 200
    raw = response.content.decode()
    answer = json.loads(raw)
    assert list(answer) == sorted(answer)  # jsonify sorted the keys
    assert raw.index('"completed_at"') < raw.index('"job_id"') < raw.index('"state"')
    assert answer["state"] == "done" and answer["progress"] == 100 and answer["results"] == results
    assert answer["meta"] == {"submission_id": submission.submission_id, "module": module}
    assert isinstance(answer["created_at"], float) and isinstance(answer["completed_at"], float)


@pytest.mark.parametrize(
    ("module", "path", "results"),
    [
        ("hvac_mep", "/hvac-mep/status/", {"error": "disk full"}),
        ("civil", "/civil/status/", [{"error": "disk full"}]),
        ("cleaning", "/cleaning/job-status/", {"error": "disk full"}),
    ],
)
def test_status_of_a_failed_or_running_job(
    client_in: Client, inspector: Any, module: str, path: str, results: Any
) -> None:
    submission = Submission.objects.create(module=module, form_data={"x": 1}, user=inspector)
    failed = make_job(submission, status="failed", progress=30, error_message="disk full")
    answer = client_in.get(f"{path}{failed.job_id}").json()
    assert (answer["state"], answer["results"]) == ("failed", results)  # HVAC no longer says "done"
    running = make_job(submission, status="running", progress=60)
    answer = client_in.get(f"{path}{running.job_id}").json()
    assert (answer["state"], answer["progress"], answer["results"]) == ("running", 60, [])
    assert "completed_at" not in answer


def test_unknown_and_other_peoples_jobs_are_404(client_in: Client, make_user: Any) -> None:
    assert client_in.get("/hvac-mep/status/job_doesnotexist").json() == {"error": "unknown job"}  # G1
    response = client_in.get("/cleaning/job-status/job_doesnotexist")  # G2
    assert (response.status_code, response.json()) == (404, {"error": "Job not found"})
    theirs = Submission.objects.create(module="civil", form_data={"x": 1}, user=make_user("inspector"))
    job = make_job(theirs, status="done", progress=100)
    assert client_in.get(f"/civil/status/{job.job_id}").status_code == 404
