"""Report jobs on real worker processes (``manage.py run_worker``) sharing the PostgreSQL queue.

The tests commit real rows (transactional test database), start workers as subprocesses on
the same test database and media folder, and read back what they stored.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult

from audit.models import AuditLog
from jobs.models import Job
from submissions.services import submission_create
from tests.jobs_support import ARABIC_SITE, hvac_document, stored_photo

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def control(tmp_path: Path) -> Path:
    folder = tmp_path / "control"
    folder.mkdir()
    return folder


@pytest.fixture
def start_worker(control: Path, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start ``run_worker`` subprocesses on the test database; all are stopped afterwards."""
    started: list[subprocess.Popen[bytes]] = []
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    url = f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}/{database['NAME']}"

    def start(*arguments: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        environment = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
            "INJAAZ_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "INJAAZ_TEST_LEGACY_DIR": str(settings.INJAAZ_LEGACY_DIR),
            "INJAAZ_TEST_CONTROL_DIR": str(control),
            **(env or {}),
        }
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--no-startup-delay", "--interval", "0.2", *arguments],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def wait_for(condition: Callable[[], bool], *, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def job_of(submission_id: str) -> Job:
    return Job.objects.select_related("submission").get(submission__submission_id=submission_id)


def stored(job: Job, url: str) -> bytes:
    with default_storage.open(f"reports/{job.job_id}/{url.rsplit('/', 1)[1]}", "rb") as handle:
        return bytes(handle.read())


def test_a_submission_is_turned_into_both_reports_by_a_real_worker(
    inspector: Any, make_user: Any, start_worker: Callable[..., subprocess.Popen[bytes]]
) -> None:
    document = hvac_document("sub_00000000e0e1", items=3, photos_per_item=2, prefix="worker")
    document["items"][2]["photos"].append({"url": "https://res.cloudinary.com/old/upload/gone.jpg", "is_cloud": True})
    submission = submission_create(
        actor=inspector, module="hvac_mep", form_data=document, submission_id="sub_00000000e0e1"
    )
    job = job_of(submission.submission_id)
    assert (job.status, job.progress) == ("started", 0)

    worker = start_worker("--batch", "--reap-interval", "0")
    assert worker.wait(timeout=120) == 0

    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts, job.error_message) == ("done", 100, 1, "")
    submission.refresh_from_db()
    assert submission.status == "completed"
    [task] = DBTaskResult.objects.filter(task_path="jobs.tasks.generate_reports")
    assert task.status == "SUCCESSFUL"

    reader = pypdf.PdfReader(io.BytesIO(stored(job, job.pdf_url)))
    text = unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))
    assert 1 <= len(reader.pages) <= 3
    for expected in ("HVAC & MEP Inspection Report", "sub_00000000e0e1", job.job_id, "Item 3: HVAC", ARABIC_SITE):
        assert expected in text
    assert text.count("Image not available") == 1  # the old Cloudinary photo; the six stored ones are embedded
    assert len({image.name for page in reader.pages for image in page.images}) == 7  # six photos, one signature

    workbook = openpyxl.load_workbook(io.BytesIO(stored(job, job.excel_url)))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    values = {row[0]: row[1] for row in rows if row and isinstance(row[0], str)}
    assert values["Submission"] == "sub_00000000e0e1" and values["Photos"] == 7
    header = rows.index(("#", "Asset", "System", "Description", "Photos"))
    items = rows[header + 1 :][:3]
    assert [(row[0], row[4]) for row in items] == [(1, 2), (2, 2), (3, 3)]
    assert items[0][3].startswith("=HYPERLINK(") and sheet.cell(header + 2, 4).data_type == "s"  # text, not a formula
    assert workbook["Photos"].max_row == 8

    owner = Client()
    owner.force_login(inspector)
    response = owner.get(job.pdf_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == stored(job, job.pdf_url)  # type: ignore[attr-defined]
    stranger = Client()
    stranger.force_login(make_user("inspector"))
    refused = stranger.get(job.excel_url)  # another inspector's job answers as a missing one would
    assert refused.status_code == 404 and b"PK" not in refused.content
    assert AuditLog.objects.filter(action="download_file").count() == 1


def test_transient_storage_errors_are_retried_by_the_worker_with_backoff(
    inspector: Any, control: Path, start_worker: Callable[..., subprocess.Popen[bytes]]
) -> None:
    (control / "fail_saves").write_text("2")
    submission = submission_create(
        actor=inspector, module="hvac_mep", form_data=hvac_document("sub_00000000e0e2", items=1, photos_per_item=1)
    )
    start_worker("--reap-interval", "0", env={"INJAAZ_REPORT_RETRY_BASE_SECONDS": "1"})
    wait_for(lambda: job_of(submission.submission_id).status == "done", what="the job to be done after two retries")
    # The worker marks its task row finished just after the job's own row: wait for all three.
    wait_for(
        lambda: DBTaskResult.objects.filter(task_path="jobs.tasks.generate_reports", status="SUCCESSFUL").count() == 3,
        what="the three attempts' task rows to be finished",
    )
    job = job_of(submission.submission_id)
    assert (job.attempts, job.progress, job.error_message) == (3, 100, "")
    assert (control / "fail_saves").read_text() == "0"
    tasks = list(DBTaskResult.objects.filter(task_path="jobs.tasks.generate_reports").order_by("enqueued_at"))
    assert [task.args_kwargs["args"][1] for task in tasks] == [1, 2, 3]
    assert all(task.status == "SUCCESSFUL" for task in tasks)
    # Each retry waited: attempt 2 after ~1 s, attempt 3 after ~2 s (with jitter).
    assert (tasks[1].run_after - tasks[1].enqueued_at).total_seconds() >= 0.7
    assert (tasks[2].run_after - tasks[2].enqueued_at).total_seconds() >= 1.5


def test_a_job_whose_worker_was_killed_is_reaped_and_finished_by_another_worker(
    inspector: Any, control: Path, start_worker: Callable[..., subprocess.Popen[bytes]]
) -> None:
    submission = submission_create(
        actor=inspector, module="hvac_mep", form_data=hvac_document("sub_00000000e0e3", items=1, photos_per_item=1)
    )
    (control / "hang_saves").write_text("")
    doomed = start_worker("--reap-interval", "0")
    wait_for(lambda: (control / "hanging").exists(), what="the worker to be mid-job")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=30)
    (control / "hang_saves").unlink()

    job = job_of(submission.submission_id)
    assert (job.status, job.attempts, job.progress) == ("running", 1, 30)  # left behind, as the old app's were

    # A new worker reaps it once its heartbeats have stopped (1 s each here) and runs it again.
    start_worker("--reap-interval", "0.5", env={"INJAAZ_JOB_STALE_SECONDS": "1", "INJAAZ_JOB_HEARTBEAT_SECONDS": "1"})
    wait_for(lambda: job_of(submission.submission_id).status == "done", what="the reaped job to be done")
    # The worker marks its task row finished just after the job's own row: wait for both.
    wait_for(
        lambda: DBTaskResult.objects.filter(task_path="jobs.tasks.generate_reports", status="SUCCESSFUL").exists(),
        what="the second attempt's task row to be finished",
    )
    job = job_of(submission.submission_id)
    assert (job.attempts, job.progress) == (2, 100)
    assert default_storage.exists(f"reports/{job.job_id}/{job.pdf_url.rsplit('/', 1)[1]}")
    # The dead worker's task row says so, instead of staying RUNNING forever.
    first, second = DBTaskResult.objects.filter(task_path="jobs.tasks.generate_reports").order_by("enqueued_at")
    assert (first.status, first.exception_class_path) == ("FAILED", "jobs.services.WorkerLostError")
    assert "The worker stopped while running attempt 1" in first.traceback
    assert (second.status, second.args_kwargs["args"]) == ("SUCCESSFUL", [job.job_id, 2])


def test_two_workers_share_the_queue_and_run_each_job_once(
    inspector: Any, tmp_path: Path, start_worker: Callable[..., subprocess.Popen[bytes]]
) -> None:
    workers = [start_worker("--reap-interval", "0") for _ in range(2)]
    logs = [tmp_path / f"worker-{index}.log" for index in range(2)]
    wait_for(lambda: all(b"Starting worker" in log.read_bytes() for log in logs), what="both workers to poll")
    photos = [stored_photo(f"photos/shared{index}.jpg") for index in range(3)]
    ids = [f"sub_00000000f0{index:02d}" for index in range(10)]
    for submission_id in ids:
        document = hvac_document(submission_id, items=0)
        document["items"] = [{"asset": "HVAC", "system": "Fans", "description": "d", "photos": photos}]
        submission_create(actor=inspector, module="hvac_mep", form_data=document, submission_id=submission_id)
    wait_for(lambda: Job.objects.filter(status="done").count() == 10, what="ten jobs to be done")
    assert all(worker.poll() is None for worker in workers)
    assert AuditLog.objects.filter(action="generate_report", details__event="done").count() == 10
    tasks = DBTaskResult.objects.filter(task_path="jobs.tasks.generate_reports")
    assert {task.status for task in tasks} == {"SUCCESSFUL"} and tasks.count() == 10
    assert all(len(task.worker_ids) == 1 for task in tasks)  # each task ran once
    # Which worker took which job is up to the scheduler (on a busy machine one may take all ten).
    # Make sure each worker has taken work from the shared queue: a worker that took none gets
    # the next jobs to itself once the other is stopped.
    worker_ids = [_worker_id(log) for log in logs]
    assert {task.worker_ids[0] for task in tasks} <= set(worker_ids)
    for index, worker_id in enumerate(worker_ids):
        if not tasks.filter(worker_ids__contains=[worker_id]).exists():
            for other in workers[:index] + workers[index + 1 :]:
                other.send_signal(signal.SIGTERM)
                other.wait(timeout=30)
            more = [f"sub_00000000f1{number:02d}" for number in range(2)]
            for submission_id in more:
                submission_create(
                    actor=inspector,
                    module="hvac_mep",
                    form_data=hvac_document(submission_id, items=0),
                    submission_id=submission_id,
                )
            wait_for(lambda: Job.objects.filter(status="done").count() == 12, what="two more jobs to be done")
            break
    tasks = DBTaskResult.objects.filter(task_path="jobs.tasks.generate_reports")
    assert {task.worker_ids[0] for task in tasks} == set(worker_ids)
    assert all(len(task.worker_ids) == 1 for task in tasks)


def _worker_id(log: Path) -> str:
    for line in log.read_text(errors="replace").splitlines():
        if "Starting worker worker_id=" in line:
            return line.split("worker_id=", 1)[1].split()[0]
    raise AssertionError(f"no worker id in {log}")
