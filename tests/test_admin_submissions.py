"""The submissions admin: list, search, filters, change page, actions, and their query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditLog
from jobs.models import Job
from submissions.models import Submission, UploadedFile

CHANGELIST = "admin:submissions_submission_changelist"
SIGNATURE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def make_submission(number: int, *, user: Any = None, **extra: Any) -> Submission:
    fields: dict[str, Any] = {
        "submission_id": f"sub_{number:012x}",
        "module": "hvac_mep",
        "site_name": f"Site {number}",
        "visit_date": dt.date(2025, 1, 1) + dt.timedelta(days=number % 60),
        "form_data": {"site_name": f"Site {number}", "items": []},
        "user": user,
    }
    fields.update(extra)
    return Submission.objects.create(**fields)


@pytest.fixture
def staff_client(client: Any, staff_user: Any) -> Any:
    client.force_login(staff_user)
    return client


@pytest.fixture
def many(make_user: Any) -> list[Submission]:
    """120 submissions, each by a different inspector (a per-row user query would show)."""
    return [make_submission(number, user=make_user("inspector")) for number in range(1, 121)]


def listed_ids(response: Any) -> list[str]:
    return [submission.submission_id for submission in response.context["cl"].result_list]


@pytest.mark.django_db
class TestChangelist:
    def test_first_page_runs_at_most_five_queries(
        self, staff_client: Any, many: list[Submission], django_assert_max_num_queries: Any
    ) -> None:
        with django_assert_max_num_queries(5):
            response = staff_client.get(reverse(CHANGELIST))
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == 100
        # Newest first; every inspector shown from the joined row.
        assert listed_ids(response)[0] == many[-1].submission_id
        newest_inspector = many[-1].user
        assert newest_inspector is not None and newest_inspector.email in response.text

    @pytest.mark.parametrize(
        "query",
        [
            "module__exact=hvac_mep",
            "status__exact=pending&o=-7",
            "module__exact=hvac_mep&visit_date__gte=2025-01-01&visit_date__lte=2025-02-15",
            "q=Site+1",
            "p=2",
        ],
    )
    def test_filtered_pages_run_at_most_five_queries(
        self, staff_client: Any, many: list[Submission], django_assert_max_num_queries: Any, query: str
    ) -> None:
        with django_assert_max_num_queries(5):
            response = staff_client.get(reverse(CHANGELIST) + "?" + query)
        assert response.status_code == 200
        assert response.context["cl"].result_list

    def test_exact_id_search_any_case(self, staff_client: Any, many: list[Submission]) -> None:
        target = many[41]
        response = staff_client.get(reverse(CHANGELIST), {"q": f"  {target.submission_id.upper()} "})
        assert listed_ids(response) == [target.submission_id]

    def test_exact_id_search_uses_plain_equality(self, staff_client: Any, many: list[Submission]) -> None:
        with CaptureQueriesContext(connection) as captured:
            staff_client.get(reverse(CHANGELIST), {"q": many[3].submission_id})
        sql = " ".join(query["sql"] for query in captured.captured_queries if '"submissions"' in query["sql"])
        assert f'"submissions"."submission_id" = \'{many[3].submission_id}\'' in sql or (
            '"submissions"."submission_id" = %s' in sql
        )
        assert 'UPPER("submissions"."submission_id"' not in sql

    def test_job_id_finds_its_submission(self, staff_client: Any, many: list[Submission]) -> None:
        job = Job.objects.create(submission=many[7])
        response = staff_client.get(reverse(CHANGELIST), {"q": job.job_id})
        assert listed_ids(response) == [many[7].submission_id]

    def test_site_substring_search_ignores_case(self, staff_client: Any, make_user: Any) -> None:
        make_submission(1, site_name="Al Reem Tower 3")
        make_submission(2, site_name="Marina Plaza")
        make_submission(3, site_name="REEM Mall")
        response = staff_client.get(reverse(CHANGELIST), {"q": "reem"})
        assert sorted(listed_ids(response)) == ["sub_000000000001", "sub_000000000003"]
        assert response.context["cl"].result_count == 2

    def test_date_range_is_inclusive_and_newest_visit_first(self, staff_client: Any, many: list[Submission]) -> None:
        response = staff_client.get(
            reverse(CHANGELIST), {"visit_date__gte": "2025-01-10", "visit_date__lte": "2025-01-12"}
        )
        dates = [submission.visit_date for submission in response.context["cl"].result_list]
        assert dates and set(dates) == {dt.date(2025, 1, 10), dt.date(2025, 1, 11), dt.date(2025, 1, 12)}
        assert dates == sorted(dates, reverse=True)
        assert 'value="2025-01-10"' in response.text

    def test_a_bad_date_is_an_error_not_a_crash(self, staff_client: Any, many: list[Submission]) -> None:
        response = staff_client.get(reverse(CHANGELIST), {"visit_date__gte": "yesterday"})
        assert response.status_code == 302 and "e=1" in response["Location"]

    def test_inspector_filter_by_email_or_id(self, staff_client: Any, many: list[Submission]) -> None:
        target = many[5]
        assert target.user is not None
        by_email = staff_client.get(reverse(CHANGELIST), {"inspector": target.user.email.upper()})
        by_id = staff_client.get(reverse(CHANGELIST), {"inspector": str(target.user_id)})
        assert listed_ids(by_email) == listed_ids(by_id) == [target.submission_id]

    def test_module_and_status_filters(self, staff_client: Any, many: list[Submission]) -> None:
        make_submission(500, module="civil", status="failed")
        response = staff_client.get(reverse(CHANGELIST), {"module__exact": "civil", "status__exact": "failed"})
        assert listed_ids(response) == ["sub_0000000001f4"]

    def test_submissions_cannot_be_added_or_edited_here(self, staff_client: Any, many: list[Submission]) -> None:
        assert staff_client.get(reverse("admin:submissions_submission_add")).status_code == 403
        url = reverse("admin:submissions_submission_change", args=[many[0].pk])
        response = staff_client.post(url, {"status": "failed"})
        assert response.status_code == 403
        many[0].refresh_from_db()
        assert many[0].status == "pending"


@pytest.mark.django_db
class TestChangePage:
    def test_form_data_tree_is_escaped_with_thumbnails_and_signatures(self, staff_client: Any) -> None:
        submission = make_submission(
            9,
            site_name="<script>alert('site')</script>",
            form_data={
                "site_name": "<script>alert('x')</script>",
                "tech_signature": SIGNATURE,
                "opMan_signature": {
                    "saved": None,
                    "path": None,
                    "url": "https://cdn.example.com/sig.png",
                    "is_cloud": True,
                },
                "items": [
                    {
                        "asset": "AHU <b>1</b>",
                        "photos": [
                            {"saved": None, "path": None, "url": "/media/uploads/a.png", "is_cloud": True},
                            {"saved": None, "path": None, "url": "javascript:alert(1)", "is_cloud": True},
                        ],
                    }
                ],
                "photo_url_0": "data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=",
            },
        )
        response = staff_client.get(reverse("admin:submissions_submission_change", args=[submission.pk]))
        html = response.text
        assert response.status_code == 200
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
        assert "AHU &lt;b&gt;1&lt;/b&gt;" in html
        assert f'<img src="{SIGNATURE}"' in html
        assert '<img src="https://cdn.example.com/sig.png"' in html
        assert '<img src="/media/uploads/a.png"' in html
        assert 'src="javascript:' not in html and 'href="javascript:' not in html
        assert 'src="data:image/svg' not in html

    def test_change_page_shows_jobs_and_files_read_only(
        self, staff_client: Any, staff_user: Any, django_assert_max_num_queries: Any
    ) -> None:
        submission = make_submission(10, user=staff_user)
        for _ in range(5):
            Job.objects.create(submission=submission, status="failed", error_message="<b>boom</b>")
            UploadedFile.objects.create(submission=submission, cloudinary_url="/media/p.png", original_filename="p.png")
        with django_assert_max_num_queries(12):
            response = staff_client.get(reverse("admin:submissions_submission_change", args=[submission.pk]))
        assert response.status_code == 200
        html = response.text
        assert html.count("&lt;b&gt;boom&lt;/b&gt;") == 5
        assert "jobs-0-job_id" not in html  # read-only inline: no form fields
        assert f"resource_type=submission&amp;resource_id={submission.pk}" in html


@pytest.mark.django_db
class TestActions:
    def post_action(self, client: Any, action: str, submissions: list[Submission]) -> Any:
        return client.post(
            reverse(CHANGELIST),
            {"action": action, "_selected_action": [submission.pk for submission in submissions]},
        )

    def test_csv_export_is_streamed_formula_safe_and_audited(self, staff_client: Any, staff_user: Any) -> None:
        risky = make_submission(1, site_name='=HYPERLINK("http://evil")', user=staff_user)
        plain = make_submission(2, site_name="Marina")
        response = self.post_action(staff_client, "export_csv", [risky, plain])
        assert response.status_code == 200 and response.streaming
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[0][:3] == ["Submission id", "Module", "Site"]
        by_id = {row[0]: row for row in rows[1:]}
        assert by_id[risky.submission_id][2] == '\'=HYPERLINK("http://evil")'
        assert by_id[risky.submission_id][5] == staff_user.email
        entry = AuditLog.objects.get(action="export_submissions")
        assert entry.user_id == staff_user.pk
        assert (entry.details or {})["format"] == "csv" and (entry.details or {})["rows"] == 2
        assert sorted((entry.details or {})["submission_ids"]) == sorted([risky.submission_id, plain.submission_id])

    def test_xlsx_export_is_formula_safe_and_audited(self, staff_client: Any) -> None:
        risky = make_submission(1, site_name="+cmd|' /C calc'!A0")
        response = self.post_action(staff_client, "export_xlsx", [risky])
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith('attachment; filename="submissions-')
        workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
        sheet = workbook["Submissions"]
        assert sheet["A2"].value == risky.submission_id
        # A typed string cell: the text as it was, no apostrophe, never a formula.
        assert (sheet["C2"].value, sheet["C2"].data_type) == ("+cmd|' /C calc'!A0", "s")
        assert sheet["D2"].value.date() == risky.visit_date and sheet["D2"].is_date
        assert (AuditLog.objects.get(action="export_submissions").details or {})["format"] == "xlsx"

    def test_regenerate_action_is_offered_to_staff_who_may_change(self, staff_client: Any) -> None:
        submission = make_submission(1)
        response = staff_client.get(reverse(CHANGELIST))
        assert 'value="regenerate_reports"' in response.text
        response = self.post_action(staff_client, "regenerate_reports", [submission])
        assert response.status_code == 302
        assert Job.objects.filter(submission=submission).count() == 1

    def test_view_only_staff_can_export_but_not_regenerate(self, client: Any, make_user: Any) -> None:
        viewer = make_user("supervisor", is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_submission"))
        client.force_login(viewer)
        make_submission(1)
        response = client.get(reverse(CHANGELIST))
        assert response.status_code == 200
        assert 'value="export_csv"' in response.text
        assert 'value="regenerate_reports"' not in response.text
        assert 'value="delete_selected"' not in response.text

    def test_bulk_delete_is_audited_per_submission(self, staff_client: Any, staff_user: Any) -> None:
        first, second = make_submission(1), make_submission(2)
        response = staff_client.post(
            reverse(CHANGELIST),
            {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
        )
        assert response.status_code == 302
        assert not Submission.objects.exists()
        entries = AuditLog.objects.filter(action="admin_delete").order_by("id")
        assert sorted((entry.resource_type, entry.resource_id) for entry in entries) == [
            ("submission", first.pk),
            ("submission", second.pk),
        ]
        assert {(entry.details or {})["object_repr"] for entry in entries} == {
            first.submission_id,
            second.submission_id,
        }
        assert all(entry.user_id == staff_user.pk for entry in entries)


@pytest.mark.django_db
def test_uploaded_files_admin_lists_and_searches(staff_client: Any, django_assert_max_num_queries: Any) -> None:
    submissions = [make_submission(number) for number in range(1, 31)]
    for submission in submissions:
        UploadedFile.objects.create(submission=submission, cloudinary_url="/media/x.png", original_filename="x.png")
    url = reverse("admin:submissions_uploadedfile_changelist")
    with django_assert_max_num_queries(5):
        response = staff_client.get(url)
    assert response.status_code == 200 and len(response.context["cl"].result_list) == 30
    found = staff_client.get(url, {"q": submissions[4].submission_id})
    assert [upload.submission_id for upload in found.context["cl"].result_list] == [submissions[4].pk]
    upload = UploadedFile.objects.first()
    assert upload is not None
    change = staff_client.get(reverse("admin:submissions_uploadedfile_change", args=[upload.pk]))
    assert change.status_code == 200 and '<img src="/media/x.png"' in change.text
