"""What keeps the admin fast at a million rows: counts, deep pages and the indexes the queries reach."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from injaaz.admin_tools import EstimatedCountPaginator
from jobs.models import Job
from submissions.models import Submission


def bulk_submissions(count: int, **extra: Any) -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    Submission.objects.bulk_create(
        Submission(
            submission_id=f"sub_{number:012x}",
            module=("hvac_mep", "civil", "cleaning")[number % 3],
            site_name=f"Tower {number}",
            visit_date=(start + dt.timedelta(days=number % 90)).date(),
            created_at=start + dt.timedelta(minutes=number),
            form_data={},
            **extra,
        )
        for number in range(1, count + 1)
    )


def explain(sql: str, params: list[Any] | None = None, **settings: str) -> str:
    """The plan of ``sql`` with some plan types disabled (a small table would otherwise be scanned)."""
    with connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute(f"SET LOCAL {name} = {value}")
        cursor.execute("EXPLAIN " + sql, params or [])
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_small_tables_are_counted_exactly(staff_user: Any, client: Any) -> None:
    bulk_submissions(150)
    client.force_login(staff_user)
    response = client.get(reverse("admin:submissions_submission_changelist"))
    assert response.context["cl"].result_count == 150
    assert "about" not in response.text.split('class="paginator"')[1][:400]


@pytest.mark.postgres
@pytest.mark.django_db
class TestCounts:
    @pytest.fixture(autouse=True)
    def low_bound(self, monkeypatch: Any) -> None:
        monkeypatch.setattr(EstimatedCountPaginator, "count_bound", 50)
        monkeypatch.setattr(EstimatedCountPaginator, "deep_offset", 20)

    def test_unfiltered_count_is_the_planner_estimate(self) -> None:
        bulk_submissions(300)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE submissions")
        paginator = EstimatedCountPaginator(Submission.objects.order_by("-created_at", "-id"), 100)
        with CaptureSQL() as captured:
            assert paginator.count == 300
        assert paginator.count_is_estimate
        assert len(captured) == 1 and "reltuples" in captured[0] and "COUNT" not in captured[0].upper()

    def test_filtered_count_is_bounded_then_estimated(self) -> None:
        bulk_submissions(300)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE submissions")
        few = EstimatedCountPaginator(Submission.objects.filter(site_name__in=["Tower 1", "Tower 2"]), 100)
        assert few.count == 2 and not few.count_is_estimate
        many = EstimatedCountPaginator(Submission.objects.filter(module="civil"), 100)
        with CaptureSQL() as captured:
            count = many.count
        assert many.count_is_estimate and count >= 51
        assert "LIMIT 51" in captured[0] and captured[1].startswith("EXPLAIN")

    def test_the_page_says_about_when_estimated(self, staff_user: Any, client: Any) -> None:
        bulk_submissions(300)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE submissions")
        client.force_login(staff_user)
        response = client.get(reverse("admin:submissions_submission_changelist"))
        assert "about 300 submissions" in " ".join(response.text.split())

    def test_a_common_search_term_is_estimated_within_five_queries(
        self, staff_user: Any, client: Any, monkeypatch: Any, django_assert_max_num_queries: Any
    ) -> None:
        import submissions.admin

        monkeypatch.setattr(submissions.admin, "SEARCH_IDS_LIMIT", 60)
        bulk_submissions(300)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE submissions")
        client.force_login(staff_user)
        with django_assert_max_num_queries(5):
            response = client.get(reverse("admin:submissions_submission_changelist"), {"q": "tower"})
        assert response.context["cl"].paginator.count_is_estimate
        assert response.context["cl"].result_count >= 61
        assert len(response.context["cl"].result_list) == 100

    def test_deep_pages_hold_the_same_rows_as_offset_paging(self) -> None:
        bulk_submissions(260)
        ordered = Submission.objects.order_by("-created_at", "-id")
        paginator = EstimatedCountPaginator(ordered, 100)
        with CaptureSQL() as captured:
            page = list(paginator.page(3).object_list)
        assert [row.pk for row in page] == [row.pk for row in ordered[200:300]]
        assert "IN (SELECT" in captured[-1] and "OFFSET 200" in captured[-1]


class CaptureSQL(list[str]):
    def __enter__(self) -> CaptureSQL:
        from django.test.utils import CaptureQueriesContext

        self._context = CaptureQueriesContext(connection)
        self._context.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._context.__exit__(*exc)
        self.extend(query["sql"] for query in self._context.captured_queries)


@pytest.mark.postgres
@pytest.mark.django_db
class TestIndexesServeTheAdminQueries:
    """On a small table PostgreSQL prefers a scan; with scans off, the plan shows the index fits."""

    def test_site_search_reaches_the_trigram_index(self) -> None:
        bulk_submissions(50)
        sql, params = Submission.objects.filter(site_name__icontains="ower 1").order_by().query.sql_with_params()
        plan = explain(sql, list(params), enable_seqscan="off", enable_indexscan="off")
        assert "idx_submissions_site_name_trgm" in plan

    def test_date_range_newest_visit_first_reads_the_module_date_index(self) -> None:
        bulk_submissions(50)
        queryset = Submission.objects.filter(
            module="civil", visit_date__gte=dt.date(2025, 1, 5), visit_date__lte=dt.date(2025, 2, 5)
        ).order_by("-visit_date", "-id")[:100]
        sql, params = queryset.query.sql_with_params()
        plan = explain(sql, list(params), enable_seqscan="off", enable_bitmapscan="off", enable_sort="off")
        assert "idx_submissions_module_date" in plan

    def test_status_newest_first_reads_the_status_created_index(self) -> None:
        bulk_submissions(50)
        queryset = Submission.objects.filter(status="failed").order_by("-created_at", "-id")[:100]
        sql, params = queryset.query.sql_with_params()
        plan = explain(sql, list(params), enable_seqscan="off", enable_bitmapscan="off", enable_sort="off")
        assert "idx_submissions_status_created" in plan

    def test_jobs_failures_first_order_is_an_index(self) -> None:
        from jobs.admin import FAILED_FIRST

        bulk_submissions(5)
        for submission in Submission.objects.all():
            Job.objects.create(submission=submission, status="failed" if submission.pk % 2 else "done")
        sql, params = Job.objects.order_by(*FAILED_FIRST)[:100].query.sql_with_params()
        with connection.cursor() as cursor:
            # Django sends literals inline (client-side binding): the plan must see the same.
            sql = cursor.mogrify(sql, params)
        plan = explain(sql, enable_seqscan="off", enable_sort="off", enable_incremental_sort="off")
        assert "idx_jobs_failed_first" in plan
