"""One permission rule everywhere: an inspector sees, lists and downloads only their own work."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from submissions.models import Submission, UploadedFile
from tests.inspection_helpers import hvac_post, signature_data_url, upload_photo

pytestmark = pytest.mark.django_db


def submit_as(client: Client, user: Any, **fields: Any) -> Submission:
    client.force_login(user)
    photo = upload_photo(client)
    data = hvac_post(tech_signature=signature_data_url(), **fields)
    data["items-0-photo_ids"] = str(photo["id"])
    assert client.post("/hvac-mep/form", data).status_code == 303
    return Submission.objects.get(site_name=fields.get("site_name", "Tower A"))


def test_an_inspector_cannot_read_list_or_download_anothers_submission(client: Client, make_user: Any) -> None:
    owner, other = make_user("inspector"), make_user("inspector")
    mine = submit_as(client, owner, site_name="Owner site")
    names = list(UploadedFile.objects.filter(submission=mine).values_list("storage_name", flat=True))
    assert len(names) == 2

    client.force_login(other)
    assert client.get(f"/submissions/{mine.submission_id}/").status_code == 404
    listing = client.get("/submissions/")
    assert listing.status_code == 200 and mine.submission_id not in listing.content.decode()
    assert client.get(f"/submissions/?q={mine.submission_id}").content.decode().count("data-submission=") == 0
    for name in names:
        assert client.get(f"/files/{name}").status_code == 404

    client.force_login(owner)
    assert client.get(f"/submissions/{mine.submission_id}/").status_code == 200
    assert mine.submission_id in client.get("/submissions/").content.decode()
    for name in names:
        response = client.get(f"/files/{name}")
        assert response.status_code == 200 and response["Content-Type"] in ("image/png", "image/jpeg")
        assert response.getvalue()[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xdb")


def test_a_waiting_photo_is_visible_to_its_uploader_only(client: Client, make_user: Any) -> None:
    uploader, other = make_user("inspector"), make_user("inspector")
    client.force_login(uploader)
    photo = upload_photo(client)
    assert client.get(photo["view_url"]).status_code == 200
    client.force_login(other)
    assert client.get(photo["view_url"]).status_code == 404
    # ... and cannot be claimed by someone else's form.
    data = hvac_post()
    data["items-0-photo_ids"] = str(photo["id"])
    assert client.post("/hvac-mep/form", data).status_code == 400


def test_supervisors_and_staff_see_everything(client: Client, make_user: Any) -> None:
    owner = make_user("inspector")
    mine = submit_as(client, owner)
    for viewer in (make_user("supervisor"), make_user("admin", is_staff=True)):
        client.force_login(viewer)
        assert client.get(f"/submissions/{mine.submission_id}/").status_code == 200
        assert mine.submission_id in client.get("/submissions/").content.decode()
        name = UploadedFile.objects.filter(submission=mine).values_list("storage_name", flat=True)[0]
        assert client.get(f"/files/{name}").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/hvac-mep/form",
        "/civil/form",
        "/cleaning/form",
        "/submissions/",
        "/submissions/sub_0123456789ab/",
        "/files/uploads/2026/01/x.jpg",
    ],
)
def test_anonymous_users_are_sent_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    "path",
    ["/hvac-mep/upload-photo", "/hvac-mep/submit-with-urls", "/civil/submit", "/cleaning/submit"],
)
def test_anonymous_json_clients_get_401_with_the_login_url(client: Client, path: str) -> None:
    response = client.post(path, {}, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["login_url"].startswith("/accounts/login/?next=")


def test_csrf_is_enforced_on_forms_and_json_routes(inspector: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(inspector)
    assert client.post("/hvac-mep/form", hvac_post()).status_code == 403
    assert client.post("/hvac-mep/submit-with-urls", {}, content_type="application/json").status_code == 403
    assert client.post("/hvac-mep/upload-photo", {}).status_code == 403
    assert Submission.objects.count() == 0
    # With the token from the page, the same post goes through.
    page = client.get("/hvac-mep/form")
    token = page.cookies["csrftoken"].value
    response = client.post("/hvac-mep/form", hvac_post(), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 303


def test_my_submissions_is_searchable_and_paginated(client: Client, inspector: Any) -> None:
    from submissions.services import submission_create

    for number in range(45):
        submission_create(actor=inspector, module="civil", form_data={"project_name": f"Villa {number:02d}"})
    client.force_login(inspector)
    first = client.get("/submissions/").content.decode()
    assert first.count("data-submission=") == 20 and "Villa 44" in first and "page=2" in first
    third = client.get("/submissions/?page=3").content.decode()
    assert third.count("data-submission=") == 5 and "Older" not in third
    found = client.get("/submissions/?q=villa 1").content.decode()
    assert found.count("data-submission=") == 10
    assert client.get("/submissions/?module=hvac_mep").content.decode().count("data-submission=") == 0


def test_the_list_page_costs_a_fixed_number_of_queries(
    client: Client, make_user: Any, django_assert_max_num_queries: Any
) -> None:
    from submissions.services import submission_create

    supervisor = make_user("supervisor")
    for number in range(30):
        submission_create(actor=make_user("inspector"), module="civil", form_data={"project_name": f"Site {number}"})
    client.force_login(supervisor)
    # Session, user, the page, and the page's review states (+ the comments of those sent back).
    with django_assert_max_num_queries(6):
        assert client.get("/submissions/").status_code == 200


def test_the_submission_page_shows_items_photos_signatures_and_the_job(client: Client, inspector: Any) -> None:
    from django.utils import timezone

    from jobs.models import Job
    from submissions.inspector.views import job_status_url

    mine = submit_as(client, inspector)
    html = client.get(f"/submissions/{mine.submission_id}/").content.decode()
    photo_name = mine.form_data["items"][0]["photos"][0]["name"]
    assert f'src="/files/{photo_name}"' in html
    assert f'src="/files/{mine.form_data["tech_signature"]["name"]}"' in html
    assert "Extract Fans" in html

    # The report job was created with the submission: the page follows it through `jobs:status`.
    job = Job.objects.get(submission=mine)
    assert f'data-job-id="{job.job_id}"' in html and 'data-status="started"' in html
    assert job_status_url(job.job_id) == f"/jobs/{job.job_id}/status"
    assert f'data-status-url="/jobs/{job.job_id}/status"' in html
    assert "Waiting for the report worker" in html and "Download PDF" not in html
    Job.objects.filter(pk=job.pk).update(
        status="done", progress=100, excel_url="/r/x.xlsx", pdf_url="/r/x.pdf", completed_at=timezone.now()
    )
    html = client.get(f"/submissions/{mine.submission_id}/").content.decode()
    assert 'data-status="done"' in html and "Reports ready." in html
    assert f'href="http://testserver/jobs/{job.job_id}/files/x.pdf">Download PDF' in html
    assert f'href="http://testserver/jobs/{job.job_id}/files/x.xlsx">Download Excel' in html
