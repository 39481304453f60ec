"""Job state in legacy job files: the hybrid option (INJAAZ_JOB_STORE=json) and json phase."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from jobs.models import Job
from jobs.store import DatabaseJobStore, LegacyJobStore, expired_job_files, job_store
from submissions.legacy.files import LegacyTree, read_json_file
from submissions.legacy.normalize import normalize_job
from submissions.models import Submission
from tests.legacy_store_helpers import copy_samples, create, legacy_dir

__all__ = ["legacy_dir"]

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 25, 17, 35, 51, 176358, tzinfo=dt.UTC)


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Any) -> Any:
    def run(action: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


@pytest.fixture
def hybrid(legacy_dir: Path, settings: Any) -> LegacyTree:
    """Submissions in the database, jobs in files (the plan's recommended hybrid)."""
    settings.INJAAZ_STORAGE_PHASE = "db"
    settings.INJAAZ_JOB_STORE = "json"
    return LegacyTree(legacy_dir)


def test_hybrid_keeps_jobs_in_files_in_the_old_format(hybrid: LegacyTree, commit: Any) -> None:
    submission = commit(create, "hvac_mep")
    store = job_store()
    assert isinstance(store, LegacyJobStore)
    [report_job] = store.for_submission(submission.submission_id)  # submission_create's own job
    job = Job(job_id="job_0123456789ab", submission=submission, created_at=T0)
    commit(store.create, job)

    assert Job.objects.count() == 0 and Submission.objects.count() == 1
    path = hybrid.job_path("job_0123456789ab")
    raw = path.read_text()
    assert "\n" not in raw  # compact JSON, like common/utils.py wrote
    assert json.loads(raw) == {
        "job_id": "job_0123456789ab",
        "state": "started",
        "progress": 0,
        "results": [],
        "meta": {
            "submission_id": submission.submission_id,
            "module": "hvac_mep",
            "created_at": "2026-11-25T17:35:51.176358",
        },
        "created_at": 1795628151.176358,
    }

    started = T0 + dt.timedelta(seconds=1)
    commit(store.update, job, status="running", progress=30, started_at=started)
    document = read_json_file(path)
    assert (document["state"], document["progress"], document["started_at"]) == ("running", 30, started.timestamp())

    done = T0 + dt.timedelta(seconds=5)
    commit(
        store.update,
        job,
        status="done",
        progress=100,
        excel_url="https://injaaz.example.com/media/reports/a.xlsx",
        pdf_url="https://injaaz.example.com/media/reports/a.pdf",
        completed_at=done,
    )
    document = read_json_file(path)
    assert document["state"] == "done"
    assert document["results"] == {
        "excel_url": "https://injaaz.example.com/media/reports/a.xlsx",
        "pdf_url": "https://injaaz.example.com/media/reports/a.pdf",
    }
    assert isinstance(document["completed_at"], float) and document["completed_at"] == done.timestamp()
    # Nothing staged left behind.
    assert sorted(os.listdir(path.parent)) == sorted([".lock", path.name, f"{report_job.job_id}.json"])

    loaded = store.get("job_0123456789ab")
    assert loaded is not None and loaded.pk is None
    assert (loaded.status, loaded.progress, loaded.excel_url, loaded.pdf_url) == (
        "done",
        100,
        "https://injaaz.example.com/media/reports/a.xlsx",
        "https://injaaz.example.com/media/reports/a.pdf",
    )
    assert (loaded.created_at, loaded.started_at, loaded.completed_at) == (T0, started, done)
    assert loaded.submission == submission  # the database row, in hybrid mode
    # The one legacy parser reads what the store wrote.
    assert normalize_job(document, stem=path.stem).status == "done"


def test_a_failure_is_state_failed_with_results_error(hybrid: LegacyTree, commit: Any) -> None:
    submission = commit(create, "cleaning")
    store = job_store()
    job = Job(job_id="job_0000000000f1", submission=submission, created_at=T0)
    commit(store.create, job)
    commit(store.update, job, status="failed", error_message="PDF engine crashed", completed_at=T0)
    document = read_json_file(hybrid.job_path("job_0000000000f1"))
    assert (document["state"], document["results"]) == ("failed", {"error": "PDF engine crashed"})
    loaded = store.get("job_0000000000f1")
    assert loaded is not None and (loaded.status, loaded.error_message) == ("failed", "PDF engine crashed")


def test_for_submission_lists_that_submissions_jobs_newest_first(hybrid: LegacyTree, commit: Any) -> None:
    first, other = commit(create, "hvac_mep"), commit(create, "civil")
    store = job_store()
    # Each submission_create made its report job (created now, so newest); list the others.
    report_jobs = {job.job_id for s in (first, other) for job in store.for_submission(s.submission_id)}
    assert len(report_jobs) == 2

    def listed(submission_id: str) -> list[str]:
        return [job.job_id for job in store.for_submission(submission_id) if job.job_id not in report_jobs]

    for index, (submission, job_id) in enumerate(
        [(first, "job_00000000000a"), (other, "job_00000000000b"), (first, "job_00000000000c")]
    ):
        commit(store.create, Job(job_id=job_id, submission=submission, created_at=T0 + dt.timedelta(minutes=index)))
    assert listed(first.submission_id) == ["job_00000000000c", "job_00000000000a"]
    assert listed(other.submission_id) == ["job_00000000000b"]
    assert store.for_submission("sub_000000000000") == []


def test_a_job_created_in_a_rolled_back_transaction_leaves_no_file(hybrid: LegacyTree, commit: Any) -> None:
    submission = commit(create, "hvac_mep")
    store = job_store()
    with pytest.raises(RuntimeError), transaction.atomic():
        store.create(Job(job_id="job_0000000000dd", submission=submission))
        raise RuntimeError("abandoned")
    assert not hybrid.job_path("job_0000000000dd").exists()
    assert store.get("job_0000000000dd") is None


def test_json_phase_jobs_point_at_submissions_that_live_in_files(legacy_dir: Path, settings: Any, commit: Any) -> None:
    settings.INJAAZ_STORAGE_PHASE = "json"
    settings.INJAAZ_JOB_STORE = "db"  # json phase has no rows to point at: files regardless
    submission = commit(create, "civil")
    store = job_store()
    assert isinstance(store, LegacyJobStore)
    commit(store.create, Job(job_id="job_0000000000e1", submission=submission, created_at=T0))
    loaded = store.get("job_0000000000e1")
    assert loaded is not None
    assert loaded.submission.pk is None
    assert loaded.submission.submission_id == submission.submission_id
    assert loaded.submission.form_data == submission.form_data
    assert Job.objects.count() == Submission.objects.count() == 0


def test_the_default_keeps_jobs_in_the_table(legacy_dir: Path, commit: Any) -> None:
    submission = commit(create, "hvac_mep")
    store = job_store()
    assert isinstance(store, DatabaseJobStore)
    store.create(Job(job_id="job_0000000000ab", submission=submission))
    assert Job.objects.get(job_id="job_0000000000ab").submission == submission
    assert Job.objects.count() == 2  # and the report job submission_create made
    assert not LegacyTree(legacy_dir).jobs_dir.exists()


def test_unknown_fields_are_refused(hybrid: LegacyTree, commit: Any) -> None:
    submission = commit(create, "hvac_mep")
    job = Job(job_id="job_0000000000ac", submission=submission)
    commit(job_store().create, job)
    with pytest.raises(ValueError, match="a job file does not keep submission"):
        job_store().update(job, submission=None)


def test_expired_job_files_are_the_finished_ones_past_retention(hybrid: LegacyTree) -> None:
    copy_samples(hybrid.root)
    now = dt.datetime(2026, 12, 2, 17, 36, 0, tzinfo=dt.UTC)  # 7 days after the sample run, give or take
    expired = {path.stem for path in expired_job_files(older_than=dt.timedelta(days=7), now=now)}
    # Finished before 2026-11-25 17:36:00 (completion time, else creation time).
    assert expired == {"job_3cfa5257f6e9", "job_7eb45c1462f6"}
    everything = {path.stem for path in expired_job_files(older_than=dt.timedelta(0), now=now)}
    assert len(everything) == 13
    (hybrid.jobs_dir / "job_0000000000ee.json").write_text("")  # unreadable: logged, not listed
    assert expired_job_files(older_than=dt.timedelta(0), now=now) == sorted(hybrid.jobs_dir.glob("job_[!0]*.json"))
