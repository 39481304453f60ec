"""A worker told to stop (SIGTERM, what systemd sends) never leaves its job ``running``.

Real ``run_worker`` processes on the test database; a report save is made to hang
(``ControlledStorage``'s ``hang_saves``) so the signal lands in the middle of a job.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from submissions.models import Submission
from submissions.services import submission_create
from tests.jobs_support import hvac_document
from tests.test_jobs_worker import control, job_of, start_worker, wait_for

__all__ = ["control", "start_worker"]  # fixtures shared with test_jobs_worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def hanging_job(inspector: Any, control: Path, submission_id: str) -> Submission:
    submission = submission_create(
        actor=inspector, module="hvac_mep", form_data=hvac_document(submission_id, items=1, photos_per_item=1)
    )
    (control / "hang_saves").write_text("")
    return submission


def report_tasks() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path="jobs.tasks.generate_reports").order_by("enqueued_at"))


def test_sigterm_lets_the_job_in_progress_finish_then_the_worker_exits(
    inspector: Any, control: Path, start_worker: Callable[..., subprocess.Popen[bytes]]
) -> None:
    submission = hanging_job(inspector, control, "sub_00000000f001")
    worker = start_worker("--reap-interval", "0", "--stop-grace", "60")
    wait_for(lambda: (control / "hanging").exists(), timeout=180, what="the worker to be mid-job")

    worker.send_signal(signal.SIGTERM)
    time.sleep(1)
    assert worker.poll() is None, "the worker must not stop in the middle of its job"
    (control / "hang_saves").unlink()

    assert worker.wait(timeout=60) == 0
    job = job_of(submission.submission_id)
    assert (job.status, job.progress, job.attempts) == ("done", 100, 1)
    assert [task.status for task in report_tasks()] == ["SUCCESSFUL"]


def test_a_job_outlasting_the_grace_period_is_given_back_and_another_worker_finishes_it(
    inspector: Any, control: Path, start_worker: Callable[..., subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    submission = hanging_job(inspector, control, "sub_00000000f002")
    worker = start_worker("--reap-interval", "0", "--stop-grace", "0.5")
    wait_for(lambda: (control / "hanging").exists(), timeout=180, what="the worker to be mid-job")
    assert job_of(submission.submission_id).status == "running"

    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert time.monotonic() - started < 10

    # Given back: queued again as the same attempt (a restart does not use up attempts).
    job = job_of(submission.submission_id)
    assert (job.status, job.progress, job.attempts) == ("started", 0, 1)
    interrupted, queued = report_tasks()
    assert (interrupted.status, interrupted.exception_class_path) == ("FAILED", "jobs.errors.WorkerStopping")
    assert (queued.status, queued.args_kwargs["args"]) == ("READY", [job.job_id, 1])
    log = (tmp_path / "worker-0.log").read_text()
    assert "given back to the queue" in log

    (control / "hang_saves").unlink()
    start_worker("--reap-interval", "0", "--batch").wait(timeout=120)
    job = job_of(submission.submission_id)
    assert (job.status, job.progress, job.attempts) == ("done", 100, 1)


def test_a_second_sigterm_gives_the_job_back_at_once(
    inspector: Any, control: Path, start_worker: Callable[..., subprocess.Popen[bytes]]
) -> None:
    submission = hanging_job(inspector, control, "sub_00000000f003")
    worker = start_worker("--reap-interval", "0", "--stop-grace", "600")
    wait_for(lambda: (control / "hanging").exists(), timeout=180, what="the worker to be mid-job")

    worker.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    job = job_of(submission.submission_id)
    assert (job.status, job.attempts) == ("started", 1)
    assert [task.status for task in report_tasks()] == ["FAILED", "READY"]


def test_an_idle_worker_stops_at_once(start_worker: Callable[..., subprocess.Popen[bytes]], tmp_path: Path) -> None:
    worker = start_worker("--reap-interval", "0")
    wait_for(lambda: "Starting worker" in (tmp_path / "worker-0.log").read_text(), what="the worker to start")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=10) == 0
