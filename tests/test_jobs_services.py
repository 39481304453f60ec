"""Job lifecycle in process: creation on submit (queued on commit), running, retries, the reaper."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditLog
from jobs.models import Job, JobStatus
from jobs.queue import GENERATE_REPORTS_TASK, generate_reports_task, retry_delay_seconds
from jobs.services import (
    job_create,
    jobs_reap,
    report_job_run,
    reports_regenerate,
)
from jobs.store import job_store
from jobs.tasks import generate_reports
from submissions.models import Submission
from submissions.services import submission_create
from tests.jobs_support import cleaning_document, hvac_document
from tests.legacy_store_helpers import legacy_dir

__all__ = ["legacy_dir"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def controlled_storage(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Report saves can be made to fail: write a count to ``<dir>/fail_saves``."""
    control = tmp_path / "control"
    control.mkdir()
    monkeypatch.setenv("INJAAZ_TEST_CONTROL_DIR", str(control))
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.jobs_support.ControlledStorage"}}
    return control


def test_the_queue_names_the_report_task_by_its_path() -> None:
    # jobs.queue names the task instead of importing jobs.tasks (which imports the services).
    assert generate_reports.module_path == GENERATE_REPORTS_TASK
    assert generate_reports_task() is generate_reports


def queued_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path="jobs.tasks.generate_reports").order_by("enqueued_at"))


def hvac_submission(user: Any, submission_id: str, **options: Any) -> Submission:
    return submission_create(
        actor=user, module="hvac_mep", form_data=hvac_document(submission_id, **options), submission_id=submission_id
    )


def test_submit_creates_a_started_job_and_queues_it_in_the_same_transaction(
    inspector: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Issue 17: with the database task backend the task row is written in the submission's
    # transaction (before, it was enqueued on commit); a worker still only sees it once committed.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = hvac_submission(inspector, "sub_0000000b0001", items=1, photos_per_item=1, prefix="q")
        job = Job.objects.get(submission=submission)
        assert (job.status, job.progress, job.attempts) == (JobStatus.STARTED, 0, 1)
        assert job.started_at is None and job.completed_at is None and job.queued_at is not None
        [task] = queued_tasks()
    assert not any("job_enqueue" in repr(callback) for callback in callbacks)
    assert task.args_kwargs == {"args": [job.job_id, 1], "kwargs": {}}


def test_a_rolled_back_submission_leaves_no_job_and_queues_nothing(
    inspector: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        hvac_submission(inspector, "sub_0000000b0002", items=0)
        raise RuntimeError("the request failed after the insert")
    assert callbacks == []
    assert Job.objects.count() == 0 and queued_tasks() == []


def test_the_cleaning_document_carries_its_job_id(inspector: Any) -> None:
    fresh = submission_create(
        actor=inspector,
        module="cleaning",
        form_data=cleaning_document("sub_0000000b0003"),
        submission_id="sub_0000000b0003",
    )
    assert fresh.form_data["job_id"] == Job.objects.get(submission=fresh).job_id
    # A job id sent by the client is not trusted: it could name another submission's job.
    taken = fresh.form_data["job_id"]
    second = submission_create(
        actor=inspector,
        module="cleaning",
        form_data=cleaning_document("sub_0000000b0004", job_id=taken),
        submission_id="sub_0000000b0004",
    )
    job = Job.objects.get(submission=second)
    assert job.job_id != taken and second.form_data["job_id"] == job.job_id
    hvac = hvac_submission(inspector, "sub_0000000b000b", items=0)
    assert "job_id" not in hvac.form_data


def test_running_a_job_stores_both_reports_and_marks_it_done(inspector: Any) -> None:
    submission = hvac_submission(inspector, "sub_0000000b0005", items=2, photos_per_item=1, prefix="run")
    job = Job.objects.get(submission=submission)
    report_job_run(job_id=job.job_id, attempt=1)
    job.refresh_from_db()
    submission.refresh_from_db()
    assert (job.status, job.progress, job.error_message) == (JobStatus.DONE, 100, "")
    assert job.started_at is not None and job.completed_at is not None and job.completed_at >= job.started_at
    assert job.excel_url.startswith(f"/jobs/{job.job_id}/files/") and job.excel_url.endswith(".xlsx")
    assert job.pdf_url.startswith(f"/jobs/{job.job_id}/files/") and job.pdf_url.endswith(".pdf")
    token = job.excel_url.rsplit("/", 1)[1].removesuffix(".xlsx")
    for name in (f"reports/{job.job_id}/{token}.xlsx", f"reports/{job.job_id}/{token}.pdf"):
        assert default_storage.exists(name) and default_storage.size(name) > 1000
    assert submission.status == "completed"
    entry = AuditLog.objects.filter(action="generate_report").get()
    assert entry.details == {
        "event": "done",
        "job_id": job.job_id,
        "submission_id": submission.submission_id,
        "attempt": 1,
    }
    assert entry.resource_id == submission.pk


def test_an_unreadable_document_fails_the_job_with_a_readable_message(inspector: Any) -> None:
    submission = submission_create(actor=inspector, module="civil", form_data={"weather": "sunny"})
    job = Job.objects.get(submission=submission)
    report_job_run(job_id=job.job_id, attempt=1)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error_message.startswith("The submission's data could not be read: unknown submission shape")
    assert job.completed_at is not None and job.excel_url == ""
    submission.refresh_from_db()
    assert submission.status == "failed"
    assert (AuditLog.objects.get(action="generate_report").details or {})["event"] == "failed"


def test_a_transient_storage_error_is_retried_with_backoff(
    inspector: Any, controlled_storage: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.INJAAZ_REPORT_RETRY_BASE_SECONDS = 10
    submission = hvac_submission(inspector, "sub_0000000b0006", items=1, photos_per_item=1, prefix="retry")
    job = Job.objects.get(submission=submission)
    (controlled_storage / "fail_saves").write_text("1")
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):  # the worker runs outside any transaction
        report_job_run(job_id=job.job_id, attempt=1)
    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts, job.error_message) == (JobStatus.STARTED, 0, 2, "")
    [retry] = [task for task in queued_tasks() if task.args_kwargs["args"][1] == 2]  # attempt 1 came with the submit
    assert retry.args_kwargs["args"] == [job.job_id, 2]
    delay = (retry.run_after - before).total_seconds()
    assert 7 <= delay <= 13  # 10 s, with jitter
    report_job_run(job_id=job.job_id, attempt=2)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)


def test_transient_errors_fail_the_job_after_the_last_attempt(
    inspector: Any, controlled_storage: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.INJAAZ_REPORT_RETRY_BASE_SECONDS = 0
    settings.INJAAZ_REPORT_MAX_ATTEMPTS = 3
    submission = hvac_submission(inspector, "sub_0000000b0007", items=1, photos_per_item=0)
    job = Job.objects.get(submission=submission)
    (controlled_storage / "fail_saves").write_text("99")
    for attempt in (1, 2, 3):
        with django_capture_on_commit_callbacks(execute=True):
            report_job_run(job_id=job.job_id, attempt=attempt)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error_message.startswith("Storage was unavailable (3 attempts): could not store reports/")
    assert len(queued_tasks()) == 3  # attempt 1 with the submit, 2 and 3 retries, nothing after the last


def test_backoff_doubles_and_is_capped(settings: Any) -> None:
    settings.INJAAZ_REPORT_RETRY_BASE_SECONDS = 10
    settings.INJAAZ_REPORT_RETRY_MAX_SECONDS = 60
    assert 8 <= retry_delay_seconds(1) <= 12
    assert 16 <= retry_delay_seconds(2) <= 24
    assert 48 <= retry_delay_seconds(5) <= 72


def test_a_superseded_or_finished_attempt_does_nothing(inspector: Any) -> None:
    submission = hvac_submission(inspector, "sub_0000000b0008", items=1, photos_per_item=0)
    job = Job.objects.get(submission=submission)
    Job.objects.filter(pk=job.pk).update(attempts=2)
    report_job_run(job_id=job.job_id, attempt=1)
    job.refresh_from_db()
    assert (job.status, job.started_at) == (JobStatus.STARTED, None)
    report_job_run(job_id=job.job_id, attempt=2)
    job.refresh_from_db()
    completed = job.completed_at
    report_job_run(job_id=job.job_id, attempt=2)  # a duplicate task for a done job
    job.refresh_from_db()
    assert (job.status, job.completed_at) == (JobStatus.DONE, completed)
    report_job_run(job_id="job_0000000dead0", attempt=1)  # an unknown job is logged and ignored


def _stale(job: Job, *, status: str, attempts: int, minutes: int = 30) -> None:
    old = timezone.now() - dt.timedelta(minutes=minutes)
    Job.objects.filter(pk=job.pk).update(
        status=status, attempts=attempts, created_at=old, queued_at=old, started_at=old if status == "running" else None
    )


def test_the_reaper_requeues_or_fails_stale_jobs_and_leaves_live_ones(
    inspector: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.INJAAZ_REPORT_MAX_ATTEMPTS = 3
    jobs = {}
    for index, name in enumerate(["dead_worker", "exhausted", "lost_in_queue", "never_queued_legacy", "live"]):
        submission = hvac_submission(inspector, f"sub_0000000c000{index}", items=0)
        jobs[name] = Job.objects.get(submission=submission)
    _stale(jobs["dead_worker"], status="running", attempts=1)
    _stale(jobs["exhausted"], status="running", attempts=3)
    _stale(jobs["lost_in_queue"], status="started", attempts=3)
    _stale(jobs["never_queued_legacy"], status="started", attempts=0)
    Job.objects.filter(pk=jobs["live"].pk).update(status="running", started_at=timezone.now())
    # The task rows their workers claimed (django_tasks_db's own claim): one dead, one alive.
    claimed = {}
    for name, attempt in (("exhausted", 3), ("live", 1)):
        queued = generate_reports.enqueue(jobs[name].job_id, attempt)
        claimed[name] = DBTaskResult.objects.get(id=queued.id)
        claimed[name].claim(f"worker-{name}")

    out = call_command_output("reap_jobs", "--dry-run", "--stale-after", "600")
    assert out.splitlines()[-1] == ("Dry run: 4 stale jobs (untouched for 600 s): 2 would re-queue, 2 would fail.")
    assert Job.objects.filter(status="failed").count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        out = call_command_output("reap_jobs", "--stale-after", "600")
    assert out.splitlines()[-1] == (
        "4 stale jobs (untouched for 600 s): 2 re-queued, 2 failed. 1 task row a dead worker left running marked failed."
    )
    for job in jobs.values():
        job.refresh_from_db()
    assert (jobs["dead_worker"].status, jobs["dead_worker"].attempts, jobs["dead_worker"].progress) == ("started", 2, 0)
    assert (jobs["never_queued_legacy"].status, jobs["never_queued_legacy"].attempts) == ("started", 1)
    assert jobs["exhausted"].status == "failed"
    assert jobs["exhausted"].error_message.startswith("The worker stopped while generating the reports (3 attempts")
    assert jobs["lost_in_queue"].error_message.startswith("No worker picked this job up (3 attempts")
    assert jobs["live"].status == "running"
    for task in claimed.values():
        task.refresh_from_db()
    assert (claimed["exhausted"].status, claimed["exhausted"].exception_class_path) == (
        "FAILED",
        "jobs.services.WorkerLostError",
    )
    assert "The worker stopped while generating the reports (3 attempts" in claimed["exhausted"].traceback
    assert claimed["live"].status == "RUNNING"
    requeued = {tuple(task.args_kwargs["args"]) for task in queued_tasks()}
    assert {(jobs["dead_worker"].job_id, 2), (jobs["never_queued_legacy"].job_id, 1)} <= requeued
    # A second pass finds nothing: the re-queued jobs were touched just now.
    assert jobs_reap(stale_after=dt.timedelta(minutes=10)).total == 0


def call_command_output(*args: str) -> str:
    import io

    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_staff_regenerate_creates_an_audited_new_job(
    inspector: Any, staff_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submission = hvac_submission(inspector, "sub_0000000b0009", items=0)
    first = Job.objects.get(submission=submission)
    with django_capture_on_commit_callbacks(execute=True):
        job = reports_regenerate(submission=submission, actor=staff_user)
    assert job.job_id != first.job_id and (job.status, job.progress) == ("started", 0)
    entry = AuditLog.objects.get(action="generate_report")
    assert entry.user == staff_user
    assert entry.details == {"event": "regenerate", "job_id": job.job_id, "submission_id": submission.submission_id}
    assert [task.args_kwargs["args"] for task in queued_tasks()] == [[first.job_id, 1], [job.job_id, 1]]


def test_job_create_outside_submit_uses_the_given_id(inspector: Any) -> None:
    submission = hvac_submission(inspector, "sub_0000000b000a", items=0)
    with transaction.atomic():
        job = job_create(submission=submission, job_id="job_0000000abcde")
    assert Job.objects.get(job_id="job_0000000abcde").submission == submission
    assert job.status == "started"


# The worker runs in autocommit, where job files are published at once: so do these tests.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("phase", "job_store_setting"), [("db", "json"), ("json", "db"), ("dual", "db")])
def test_the_lifecycle_works_in_every_store(
    phase: str,
    job_store_setting: str,
    inspector: Any,
    staff_user: Any,
    legacy_dir: Path,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Hybrid jobs-in-files, json phase (no rows at all) and dual write run reports the same way."""
    settings.INJAAZ_STORAGE_PHASE = phase
    settings.INJAAZ_JOB_STORE = job_store_setting
    with django_capture_on_commit_callbacks(execute=True):
        submission = hvac_submission(inspector, "sub_0000000b00a0", items=1, photos_per_item=1, prefix=phase)
    [job] = job_store().for_submission(submission.submission_id)
    assert (job.status, job.attempts) == ("started", 1)
    with django_capture_on_commit_callbacks(execute=True):
        report_job_run(job_id=job.job_id, attempt=1)
    done = job_store().get(job.job_id)
    assert done is not None and (done.status, done.progress, done.attempts) == ("done", 100, 1)
    assert done.pdf_url.endswith(".pdf") and done.completed_at is not None
    if job_store_setting == "json" or phase == "json":
        document = json.loads((legacy_dir / "jobs" / f"{job.job_id}.json").read_text())
        assert (document["state"], document["attempts"]) == ("done", 1)
        assert document["results"] == {"excel_url": done.excel_url, "pdf_url": done.pdf_url}
        assert Job.objects.count() == 0
    # The staff status view reads the job wherever it lives.
    client = Client()
    client.force_login(staff_user)
    body = client.get(f"/jobs/{job.job_id}/status").json()
    assert (body["status"], body["submission_id"]) == ("done", "sub_0000000b00a0")
    assert client.get(body["pdf_url"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_reaper_finds_stale_jobs_in_job_files(
    inspector: Any, legacy_dir: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.INJAAZ_JOB_STORE = "json"
    with django_capture_on_commit_callbacks(execute=True):
        submission = hvac_submission(inspector, "sub_0000000b00a1", items=0)
    [job] = job_store().for_submission(submission.submission_id)
    old = timezone.now() - dt.timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        job_store().update(job, status="running", started_at=old, created_at=old, queued_at=old)
        result = jobs_reap(stale_after=dt.timedelta(minutes=15))
    assert result.requeued == [job.job_id]
    reloaded = job_store().get(job.job_id)
    assert reloaded is not None and (reloaded.status, reloaded.attempts) == ("started", 2)
    assert [task.args_kwargs["args"] for task in queued_tasks()][-1] == [job.job_id, 2]


SAMPLES = Path("/work/shared/legacy/samples/generated/submissions")


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("sub_*.json")), ids=lambda path: path.stem)
def test_an_imported_legacy_submission_of_any_shape_is_regenerated(path: Path, staff_user: Any) -> None:
    """Rows the importer writes keep the old document verbatim; staff can regenerate their reports."""
    from submissions.legacy.normalize import normalize_submission

    document = json.loads(path.read_text())
    record = normalize_submission(document, stem=path.stem)
    submission = Submission.objects.create(
        submission_id=path.stem, module=record.module, form_data=document, site_name=record.site_name[:200]
    )
    job = reports_regenerate(submission=submission, actor=staff_user)
    report_job_run(job_id=job.job_id, attempt=1)
    job.refresh_from_db()
    assert (job.status, job.error_message) == ("done", "")
    token = job.pdf_url.rsplit("/", 1)[1]
    with default_storage.open(f"reports/{job.job_id}/{token}", "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_the_reap_task_reaps(inspector: Any) -> None:
    from jobs.tasks import reap_jobs

    submission = hvac_submission(inspector, "sub_0000000b00b0", items=0)
    job = Job.objects.get(submission=submission)
    _stale(job, status="running", attempts=1)
    assert reap_jobs.call() == {"requeued": [job.job_id], "failed": []}


def test_a_submission_the_router_will_not_rewrite_still_gets_its_reports(
    inspector: Any, legacy_dir: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The submission's status is bookkeeping: failing to save it does not fail the job."""
    submission = hvac_submission(inspector, "sub_0000000b00b1", items=0)
    job = Job.objects.get(submission=submission)

    def refuse(submission: Submission) -> None:
        raise ValueError("refusing to rewrite this document")

    monkeypatch.setattr("jobs.services.submission_save", refuse)
    report_job_run(job_id=job.job_id, attempt=1)
    job.refresh_from_db()
    submission.refresh_from_db()
    assert (job.status, submission.status) == ("done", "pending")
