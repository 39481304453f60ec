"""PostgreSQL: the worker processes write batches of new submissions themselves (``importer.direct``).

Outside a caller's transaction each worker writes the batch it parsed on its own connection; the
database must end exactly as when the importer writes everything itself, with the same summary,
the same refusals and the same merges.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from jobs.models import Job
from submissions.importer.direct import STAGED_JOBS, STAGED_JOBS_TABLE, close_worker_connection
from submissions.importer.outcomes import FileKind
from submissions.importer.pipeline import _connection_params
from submissions.importer.pool import Chunk
from submissions.importer.worker import WorkerConfig, Write, process_chunk
from submissions.models import ImportLedgerEntry, Submission, UploadedFile
from tests.import_helpers import import_tree, sample_tree, snapshot
from tests.legacy_corpus import add_bad_files, make_corpus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SIZE_CAP = 64 * 1024


def wipe() -> None:
    UploadedFile.objects.all().delete()
    Job.objects.all().delete()
    Submission.objects.all().delete()
    ImportLedgerEntry.objects.all().delete()


def refused_by_jsonb(root: Path) -> None:
    """Two documents Python reads but ``jsonb`` refuses, in the middle of the tree."""
    nan = '{"submission_id": "sub_0000000fa002", "site_name": "x", "items": [], "ratio": NaN}'
    (root / "submissions" / "sub_0000000fa002.json").write_text(nan)
    nul = '{"submission_id": "sub_0000000fa003", "site_name": "a\\u0000b", "items": []}'
    (root / "submissions" / "sub_0000000fa003.json").write_text(nul)
    job = '{"job_id": "job_0000000fa004", "state": "failed", "progress": 0, "results": {"error": "a\\u0000b"}}'
    (root / "jobs" / "job_0000000fa004.json").write_text(job)  # text columns refuse NUL too


def reasons(report: Path) -> dict[str, str]:
    return {Path(line["path"]).stem: line["reason"] for line in map(json.loads, report.read_text().splitlines())}


def test_workers_writing_their_batches_give_the_same_database_as_the_importer_alone(tmp_path: Path) -> None:
    made = make_corpus(tmp_path / "generated", 300, seed=11)
    add_bad_files(made.root, size_cap=SIZE_CAP)
    refused_by_jsonb(made.root)

    alone_report, workers_report = tmp_path / "alone.jsonl", tmp_path / "workers.jsonl"
    alone = import_tree(made.root, workers=0, batch_size=40, max_file_size=SIZE_CAP, report=str(alone_report))
    expected = snapshot()
    wipe()
    written = import_tree(made.root, workers=2, batch_size=40, max_file_size=SIZE_CAP, report=str(workers_report))

    assert (written[0], written[2]) == (alone[0], alone[2])  # summary and exit status (the report paths differ)
    assert written[0][0] == "Submissions: 311 total, 300 imported, 0 already present, 0 conflicts, 11 failed"
    assert snapshot() == expected
    assert reasons(workers_report) == reasons(alone_report)
    assert reasons(workers_report)["sub_0000000fa002"].startswith("the database refused it: invalid input syntax")
    assert "0x00" in reasons(workers_report)["job_0000000fa004"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [STAGED_JOBS])
        assert cursor.fetchone() == (None,)  # the run's staging table is gone


def test_a_batch_with_an_id_already_in_the_database_goes_back_to_the_importer(tmp_path: Path) -> None:
    made = make_corpus(tmp_path / "generated", 120, seed=5)
    taken = sorted(made.submissions)[50]
    Submission.objects.create(submission_id=taken, module="civil", form_data={"saved": "by the app meanwhile"})

    out, _, status = import_tree(made.root, workers=2, batch_size=30)

    assert out[0] == "Submissions: 120 total, 119 imported, 0 already present, 1 conflicts, 0 failed"
    assert status == 1
    assert Submission.objects.get(submission_id=taken).form_data == {"saved": "by the app meanwhile"}
    assert Submission.objects.count() == 120
    neighbours = sorted(made.submissions)[30:60]  # the same batch, merged by the importer
    assert Submission.objects.filter(submission_id__in=neighbours).count() == 30


def test_a_worker_writes_a_parsed_batch_on_its_own_connection(tmp_path: Path) -> None:
    made = make_corpus(tmp_path / "generated", 12, seed=2)
    with connection.cursor() as cursor:
        cursor.execute(STAGED_JOBS_TABLE)
    try:
        config = WorkerConfig(root=str(made.root), size_cap=SIZE_CAP, copy_format=True, database=_connection_params())
        entries: Chunk = [(f"submissions/{sid}.json", None) for sid in sorted(made.submissions)]

        result = process_chunk(FileKind.SUBMISSION, entries, config, Write(upsert_jobs=False))

        assert result.parsed == []  # nothing left for the importer
        assert result.written == []  # nothing to report: only counts come back
        imported = {module: n for (kind, outcome, module), n in result.tally.items() if kind == "submission"}
        assert imported == dict(Counter(Submission.objects.values_list("module", flat=True)))
        assert sum(imported.values()) == len(entries)
        assert set(Submission.objects.values_list("submission_id", flat=True)) == set(made.submissions)
        ledgered = set(ImportLedgerEntry.objects.values_list("path", flat=True))
        assert ledgered == {path for path, _ in entries}

        again = process_chunk(FileKind.SUBMISSION, entries, config, Write(upsert_jobs=False))
        assert not again.tally and len(again.parsed) == len(entries)  # ids exist: the importer merges
    finally:
        close_worker_connection()  # this test played the worker in-process
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGED_JOBS}")


def test_a_changed_job_file_staged_by_a_worker_is_updated_with_update(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    assert import_tree(root, workers=2)[2] == 0
    path = root / "jobs" / "job_e59eaaec673e.json"
    job = json.loads(path.read_text())
    job.update(state="done", progress=100, results=[{"filename": "a.xlsx", "url": "http://x/a.xlsx"}])
    path.write_text(json.dumps(job))

    out, _, status = import_tree(root, workers=2)
    assert out[1] == "Jobs: 13 total, 0 imported, 12 already present, 1 conflicts, 0 failed, 0 orphans"
    assert status == 1
    out, _, status = import_tree(root, workers=2, update=True)
    assert out[1] == "Jobs: 13 total, 0 imported, 12 already present, 1 updated, 0 conflicts, 0 failed, 0 orphans"
    assert status == 0
    row = Job.objects.get(job_id="job_e59eaaec673e")
    assert (row.status, row.progress, row.excel_url) == ("done", 100, "http://x/a.xlsx")
