"""import → export → verify is identical; export alone writes what the old app (and the importer) reads."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from audit.models import AuditLog
from jobs.models import Job
from submissions.importer.canonical import content_hash
from submissions.legacy.files import read_json_file
from submissions.legacy.normalize import normalize_job, normalize_submission
from submissions.models import ImportLedgerEntry, Submission
from submissions.services import submission_create
from tests.import_helpers import import_tree, run, snapshot
from tests.legacy_corpus import make_corpus
from tests.legacy_samples import GENERATED


@pytest.mark.django_db
def test_samples_round_trip(tmp_path: Path) -> None:
    import_tree(GENERATED)
    out_dir = tmp_path / "exported"
    out, _, status = run("export_json", output=str(out_dir))
    assert out == [f"Exported to {out_dir}: submissions 13 written, 0 unchanged; jobs 13 written, 0 unchanged"]
    assert status == 0

    verified, _, status = run("verify_migration", str(out_dir), workers=0)
    assert status == 0
    assert verified[-1] == "Verified: the tree and the database hold the same records."

    for original in sorted((GENERATED / "submissions").glob("*.json")):
        exported = out_dir / "submissions" / original.name
        assert content_hash(read_json_file(exported)) == content_hash(read_json_file(original)), original.name
        # The old app's own shape: one line for Civil /submit, indent 2 otherwise; ASCII only.
        raw = exported.read_bytes()
        assert raw.isascii()
        assert (b"\n" in raw) == ("fields" not in read_json_file(original)), original.name
        record = normalize_submission(read_json_file(exported), stem=exported.stem)
        assert record.submission_id == original.stem
    for original in sorted((GENERATED / "jobs").glob("*.json")):
        before = normalize_job(read_json_file(original), stem=original.stem)
        after = normalize_job(read_json_file(out_dir / "jobs" / original.name), stem=original.stem)
        fields = ("submission_id", "module", "status", "progress", "excel_url", "pdf_url", "error_message")
        assert [getattr(after, name) for name in fields] == [getattr(before, name) for name in fields], original.name
        assert (after.created_at, after.completed_at) == (before.created_at, before.completed_at), original.name

    # Exporting again writes nothing; importing the export into an empty database gives the same rows.
    out, _, _ = run("export_json", output=str(out_dir))
    assert out == [f"Exported to {out_dir}: submissions 0 written, 13 unchanged; jobs 0 written, 13 unchanged"]
    first = snapshot()
    for model in (Job, Submission, ImportLedgerEntry):
        model.objects.all().delete()
    import_tree(out_dir, update=True)
    second = snapshot()
    assert second["submissions"] == first["submissions"]
    assert second["jobs"] == first["jobs"]
    # Sizes of local uploads come from uploads/, which an export does not write.
    assert [row[:5] + row[6:] for row in second["files"]] == [row[:5] + row[6:] for row in first["files"]]
    assert AuditLog.objects.filter(action="export_json").count() == 2


@pytest.mark.django_db
def test_corpus_round_trip(tmp_path: Path) -> None:
    made = make_corpus(tmp_path / "generated", 80, seed=13)
    import_tree(made.root)
    out_dir = tmp_path / "exported"
    run("export_json", output=str(out_dir))
    out, err, status = run("verify_migration", str(out_dir), workers=0)
    assert status == 0, "\n".join(out) + err


@pytest.mark.django_db
def test_export_since_writes_only_newer_records(tmp_path: Path) -> None:
    import_tree(GENERATED)
    cutover = dt.datetime.now(dt.UTC)
    Submission.objects.update(updated_at=cutover - dt.timedelta(days=1))
    new = submission_create(
        module="civil",
        form_data={"id": "sub_00000000c0de", "project_name": "After cutover", "work_items": []},
        submission_id="sub_00000000c0de",
    )
    out_dir = tmp_path / "rollback"
    out, _, status = run("export_json", since=cutover.isoformat(), output=str(out_dir))
    assert status == 0
    new_jobs = list(Job.objects.filter(submission=new).values_list("job_id", flat=True))  # its report job, if any
    assert out == [
        f"Exported to {out_dir}: submissions 1 written, 0 unchanged; jobs {len(new_jobs)} written, 0 unchanged"
    ]
    assert [path.name for path in (out_dir / "submissions").iterdir()] == [f"{new.submission_id}.json"]
    for job_id in new_jobs:
        assert (
            json.loads((out_dir / "jobs" / f"{job_id}.json").read_text())["meta"]["submission_id"] == new.submission_id
        )
    assert json.loads((out_dir / "submissions" / "sub_00000000c0de.json").read_text()) == new.form_data


@pytest.mark.django_db
def test_export_leaves_the_old_apps_equivalent_job_files_alone(tmp_path: Path) -> None:
    from tests.import_helpers import sample_tree

    root = sample_tree(tmp_path)
    import_tree(root)
    before = {path.name: path.read_bytes() for path in (root / "jobs").iterdir()}
    out, _, status = run("export_json", output=str(root))
    assert out == [f"Exported to {root}: submissions 0 written, 13 unchanged; jobs 0 written, 13 unchanged"]
    assert {path.name: path.read_bytes() for path in (root / "jobs").iterdir()} == before
    assert status == 0
    out, _, _ = run("export_json", output=str(root), dry_run=True, since="2020-01-01")
    assert out == [f"Exported to {root}: submissions 0 would write, 13 unchanged; jobs 0 would write, 13 unchanged"]
    assert run("export_json", since="yesterday")[2] == 1
