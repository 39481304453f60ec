"""Every model is in the admin, and a staff user can open each list and change page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from jobs.models import Job
from submissions.models import Submission, UploadedFile


@pytest.mark.django_db
def test_admin_login_and_every_changelist(client: Any, staff_user: Any) -> None:
    assert client.login(email=staff_user.email, password=staff_user.raw_password)
    submission = Submission.objects.create(
        module="hvac_mep", form_data={"site_name": "<b>Tower</b>"}, site_name="Tower"
    )
    job = Job.objects.create(submission=submission)
    upload = UploadedFile.objects.create(submission=submission, cloudinary_url="/media/a.png")
    for model, obj in [
        ("submissions_submission", submission),
        ("jobs_job", job),
        ("submissions_uploadedfile", upload),
        ("accounts_user", staff_user),
    ]:
        assert client.get(reverse(f"admin:{model}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:{model}_change", args=[obj.pk])).status_code == 200
    assert client.get(reverse("admin:audit_auditlog_changelist")).status_code == 200


@pytest.mark.django_db
def test_admin_login_page_posts_email_and_password(client: Any, staff_user: Any) -> None:
    response = client.post(
        reverse("admin:login"), {"username": staff_user.email, "password": staff_user.raw_password, "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_health(client: Any, db: Any) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "queued_jobs": 0,
        "oldest_queued_job_seconds": None,
    }
