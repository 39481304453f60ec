"""The PDF of a report in review: an approval page with each stage, signer, time, comment and
signature, and the version; earlier jobs' reports stay downloadable."""

from __future__ import annotations

import io
from typing import Any

import pypdf
import pytest
from django.core.files.storage import default_storage
from django.test import Client

from jobs.models import Job, JobStatus
from jobs.services import report_job_run
from review.services import review_approve, submission_revise
from tests.inspection_helpers import signature_data_url
from tests.review_helpers import file_report, hvac_document, team

pytestmark = pytest.mark.django_db


def _pdf(job: Job) -> pypdf.PdfReader:
    report_job_run(job_id=job.job_id)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error_message
    name = "reports/" + job.job_id + "/" + job.pdf_url.rsplit("/", 1)[1]
    with default_storage.open(name, "rb") as handle:
        return pypdf.PdfReader(io.BytesIO(handle.read()))


def test_the_final_pdf_carries_every_approval_with_its_signature(make_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    first_job = Job.objects.get(submission=submission)
    first = _pdf(first_job)
    assert "Version 1" in first.pages[-1].extract_text() and "No approval yet" in first.pages[-1].extract_text()

    submission_revise(
        actor=people.ops, submission=submission, expected_version=1, form_data=hvac_document(site="B"), reason="typo"
    )
    colours = {"ops": "black", "bd": "blue", "procurement": "black", "gm": "blue"}
    for role, colour in colours.items():
        review_approve(
            actor=getattr(people, role),
            submission=submission,
            expected_version=2,
            signature=signature_data_url(colour),
            comment=f"ok from {role}",
        )
    final_job = Job.objects.filter(submission=submission).order_by("-created_at", "-id").first()
    assert final_job is not None
    reader = _pdf(final_job)
    page = reader.pages[-1]
    text = page.extract_text()
    assert "Approval" in text and "Version 2" in text and "Approved" in text
    for name in ("Omar Ops", "Bilal Business", "Priya Procurement", "Grace General"):
        assert name in text, name
    for stage in ("Operations manager review", "General manager approval", "Procurement"):
        assert stage in text
    assert "ok from gm" in text
    assert len(page.images) == 4, "the four signatures"

    # The first version's report is still there, listed by version on the review page, and
    # downloadable by the author.
    client = Client()
    client.force_login(people.author)
    assert client.get(first_job.pdf_url).status_code in (200, 302)
    listing = client.get(f"/review/{submission.submission_id}/").content.decode().split("data-reports")[1]
    assert "Version 1, " in listing and first_job.pdf_url in listing
    assert "Version 2, " in listing and final_job.pdf_url in listing
