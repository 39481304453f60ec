"""The submit in one short transaction (issue 17): the statements a JSON submit costs and their
order (the audit lock last, just before COMMIT), the task row inside the transaction with the
database backend (on commit with any other), and one unbroken audit chain under concurrent submits.
"""

from __future__ import annotations

import json
import threading
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from audit.models import AuditLog
from jobs.models import Job
from submissions.models import Submission
from submissions.services import submission_create
from tests.jobs_support import hvac_document

pytestmark = pytest.mark.django_db

BODY = {
    "site_name": "Tower A",
    "visit_date": "2025-12-20",
    "items": [
        {"asset": "HVAC", "system": "Chiller Evaporator", "description": "Chiller", "photo_urls": []},
        {"asset": "HVAC", "system": "Chiller Condenser", "description": "Condenser Pump", "photo_urls": []},
    ],
}


def report_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path="jobs.tasks.generate_reports"))


@pytest.mark.postgres
def test_a_json_submit_costs_twelve_statements_with_the_audit_lock_last(
    client: Client, inspector: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Counted as the server runs it: the test's own transaction turns the submit's BEGIN and
    COMMIT into a SAVEPOINT and its RELEASE (one statement each all the same), and what runs on
    commit is run and counted."""
    from tests.inspection_helpers import signature_data_url

    body = {**BODY, "tech_signature": signature_data_url()}
    client.force_login(inspector)
    first = client.post("/hvac-mep/submit-with-urls", json.dumps(body), content_type="application/json")
    assert first.status_code == 200, first.content  # warms the process caches, as any earlier request would
    with CaptureQueriesContext(connection) as captured, django_capture_on_commit_callbacks(execute=True):
        response = client.post("/hvac-mep/submit-with-urls", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    statements = [query["sql"] for query in captured.captured_queries]
    assert len(statements) <= 12, "\n".join(statements)

    [begin] = [index for index, sql in enumerate(statements) if sql.startswith("SAVEPOINT")]
    [commit] = [index for index, sql in enumerate(statements) if sql.startswith("RELEASE SAVEPOINT")]
    inside = statements[begin + 1 : commit]
    lock = next(index for index, sql in enumerate(inside) if "pg_advisory_xact_lock" in sql)
    # After the lock: the chain's head and the audit row, then COMMIT; everything else before it.
    assert [sql.split(" ")[0:3] for sql in inside[lock + 1 :]] == [
        ["SELECT", '"audit_logs"."row_hash"', "AS"],
        ["INSERT", "INTO", '"audit_logs"'],
    ]
    written = " ".join(inside[:lock])
    for table in ("submissions", "uploaded_files", "jobs", "django_tasks_database_dbtaskresult"):
        assert f'INSERT INTO "{table}"' in written
    assert "SELECT 1 AS" not in written  # no constraint or foreign key checked by query
    assert not any('FROM "submissions"' in sql for sql in statements)  # a new key needs no look-up

    answer = response.json()
    submission = Submission.objects.get(submission_id=answer["submission_id"])
    job = Job.objects.get(submission=submission)
    assert answer["job_id"] == job.job_id  # answered without reading the job back
    [task] = [task for task in report_tasks() if task.args_kwargs["args"][0] == job.job_id]
    assert task.status == "READY"


def test_the_task_row_commits_with_the_submission_or_not_at_all(
    inspector: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        submission = submission_create(
            actor=inspector, module="hvac_mep", form_data=hvac_document("sub_00000017c001", items=1, photos_per_item=0)
        )
        # Inside the transaction, beside its job: nothing is left to run on commit for the report.
        assert [task.args_kwargs["args"] for task in report_tasks()] == [[submission.report_job_id, 1]]
    assert not any("job_enqueue" in repr(callback) for callback in callbacks)

    with pytest.raises(RuntimeError), transaction.atomic():
        submission_create(
            actor=inspector, module="hvac_mep", form_data=hvac_document("sub_00000017c002", items=1, photos_per_item=0)
        )
        raise RuntimeError("the request failed after the submit")
    assert not Submission.objects.filter(submission_id="sub_00000017c002").exists()
    assert Job.objects.count() == 1 and len(report_tasks()) == 1


def test_other_task_backends_are_still_told_on_commit(
    inspector: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}
    from django_tasks import default_task_backend

    default_task_backend.clear()  # type: ignore[attr-defined]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission_create(
            actor=inspector, module="hvac_mep", form_data=hvac_document("sub_00000017c003", items=1, photos_per_item=0)
        )
        assert default_task_backend.results == []  # type: ignore[attr-defined]
    assert callbacks
    for callback in callbacks:
        callback()
    results = default_task_backend.results  # type: ignore[attr-defined]
    [report] = [result for result in results if result.task.module_path == "jobs.tasks.generate_reports"]
    assert report.args == [Job.objects.get().job_id, 1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_keep_one_unbroken_audit_chain(inspector: Any) -> None:
    threads, per_thread = 8, 4
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def submit(index: int) -> None:
        try:
            start.wait(timeout=60)
            for number in range(per_thread):
                submission_create(
                    actor=inspector,
                    module="hvac_mep",
                    form_data=hvac_document(f"sub_0000001{index:02d}{number:03d}", items=1, photos_per_item=0),
                )
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=submit, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert failures == []
    assert AuditLog.objects.filter(action="submit_form").count() == threads * per_thread
    assert len(report_tasks()) == threads * per_thread
    output = StringIO()
    call_command("verify_audit_chain", stdout=output)
    assert output.getvalue().startswith(f"Audit chain intact: {AuditLog.objects.count()} rows")
