"""In ``json`` phase (where a rollback lands) a submission lives only in its legacy file, which
names no user: the job file records the submitter (``owner_id``), so they, and staff, follow the
job and download its reports; anyone else gets the 404 a missing job gets (issue 14 item 9)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from jobs.models import Job
from jobs.services import report_job_run
from submissions.legacy.files import LegacyTree, read_json_file
from submissions.legacy.normalize import normalize_job
from submissions.models import Submission
from tests.legacy_store_helpers import legacy_dir
from tests.test_legacy_routes import CLEANING_UI_BODY

__all__ = ["legacy_dir"]

pytestmark = pytest.mark.django_db(transaction=True)  # legacy files are put in place on commit


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def submit_cleaning(client: Client) -> dict[str, Any]:
    response = client.post("/cleaning/submit", json.dumps(CLEANING_UI_BODY), content_type="application/json")
    assert response.status_code == 202, response.content.decode()[:2000]
    answer: dict[str, Any] = response.json()
    return answer


def download(client: Client, url: str) -> Any:
    return client.get(url.removeprefix("http://testserver"))


def test_json_phase_submitter_polls_and_downloads_their_own_reports(
    legacy_dir: Path, settings: Any, make_user: Any, staff_user: Any
) -> None:
    settings.INJAAZ_STORAGE_PHASE = "json"
    submitter, other = make_user("inspector"), make_user("inspector")
    mine, theirs, staff = client_for(submitter), client_for(other), client_for(staff_user)
    answer = submit_cleaning(mine)
    job_id, submission_id = answer["job_id"], answer["submission_id"]
    assert Submission.objects.count() == Job.objects.count() == 0  # json phase: files only

    job_file = LegacyTree(legacy_dir).job_path(job_id)
    document = read_json_file(job_file)
    assert document["owner_id"] == submitter.pk
    assert normalize_job(document, stem=job_id).submission_id == submission_id  # still the old app's format

    status = mine.get(f"/cleaning/job-status/{job_id}")
    assert status.status_code == 200, status.content
    assert (status.json()["state"], status.json()["meta"]["submission_id"]) == ("started", submission_id)
    assert mine.get(f"/jobs/{job_id}/status").json()["submission_id"] == submission_id
    assert staff.get(f"/cleaning/job-status/{job_id}").status_code == 200
    assert theirs.get(f"/cleaning/job-status/{job_id}").status_code == 404
    assert theirs.get(f"/jobs/{job_id}/status").status_code == 404

    report_job_run(job_id=job_id)  # what the worker runs for the queued task
    assert read_json_file(job_file)["owner_id"] == submitter.pk  # every rewrite keeps it
    done = mine.get(f"/cleaning/job-status/{job_id}").json()
    assert done["state"] == "done"
    for kind, magic in (("excel", b"PK"), ("pdf", b"%PDF")):
        url = done["results"][kind]
        response = download(mine, url)
        assert response.status_code == 200, (kind, url)
        assert b"".join(response.streaming_content).startswith(magic)
        assert download(staff, url).status_code == 200
        assert download(theirs, url).status_code == 404


def test_a_job_file_without_an_owner_stays_staff_only(
    legacy_dir: Path, settings: Any, make_user: Any, staff_user: Any
) -> None:
    # The old app's job files (and one whose owner was tampered into nonsense) name no submitter.
    settings.INJAAZ_STORAGE_PHASE = "json"
    submitter = make_user("inspector")
    job_id = submit_cleaning(client_for(submitter))["job_id"]
    job_file = LegacyTree(legacy_dir).job_path(job_id)
    for owner in (None, True, "1", -1):
        document = read_json_file(job_file)
        document.pop("owner_id", None)
        if owner is not None:
            document["owner_id"] = owner
        job_file.write_text(json.dumps(document))
        assert client_for(submitter).get(f"/cleaning/job-status/{job_id}").status_code == 404, owner
        assert client_for(staff_user).get(f"/cleaning/job-status/{job_id}").status_code == 200


def test_a_job_staff_regenerate_keeps_the_submitter(legacy_dir: Path, settings: Any, make_user: Any) -> None:
    from jobs.services import reports_regenerate
    from submissions.router import submission_get

    settings.INJAAZ_STORAGE_PHASE = "json"
    submitter, admin = make_user("inspector"), make_user("admin", is_staff=True)
    answer = submit_cleaning(client_for(submitter))
    submission = submission_get(answer["submission_id"])
    assert submission is not None and submission.user_id is None  # the file names no one
    again = reports_regenerate(submission=submission, actor=admin)
    assert read_json_file(LegacyTree(legacy_dir).job_path(again.job_id))["owner_id"] == submitter.pk
    assert client_for(submitter).get(f"/cleaning/job-status/{again.job_id}").status_code == 200


def test_after_a_rollback_to_json_the_submitter_still_follows_their_jobs(
    legacy_dir: Path, settings: Any, make_user: Any, tmp_path: Path
) -> None:
    submitter, other = make_user("inspector"), make_user("inspector")
    job_id = submit_cleaning(client_for(submitter))["job_id"]  # db phase: rows
    exported = tmp_path / "exported"
    call_command("export_json", "--output", str(exported), verbosity=0)
    assert read_json_file(LegacyTree(exported).job_path(job_id))["owner_id"] == submitter.pk

    settings.INJAAZ_STORAGE_PHASE = "json"
    settings.INJAAZ_LEGACY_DIR = exported
    Job.objects.all().delete()
    Submission.objects.all().delete()  # the rollback reads the exported files only
    assert client_for(submitter).get(f"/cleaning/job-status/{job_id}").status_code == 200
    assert client_for(other).get(f"/cleaning/job-status/{job_id}").status_code == 404
