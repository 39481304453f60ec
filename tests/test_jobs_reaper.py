"""The reaper takes back only what nobody works on, and only once (issue 14 item 8).

- A re-queue is a compare-and-set on the state the reaper read: two reapers at once (threads with
  their own PostgreSQL connections, both past their read before either writes) queue one attempt.
- A worker records a heartbeat while it runs a job; a running job is stale only once the heartbeats
  stop, so ``reap_jobs --stale-after 1`` leaves a live slow job (a real worker) alone.
"""

from __future__ import annotations

import datetime as dt
import io
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs.models import Job, JobStatus
from jobs.queue import GENERATE_REPORTS_TASK
from jobs.services import ReapResult, _heartbeat, jobs_reap
from jobs.store import DatabaseJobStore, LegacyJobStore, job_store
from submissions.services import submission_create
from tests.jobs_support import hvac_document
from tests.legacy_store_helpers import legacy_dir
from tests.test_jobs_worker import control, start_worker, wait_for

__all__ = ["control", "legacy_dir", "start_worker"]

STALE = dt.timedelta(seconds=1)


def running_job(inspector: Any, submission_id: str, *, silent_for: dt.timedelta) -> Job:
    """A job left ``running`` (attempt 1) whose worker last beat ``silent_for`` ago."""
    submission_create(
        actor=inspector, module="hvac_mep", form_data=hvac_document(submission_id, items=0), submission_id=submission_id
    )
    last = timezone.now() - silent_for
    job = Job.objects.get(submission__submission_id=submission_id)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, progress=30, created_at=last, queued_at=last, started_at=last, heartbeat_at=last
    )
    job.refresh_from_db()
    return job


def report_tasks(job: Job) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path=GENERATE_REPORTS_TASK, args_kwargs__args__0=job.job_id))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reapers_at_once_queue_one_attempt(inspector: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.INJAAZ_JOB_HEARTBEAT_SECONDS = 1
    job = running_job(inspector, "sub_00000000a801", silent_for=dt.timedelta(minutes=5))
    DBTaskResult.objects.all().delete()  # the submit's own task: only what the reapers queue is counted
    # Both reapers read the abandoned job before either writes: the race the issue describes.
    both_read = threading.Barrier(2, timeout=30)
    read = DatabaseJobStore.unfinished

    def unfinished_then_wait(self: DatabaseJobStore, *, created_before: dt.datetime) -> list[Job]:
        found = read(self, created_before=created_before)
        both_read.wait()
        return found

    monkeypatch.setattr(DatabaseJobStore, "unfinished", unfinished_then_wait)
    results: list[ReapResult] = []
    errors: list[BaseException] = []

    def reaper() -> None:
        try:
            results.append(jobs_reap(stale_after=STALE))
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=reaper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(len(result.requeued) for result in results) == [0, 1]  # one winner
    job.refresh_from_db()
    assert (job.status, job.attempts, job.heartbeat_at) == (JobStatus.STARTED, 2, None)
    assert [task.args_kwargs["args"] for task in report_tasks(job)] == [[job.job_id, 2]]  # one task, not two


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["db", "json"])
def test_a_heartbeat_after_the_reaper_read_the_job_keeps_it(
    store: str, inspector: Any, settings: Any, legacy_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The compare-and-set, on both job stores and both databases: the worker beats between the
    reaper's read and its write, so the job is live after all and the reaper leaves it."""
    settings.INJAAZ_JOB_HEARTBEAT_SECONDS = 1
    settings.INJAAZ_JOB_STORE = store
    submission_create(
        actor=inspector,
        module="hvac_mep",
        form_data=hvac_document("sub_00000000a802", items=0),
        submission_id="sub_00000000a802",
    )
    [job] = job_store().for_submission("sub_00000000a802")
    last = timezone.now() - dt.timedelta(minutes=5)
    job_store().update(
        job, status=JobStatus.RUNNING, created_at=last, queued_at=last, started_at=last, heartbeat_at=last
    )
    DBTaskResult.objects.all().delete()
    store_class = LegacyJobStore if store == "json" else DatabaseJobStore
    read = store_class.unfinished

    def unfinished_then_beat(self: Any, *, created_before: dt.datetime) -> list[Job]:
        found = read(self, created_before=created_before)
        beating = job_store().get(job.job_id)
        assert beating is not None
        assert job_store().update_if(
            beating, expected={"status": JobStatus.RUNNING, "attempts": 1}, heartbeat_at=timezone.now()
        )
        return found

    monkeypatch.setattr(store_class, "unfinished", unfinished_then_beat)
    result = jobs_reap(stale_after=STALE)
    assert (result.requeued, result.failed) == ([], [])
    kept = job_store().get(job.job_id)
    assert kept is not None and (kept.status, kept.attempts) == (JobStatus.RUNNING, 1)
    assert report_tasks(job) == []


@pytest.mark.django_db(transaction=True)
def test_a_running_job_records_heartbeats(inspector: Any, settings: Any) -> None:
    """On PostgreSQL and on SQLite alike: a thread with its own connection beats every second here."""
    settings.INJAAZ_JOB_HEARTBEAT_SECONDS = 1
    job = running_job(inspector, "sub_00000000a803", silent_for=dt.timedelta(minutes=5))
    before = job.heartbeat_at
    assert before is not None
    with _heartbeat(job, 1):
        wait_for(
            lambda: Job.objects.get(pk=job.pk).heartbeat_at != before, timeout=10, what="a heartbeat to be recorded"
        )
    beat = Job.objects.get(pk=job.pk).heartbeat_at
    assert beat is not None and timezone.now() - beat < dt.timedelta(seconds=10)
    # Live: even an impatient reaper leaves it alone.
    assert jobs_reap(stale_after=STALE).total == 0
    # A job whose worker stopped beating three heartbeats ago is taken back.
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(seconds=4))
    assert jobs_reap(stale_after=STALE).requeued == [job.job_id]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reap_jobs_leaves_a_live_slow_job_alone(
    inspector: Any, control: Path, start_worker: Callable[..., subprocess.Popen[bytes]]
) -> None:
    submission = submission_create(
        actor=inspector,
        module="hvac_mep",
        form_data=hvac_document("sub_00000000a804", items=1, photos_per_item=1),
        submission_id="sub_00000000a804",
    )
    (control / "hang_saves").write_text("")  # the worker's report save waits until this goes
    worker = start_worker("--reap-interval", "0", env={"INJAAZ_JOB_HEARTBEAT_SECONDS": "1"})
    wait_for(lambda: (control / "hanging").exists(), what="the worker to be mid-job")
    time.sleep(3.5)  # slower than --stale-after 1, and than three of its heartbeats
    out = io.StringIO()
    call_command("reap_jobs", "--stale-after", "1", stdout=out)
    assert out.getvalue().splitlines()[-1] == "0 stale jobs (untouched for 1 s): 0 re-queued, 0 failed."
    job = Job.objects.get(submission=submission)
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
    assert job.heartbeat_at is not None and timezone.now() - job.heartbeat_at < dt.timedelta(seconds=3)

    (control / "hang_saves").unlink()
    wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.DONE, what="the job to be done")
    wait_for(lambda: report_tasks(job)[0].status == "SUCCESSFUL", what="its task row to be finished")
    [task] = report_tasks(job)  # it ran once
    assert task.args_kwargs["args"] == [job.job_id, 1]
    _, files = default_storage.listdir(f"reports/{job.job_id}")
    assert len(files) == 2  # one workbook and one PDF, not a second pair
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
