"""Admin writes are audited; the audit, jobs and users admins work and the audit admin is read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditLog
from audit.selectors import audit_chain_check
from audit.services import audit_record
from jobs.models import Job
from submissions.models import Submission

AUDIT_CHANGELIST = "admin:audit_auditlog_changelist"


@pytest.fixture
def staff_client(client: Any, staff_user: Any) -> Any:
    client.force_login(staff_user)
    return client


def make_submission(number: int = 1) -> Submission:
    return Submission.objects.create(submission_id=f"sub_{number:012x}", module="civil", form_data={})


@pytest.mark.django_db
class TestAdminWritesAreAudited:
    def test_adding_a_user(self, staff_client: Any, staff_user: Any) -> None:
        response = staff_client.post(
            reverse("admin:accounts_user_add"),
            {
                "email": "new.inspector@example.com",
                "full_name": "New Inspector",
                "role": "inspector",
                "password1": "a-Long-pass-phrase-99",
                "password2": "a-Long-pass-phrase-99",
            },
            REMOTE_ADDR="10.1.2.3",
            HTTP_USER_AGENT="pytest-browser",
        )
        assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
        entry = AuditLog.objects.get(action="admin_add")
        assert entry.user_id == staff_user.pk
        assert entry.resource_type == "user" and (entry.details or {})["model"] == "accounts.user"
        assert (entry.details or {})["object_repr"] == "New Inspector"
        assert (entry.ip_address, entry.user_agent) == ("10.1.2.3", "pytest-browser")

    def test_changing_a_user_records_the_changed_fields_not_their_values(
        self, staff_client: Any, make_user: Any
    ) -> None:
        user = make_user("inspector", full_name="Old Name")
        response = staff_client.post(
            reverse("admin:accounts_user_change", args=[user.pk]),
            {"email": user.email, "full_name": "New Name", "role": "supervisor", "is_active": "on"},
        )
        assert response.status_code == 302
        entry = AuditLog.objects.get(action="admin_change")
        assert entry.resource_id == user.pk
        assert (entry.details or {})["change"] == [{"changed": {"fields": ["Full name", "Role"]}}]
        assert "New Name" not in str((entry.details or {})["change"])

    def test_a_password_change_is_audited_without_the_password(self, staff_client: Any, make_user: Any) -> None:
        user = make_user("inspector")
        response = staff_client.post(
            # Django's UserAdmin names this URL after auth.User whatever the user model is.
            reverse("admin:auth_user_password_change", args=[user.pk]),
            {"password1": "Another-long-pass-77", "password2": "Another-long-pass-77", "usable_password": "true"},
        )
        assert response.status_code == 302
        entry = AuditLog.objects.get(action="admin_change", resource_id=user.pk)
        assert "Another-long-pass-77" not in str(entry.details)

    def test_deleting_a_job_from_its_page(self, staff_client: Any, staff_user: Any) -> None:
        job = Job.objects.create(submission=make_submission())
        response = staff_client.post(reverse("admin:jobs_job_delete", args=[job.pk]), {"post": "yes"})
        assert response.status_code == 302
        assert not Job.objects.exists()
        entry = AuditLog.objects.get(action="admin_delete")
        assert (entry.resource_type, entry.resource_id, (entry.details or {})["object_repr"]) == (
            "job",
            job.pk,
            job.job_id,
        )

    def test_the_chain_holds_after_admin_writes(self, staff_client: Any, make_user: Any) -> None:
        user = make_user("inspector")
        staff_client.post(
            reverse("admin:accounts_user_change", args=[user.pk]),
            {"email": user.email, "full_name": "X", "role": "inspector", "is_active": "on"},
        )
        staff_client.post(
            reverse("admin:jobs_job_delete", args=[Job.objects.create(submission=make_submission()).pk]),
            {"post": "yes"},
        )
        report = audit_chain_check()
        assert report.rows == 2 and report.broken is None


@pytest.mark.django_db
class TestAuditAdmin:
    def test_offers_no_add_change_or_delete(self, staff_client: Any, staff_user: Any) -> None:
        entry = audit_record(actor=staff_user, action="login")
        assert staff_client.get(reverse("admin:audit_auditlog_add")).status_code == 403
        change_url = reverse("admin:audit_auditlog_change", args=[entry.pk])
        page = staff_client.get(change_url)
        assert page.status_code == 200 and entry.row_hash in page.text and 'name="_save"' not in page.text
        assert staff_client.post(change_url, {"action": "x"}).status_code == 403
        assert staff_client.get(reverse("admin:audit_auditlog_delete", args=[entry.pk])).status_code == 403
        listing = staff_client.get(reverse(AUDIT_CHANGELIST))
        assert listing.status_code == 200 and 'value="delete_selected"' not in listing.text

    def test_filters_by_action_user_and_date(self, staff_client: Any, staff_user: Any, make_user: Any) -> None:
        other = make_user("inspector")
        audit_record(actor=staff_user, action="login")
        audit_record(actor=other, action="login")
        audit_record(actor=other, action="download_file")
        url = reverse(AUDIT_CHANGELIST)

        def listed(**params: str) -> list[tuple[str, int | None]]:
            response = staff_client.get(url, params)
            assert response.status_code == 200
            return sorted((entry.action, entry.user_id) for entry in response.context["cl"].result_list)

        assert listed(action="login") == sorted([("login", staff_user.pk), ("login", other.pk)])
        assert listed(user=other.email) == sorted([("login", other.pk), ("download_file", other.pk)])
        assert listed(user=str(staff_user.pk)) == [("login", staff_user.pk)]
        today = AuditLog.objects.latest("id").created_at.date().isoformat()
        assert len(listed(created_at__gte=today, created_at__lte=today)) == 3
        assert listed(created_at__lte="2000-01-01") == []
        choices = staff_client.get(url).text
        for action in ("submit_form", "login_failed", "admin_delete"):
            assert f"?action={action}" in choices

    def test_a_resources_history(self, staff_client: Any, staff_user: Any) -> None:
        submission = make_submission(7)
        other = make_submission(8)
        audit_record(
            actor=staff_user,
            action="submit_form",
            resource=submission,
            details={"submission_id": submission.submission_id},
        )
        audit_record(actor=staff_user, action="download_file", resource=submission)
        audit_record(actor=staff_user, action="submit_form", resource=other)
        url = reverse(AUDIT_CHANGELIST)
        for params in (
            {"q": f"submission:{submission.pk}"},
            {"q": submission.submission_id},
            {"resource_type": "submission", "resource_id": str(submission.pk)},
        ):
            response = staff_client.get(url, params)
            assert sorted(entry.action for entry in response.context["cl"].result_list) == [
                "download_file",
                "submit_form",
            ]

    def test_list_query_count(self, staff_client: Any, make_user: Any, django_assert_max_num_queries: Any) -> None:
        for _ in range(30):
            audit_record(actor=make_user("inspector"), action="login")
        with django_assert_max_num_queries(5):
            response = staff_client.get(reverse(AUDIT_CHANGELIST))
        assert len(response.context["cl"].result_list) == 30


@pytest.mark.django_db
class TestJobsAdmin:
    def test_failures_first_then_newest(self, staff_client: Any, django_assert_max_num_queries: Any) -> None:
        submissions = [make_submission(number) for number in range(1, 41)]
        jobs = [
            Job.objects.create(submission=submission, status="failed" if number % 10 == 0 else "done")
            for number, submission in enumerate(submissions)
        ]
        with django_assert_max_num_queries(5):
            response = staff_client.get(reverse("admin:jobs_job_changelist"))
        listed = list(response.context["cl"].result_list)
        failed = [job for job in jobs if job.status == "failed"]
        assert [job.pk for job in listed[: len(failed)]] == [job.pk for job in reversed(failed)]
        assert all(job.status == "done" for job in listed[len(failed) :])

    def test_status_filter_and_id_search(self, staff_client: Any) -> None:
        submission = make_submission(1)
        done = Job.objects.create(submission=submission, status="done")
        failed = Job.objects.create(submission=submission, status="failed", error_message="timeout")
        url = reverse("admin:jobs_job_changelist")
        assert [job.pk for job in staff_client.get(url, {"status__exact": "done"}).context["cl"].result_list] == [
            done.pk
        ]
        assert [job.pk for job in staff_client.get(url, {"q": failed.job_id.upper()}).context["cl"].result_list] == [
            failed.pk
        ]
        by_submission = staff_client.get(url, {"q": submission.submission_id}).context["cl"].result_list
        assert sorted(job.pk for job in by_submission) == sorted([done.pk, failed.pk])
        assert list(staff_client.get(url, {"q": "anything"}).context["cl"].result_list) == []
        change = staff_client.get(reverse("admin:jobs_job_change", args=[failed.pk]))
        assert change.status_code == 200 and "timeout" in change.text


@pytest.mark.django_db
def test_users_admin_lists_and_searches(staff_client: Any, make_user: Any) -> None:
    target = make_user("inspector", full_name="Fatima Zahra")
    response = staff_client.get(reverse("admin:accounts_user_changelist"), {"q": "fatima"})
    assert [user.pk for user in response.context["cl"].result_list] == [target.pk]
    assert staff_client.get(reverse("admin:accounts_user_change", args=[target.pk])).status_code == 200
