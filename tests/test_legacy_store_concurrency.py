"""50 submissions at once in ``dual`` phase, from 50 separate processes, on PostgreSQL."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from audit.models import AuditLog
from submissions.legacy.files import LegacyTree, read_json_file
from submissions.legacy.normalize import normalize_submission
from submissions.models import Submission
from tests.legacy_store_helpers import create, legacy_dir

__all__ = ["legacy_dir"]

WORKERS = 50
MODULES = ("hvac_mep", "civil", "cleaning")


def _submit(barrier: Any, index: int) -> None:
    # An exception here is printed by multiprocessing and makes the exit code 1.
    barrier.wait(timeout=120)  # all 50 processes write at the same moment
    create(MODULES[index % 3], **({"site_name": f"Site {index}"} if index % 3 == 0 else {}))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_processes_end_as_fifty_rows_and_fifty_equal_files(legacy_dir: Path, settings: Any) -> None:
    settings.INJAAZ_STORAGE_PHASE = "dual"
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WORKERS)
    connections.close_all()  # each child opens its own connection
    processes = [context.Process(target=_submit, args=(barrier, index)) for index in range(WORKERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [process.exitcode for process in processes] == [0] * WORKERS

    tree = LegacyTree(legacy_dir)
    rows = {row.submission_id: row for row in Submission.objects.all()}
    assert len(rows) == WORKERS
    assert AuditLog.objects.filter(action="submit_form").count() == WORKERS
    names = sorted(os.listdir(tree.submissions_dir))
    assert names == sorted(f"{submission_id}.json" for submission_id in rows)  # nothing staged or half-written
    for submission_id, row in rows.items():
        path = tree.submission_path(submission_id)
        document = read_json_file(path)
        assert document == row.form_data
        record = normalize_submission(document, stem=path.stem)
        assert (record.submission_id, record.module) == (submission_id, row.module)
    assert {row.module for row in rows.values()} == set(MODULES)
