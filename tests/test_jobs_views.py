"""The job status endpoint and the authorised report download (filesystem stream, S3 signed URL)."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from audit.models import AuditLog
from jobs.models import Job
from jobs.services import report_job_run
from submissions.services import submission_create
from tests.jobs_support import hvac_document, imported_done_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def done_job(inspector: Any) -> Job:
    submission = submission_create(
        actor=inspector,
        module="hvac_mep",
        form_data=hvac_document("sub_0000000d0001", items=1, photos_per_item=1, prefix="view"),
        submission_id="sub_0000000d0001",
    )
    job = Job.objects.get(submission=submission)
    report_job_run(job_id=job.job_id, attempt=1)
    job.refresh_from_db()
    assert job.status == "done"
    return job


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def stored_bytes(job: Job, kind: str) -> bytes:
    url = job.excel_url if kind == "excel" else job.pdf_url
    name = f"reports/{job.job_id}/{url.rsplit('/', 1)[1]}"
    with default_storage.open(name, "rb") as handle:
        return bytes(handle.read())


def test_status_for_the_owner(done_job: Job, inspector: Any) -> None:
    response = logged_in(inspector).get(reverse("jobs:status", kwargs={"job_id": done_job.job_id}))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert set(body) == {
        "job_id",
        "submission_id",
        "status",
        "progress",
        "excel_url",
        "pdf_url",
        "error_message",
        "created_at",
        "started_at",
        "completed_at",
    }
    assert (body["job_id"], body["submission_id"], body["status"], body["progress"]) == (
        done_job.job_id,
        "sub_0000000d0001",
        "done",
        100,
    )
    assert body["excel_url"] == f"http://testserver{done_job.excel_url}"
    assert body["pdf_url"] == f"http://testserver{done_job.pdf_url}"
    assert body["error_message"] is None and body["completed_at"].endswith("+00:00")


def test_status_while_queued_has_no_links(inspector: Any) -> None:
    submission = submission_create(
        actor=inspector, module="hvac_mep", form_data=hvac_document("sub_0000000d0002", items=0)
    )
    job = Job.objects.get(submission=submission)
    body = logged_in(inspector).get(f"/jobs/{job.job_id}/status").json()
    assert (body["status"], body["progress"], body["excel_url"], body["pdf_url"], body["started_at"]) == (
        "started",
        0,
        None,
        None,
        None,
    )


def test_status_refuses_others(done_job: Job, make_user: Any, staff_user: Any) -> None:
    url = reverse("jobs:status", kwargs={"job_id": done_job.job_id})
    assert Client().get(url).status_code == 401
    other = logged_in(make_user("inspector"))
    response = other.get(url)
    missing = other.get("/jobs/job_00000000ffff/status")
    # Another inspector's job answers exactly as a missing one: no one learns which ids exist.
    assert (response.status_code, response.json()) == (404, {"error": "Job not found."})
    assert (missing.status_code, missing.json()) == (404, {"error": "Job not found."})
    assert logged_in(make_user("supervisor")).get(url).status_code == 200
    assert logged_in(staff_user).get(url).status_code == 200
    assert logged_in(staff_user).post(url).status_code == 405


def test_the_owner_downloads_both_reports_and_each_download_is_audited(done_job: Job, inspector: Any) -> None:
    client = logged_in(inspector)
    for kind, url, content_type in (
        ("excel", done_job.excel_url, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("pdf", done_job.pdf_url, "application/pdf"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == content_type
        extension = "xlsx" if kind == "excel" else "pdf"
        assert response["Content-Disposition"] == f'attachment; filename="hvac_mep_sub_0000000d0001.{extension}"'
        assert b"".join(response.streaming_content) == stored_bytes(done_job, kind)  # type: ignore[attr-defined]
    entries = AuditLog.objects.filter(action="download_file").order_by("id")
    assert [(entry.user, (entry.details or {})["file"], (entry.details or {})["served"]) for entry in entries] == [
        (inspector, "excel", "stream"),
        (inspector, "pdf", "stream"),
    ]


def test_a_download_by_someone_not_allowed_is_404_and_serves_nothing(done_job: Job, make_user: Any) -> None:
    missing_job = done_job.pdf_url.replace(done_job.job_id, "job_00000000ffff")
    for client in (logged_in(make_user("inspector")), logged_in(make_user("user"))):
        response = client.get(done_job.pdf_url)
        assert response.status_code == 404  # as for a job that does not exist
        assert response.content == client.get(missing_job).content
        assert not getattr(response, "streaming", False)
        assert b"%PDF" not in response.content
    anonymous = Client().get(done_job.excel_url)
    assert anonymous.status_code in (302, 403)  # to the login page once accounts route it
    assert b"PK" not in anonymous.content
    assert not AuditLog.objects.filter(action="download_file").exists()


def test_only_the_jobs_own_report_names_are_served(done_job: Job, inspector: Any) -> None:
    client = logged_in(inspector)
    other_name = "0123456789abcdef0123456789abcdef.pdf"
    default_storage.save(f"reports/{done_job.job_id}/{other_name}", ContentFile(b"%PDF-not-this-one"))
    assert client.get(f"/jobs/{done_job.job_id}/files/{other_name}").status_code == 404
    assert client.get(f"/jobs/{done_job.job_id}/files/..%2F..%2Fsettings.py").status_code == 404
    assert client.get(f"/jobs/job_00000000ffff/files/{other_name}").status_code == 404


def test_a_legacy_jobs_reports_are_served_from_the_legacy_folder(inspector: Any, settings: Any) -> None:
    job = imported_done_job(
        inspector,
        "sub_0000000d0003",
        excel_url="http://127.0.0.1:5000/generated/HVAC_MEP_Site_20251201_101010.xlsx",
        pdf_url="http://127.0.0.1:5000/generated/HVAC_MEP_Site_20251201_101011.pdf",
    )
    legacy = Path(settings.INJAAZ_LEGACY_DIR)
    (legacy / "HVAC_MEP_Site_20251201_101010.xlsx").write_bytes(b"PK-legacy-workbook")
    client = logged_in(inspector)
    body = client.get(f"/jobs/{job.job_id}/status").json()
    assert body["excel_url"] == f"http://testserver/jobs/{job.job_id}/files/HVAC_MEP_Site_20251201_101010.xlsx"
    response = client.get(body["excel_url"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK-legacy-workbook"  # type: ignore[attr-defined]
    missing = client.get(body["pdf_url"])
    assert missing.status_code == 404
    assert AuditLog.objects.get(action="download_file").details == {
        "job_id": job.job_id,
        "submission_id": "sub_0000000d0003",
        "file": "excel",
        "name": "HVAC_MEP_Site_20251201_101010.xlsx",
        "served": "legacy_file",
    }


def test_a_legacy_report_url_with_an_encoded_slash_answers_everywhere(
    inspector: Any, make_user: Any, settings: Any
) -> None:
    """An imported job whose report URL holds ``%2F``: the pages and status routes answer as usual
    and the link serves the file it names if the legacy folder holds it, else 404."""
    job = imported_done_job(
        inspector,
        "sub_0000000d0005",
        excel_url="http://h/generated/a%2Fb.xlsx",
        pdf_url="http://h/generated/..%2F..%2Fetc%2Fpasswd%00.pdf",
    )
    client = logged_in(inspector)
    page = client.get("/submissions/sub_0000000d0005/")
    assert page.status_code == 200
    legacy = client.get(f"/hvac-mep/status/{job.job_id}")
    assert legacy.status_code == 200
    body = client.get(f"/jobs/{job.job_id}/status").json()
    assert body["excel_url"] == f"http://testserver/jobs/{job.job_id}/files/a/b.xlsx"
    assert legacy.json()["results"]["excel_url"] == body["excel_url"]
    assert body["excel_url"].removeprefix("http://testserver") in page.content.decode()

    assert client.get(body["excel_url"]).status_code == 404  # not in the legacy folder
    assert client.get(body["pdf_url"]).status_code in (400, 404)  # outside it, and a NUL byte: never served
    folder = Path(settings.INJAAZ_LEGACY_DIR) / "a"
    folder.mkdir()
    (folder / "b.xlsx").write_bytes(b"PK-nested-workbook")
    served = client.get(body["excel_url"])
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == b"PK-nested-workbook"  # type: ignore[attr-defined]
    assert logged_in(make_user("inspector")).get(body["excel_url"]).status_code == 404


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def s3_storage(settings: Any) -> Iterator[str]:
    """Default storage on moto's S3 server over loopback, with signed (query-string) URLs."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
    boto3.client("s3", endpoint_url=endpoint, **credentials).create_bucket(Bucket="injaaz-reports")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "injaaz-reports",
                "endpoint_url": endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "querystring_auth": True,
                "default_acl": "private",
            },
        },
    }
    try:
        yield endpoint
    finally:
        server.stop()


def test_on_s3_a_download_redirects_to_a_short_lived_signed_url(
    inspector: Any, make_user: Any, s3_storage: str, settings: Any
) -> None:
    settings.INJAAZ_DOWNLOAD_URL_SECONDS = 60
    submission = submission_create(
        actor=inspector,
        module="hvac_mep",
        form_data=hvac_document("sub_0000000d0004", items=1, photos_per_item=1, prefix="s3"),
        submission_id="sub_0000000d0004",
    )
    job = Job.objects.get(submission=submission)
    report_job_run(job_id=job.job_id, attempt=1)  # photos read from and reports written to S3
    job.refresh_from_db()
    assert job.status == "done", job.error_message
    response = logged_in(inspector).get(job.pdf_url)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{s3_storage}/injaaz-reports/reports/{job.job_id}/")
    query = parse_qs(urlsplit(location).query)
    if "X-Amz-Expires" in query:  # SigV4
        assert query["X-Amz-Expires"] == ["60"] and "X-Amz-Signature" in query
    else:  # SigV2: an absolute expiry time
        assert "Signature" in query
        assert 50 <= int(query["Expires"][0]) - time.time() <= 61
    with urllib.request.urlopen(location, timeout=10) as fetched:  # noqa: S310 - loopback moto server
        assert fetched.read().startswith(b"%PDF")
    unsigned = f"{s3_storage}/injaaz-reports/reports/{job.job_id}/{job.pdf_url.rsplit('/', 1)[1]}"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(unsigned, timeout=10)  # noqa: S310 - the object itself is not public
    assert logged_in(make_user("inspector")).get(job.pdf_url).status_code == 404
    assert (AuditLog.objects.get(action="download_file").details or {})["served"] == "signed_url"
