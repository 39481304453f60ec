"""verify_migration, archive_json, cleanup_jobs and import_json --copy-uploads through call_command."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from audit.models import AuditLog
from jobs.models import Job
from submissions.models import LegacyUploadCopy, Submission, UploadedFile
from tests.import_helpers import import_tree, run, sample_tree

PASSED = "Verified: the tree and the database hold the same records."


# --- verify_migration ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_passes_after_import(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)
    out, _, status = run("verify_migration", str(root), workers=0)
    assert out == [
        "Tree: 13 submissions, 13 jobs (0 unreadable files, 0 orphan jobs not compared)",
        "Database: 13 submissions, 13 jobs",
        "Counts by module and status: match",
        PASSED,
    ]
    assert status == 0
    assert (AuditLog.objects.get(action="verify_migration").details or {})["ok"] is True


@pytest.mark.django_db
def test_verify_finds_missing_extra_and_different_records(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)
    Submission.objects.filter(submission_id="sub_41c47c6f69bc").delete()  # and its job, by cascade
    changed = Submission.objects.get(submission_id="sub_0ea218030a6b")
    changed.form_data = {**changed.form_data, "site_name": "Edited in the database"}
    changed.save()
    Job.objects.filter(job_id="job_3cfa5257f6e9").update(progress=60)
    out, err, status = run("verify_migration", str(root), workers=0)
    assert status == 1 and err == "the tree and the database differ"
    assert out == [
        "Tree: 13 submissions, 13 jobs (0 unreadable files, 0 orphan jobs not compared)",
        "Database: 12 submissions, 12 jobs",
        "Counts by module and status differ:",
        "  hvac_mep/completed: tree 4, database 3",
        "Only in the tree (submissions): 1: sub_41c47c6f69bc",
        "Only in the tree (jobs): 1: job_4d07171318e7",
        "Content differs (submissions): 1: sub_0ea218030a6b",
        "Content differs (jobs): 1: job_3cfa5257f6e9",
    ]

    out, _, status = run("verify_migration", str(root), workers=0, json=True)
    result = json.loads("\n".join(out))
    assert status == 1 and result["ok"] is False
    assert result["only_in_tree"] == {"submissions": ["sub_41c47c6f69bc"], "jobs": ["job_4d07171318e7"]}
    assert result["content_differs"] == {"submissions": ["sub_0ea218030a6b"], "jobs": ["job_3cfa5257f6e9"]}
    assert result["only_in_database"] == {"submissions": [], "jobs": []}
    assert result["counts"]["hvac_mep/completed"] == {"tree": 4, "database": 3}


@pytest.mark.django_db
def test_verify_reports_records_only_in_the_database(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)
    (root / "submissions" / "sub_e93f6658c4cb.json").unlink()
    (root / "jobs" / "job_77978d8133f7.json").unlink()
    out, _, status = run("verify_migration", str(root), workers=0)
    assert status == 1
    assert "Only in the database (submissions): 1: sub_e93f6658c4cb" in out
    assert "Only in the database (jobs): 1: job_77978d8133f7" in out


@pytest.mark.django_db
def test_verify_lists_unreadable_files_without_failing(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)
    (root / "submissions" / "sub_00000000dead.json").write_bytes(b"")
    out, _, status = run("verify_migration", str(root), workers=0)
    assert status == 0
    assert "Unreadable: submissions/sub_00000000dead.json: empty file" in out


# --- archive_json ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_archive_refuses_while_records_are_missing(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    _, err, status = run("archive_json", str(root), output=str(tmp_path / "archives"), workers=0)
    assert status == 1
    assert err == (
        "refusing to archive: verify_migration finds 26 records of the tree missing from the database or different "
        "there (run verify_migration for the list); --force archives anyway"
    )
    assert not (tmp_path / "archives").exists()
    assert len(list((root / "submissions").iterdir())) == 13


@pytest.mark.django_db
def test_archive_writes_checks_and_removes(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    archives = tmp_path / "archives"

    out, _, status = run("archive_json", str(root), output=str(archives), workers=0, dry_run=True)
    assert status == 0 and out[0].startswith(f"Dry run: would archive {len(files)} files")
    assert not archives.exists()

    out, _, status = run("archive_json", str(root), output=str(archives), workers=0)
    assert status == 0
    [archive] = list(archives.iterdir())
    assert archive.name.startswith("generated-") and archive.name.endswith(".tar.gz")
    assert out == [
        f"Archived {len(files)} files (0.0 MB) to {archive}; verified {len(files)}",
        f"Removed {len(files)} archived files from {root}.",
    ]
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == files
        member = tar.extractfile("submissions/sub_0ea218030a6b.json")
        assert member is not None and json.loads(member.read())["site_name"] == "Tower A"
    assert not [p for p in root.rglob("*") if p.is_file()]
    assert (root / "submissions").is_dir()  # the layout stays
    details = AuditLog.objects.get(action="archive_json").details or {}
    assert (details["files"], details["removed"], details["forced"]) == (len(files), len(files), False)


@pytest.mark.django_db
def test_archive_keep_and_force(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    out, err, status = run("archive_json", str(root), output=str(tmp_path / "a"), workers=0, force=True, keep=True)
    assert status == 0
    assert "WARNING: --force: archiving although verify_migration finds 26 records" in err
    assert out[-1] == "Files kept (--keep)."
    assert len(list((root / "submissions").iterdir())) == 13
    assert (AuditLog.objects.get(action="archive_json").details or {})["forced"] is True
    assert run("archive_json", str(root), output=str(root / "inside"), workers=0, force=True)[2] == 1


# --- cleanup_jobs ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cleanup_removes_finished_jobs_past_retention(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)
    # The samples were written "now" (2026-11-25); age the database rows and some files.
    old = timezone.now() - dt.timedelta(days=30)
    Job.objects.filter(job_id__in=["job_3cfa5257f6e9", "job_e59eaaec673e"]).update(created_at=old, completed_at=old)
    Job.objects.filter(job_id="job_7eb45c1462f6").update(created_at=old, completed_at=None, status="running")
    for job_id, state in (("job_1b616276793f", "done"), ("job_b2f4a6184254", "running")):
        path = root / "jobs" / f"{job_id}.json"
        document = json.loads(path.read_text())
        document.update(state=state, created_at=old.timestamp())
        document.pop("completed_at", None)
        path.write_text(json.dumps(document))
    (root / "jobs" / "job_00000000beef.json").write_text('{"job_id": "job_00000000beef", "sta')
    # What a crash leaves: a staged file (write on commit) and an atomic writer's temporary file, two
    # hours old; a staged file of a write in flight is seconds old and stays.
    abandoned = [
        root / "submissions" / ".sub_00000000dead.json.x1.staged",
        root / "submissions" / ".sub_00000000dead.json.x5.staged",  # a second failed commit of the same record
        root / "jobs" / ".job_00000000dead.json.x2.tmp",
    ]
    in_flight = root / "submissions" / ".sub_00000000f00d.json.x3.staged"
    # Staged for a record the database holds, and never renamed into place: maybe the only copy of
    # what was committed, so it is kept and reported.
    committed_id = Submission.objects.values_list("submission_id", flat=True).first()
    unpublished = root / "submissions" / f".{committed_id}.json.x4.staged"
    for path in [*abandoned, in_flight, unpublished]:
        path.write_text("{}")
    two_hours_ago = time.time() - 2 * 3600
    for path in [*abandoned, unpublished]:
        os.utime(path, (two_hours_ago, two_hours_ago))

    out, err, status = run("cleanup_jobs", older_than="7d", path=str(root), dry_run=True)
    assert status == 0
    assert out[0].startswith("Would remove finished jobs older than 7d (before ")
    assert out[0].endswith("): 2 from the database, 1 job files")
    assert out[1] == "Would remove 3 staged or temporary files left by a crash over an hour ago"
    assert all(path.exists() for path in abandoned)
    assert "Skipped jobs/job_00000000beef.json: truncated JSON" in err
    assert Job.objects.count() == 13 and (root / "jobs" / "job_1b616276793f.json").exists()

    out, err, status = run("cleanup_jobs", older_than="7d", path=str(root))
    assert out[0].startswith("Removed finished jobs older than 7d") and out[0].endswith(
        "2 from the database, 1 job files"
    )
    assert not Job.objects.filter(job_id__in=["job_3cfa5257f6e9", "job_e59eaaec673e"]).exists()
    assert Job.objects.filter(job_id="job_7eb45c1462f6").exists()  # unfinished jobs stay
    assert not (root / "jobs" / "job_1b616276793f.json").exists()
    assert (root / "jobs" / "job_b2f4a6184254.json").exists()
    assert (root / "jobs" / "job_00000000beef.json").exists()
    assert out[1] == "Removed 3 staged or temporary files left by a crash over an hour ago"
    assert not any(path.exists() for path in abandoned) and in_flight.exists() and unpublished.exists()
    assert f"Kept submissions/{unpublished.name}: staged over an hour ago for a record the database holds" in err
    details = AuditLog.objects.get(action="cleanup_jobs").details or {}
    assert (details["database"], details["abandoned"]) == (2, 3)


@pytest.mark.django_db
def test_cleanup_rejects_a_bad_duration() -> None:
    _, err, status = run("cleanup_jobs", older_than="a week")
    assert status == 1 and err == "'a week' is not a duration like 7d, 12h, 30m or 2w"


# --- import_json --copy-uploads ----------------------------------------------------------------


@pytest.mark.django_db
def test_copy_uploads_moves_local_files_and_signatures_into_storage(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)  # first without the option: rows keep the legacy URLs
    assert UploadedFile.objects.filter(cloudinary_url__startswith="/generated/uploads/").count() == 8
    (root / "uploads" / "pump_1af54a04.png").unlink()  # one upload lost
    out, _, status = import_tree(root, copy_uploads=True, report=str(tmp_path / "r.jsonl"))
    assert status == 0
    assert out[-2] == "Uploads: 5 copied into storage, 6 already there, 1 missing"
    for row in UploadedFile.objects.exclude(original_filename="pump_1af54a04.png"):
        assert not row.cloudinary_url.startswith(("/generated/", "embedded:")), row.cloudinary_url
    copy = LegacyUploadCopy.objects.get(legacy_ref="/generated/uploads/crack_d555b475.png")
    assert default_storage.open(copy.storage_name).read() == (root / "uploads" / "crack_d555b475.png").read_bytes()
    signature = UploadedFile.objects.filter(file_type="signature").first()
    assert signature is not None and signature.cloudinary_url.endswith(".png")
    stored = LegacyUploadCopy.objects.get(url=signature.cloudinary_url)
    assert default_storage.open(stored.storage_name).read().startswith(b"\x89PNG")
    missing = json.loads((tmp_path / "r.jsonl").read_text())
    assert missing["kind"] == "upload" and missing["reason"].startswith("upload missing from uploads/")
    # form_data keeps the original references; a second run has nothing left to copy.
    assert Submission.objects.get(submission_id="sub_0ea218030a6b").form_data["items"][0]["photos"][0]["url"] == (
        "/generated/uploads/ahu_photo_69a6c9b4.png"
    )
    out, _, _ = import_tree(root, copy_uploads=True)
    assert out[-2] == "Uploads: 0 copied into storage, 0 already there, 1 missing"


@pytest.mark.parametrize("command", ["import_json", "verify_migration", "archive_json", "export_json", "cleanup_jobs"])
def test_tree_commands_start_without_the_report_libraries(command: str, tmp_path: Path) -> None:
    """The tree commands skip Django's system checks: those import every view, and through the report
    views WeasyPrint and openpyxl (~0.8 s of start-up, most of a re-run of import_json)."""
    root = Path(__file__).resolve().parent.parent
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "injaaz.settings_test"
    arguments = {
        "import_json": [str(tmp_path / "missing")],
        "verify_migration": [str(tmp_path / "missing")],
        "archive_json": [str(tmp_path / "missing"), "--output", str(tmp_path)],
        "export_json": ["--since", "not-a-date"],
        "cleanup_jobs": ["--older-than", "soon"],
    }[command]
    finished = subprocess.run(
        [sys.executable, "-X", "importtime", "manage.py", command, *arguments],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 1, finished.stderr[-2000:]
    assert "CommandError" in finished.stderr
    imported = {
        line.rsplit("|", 1)[-1].strip() for line in finished.stderr.splitlines() if line.startswith("import time:")
    }
    assert "django.urls.resolvers" in imported  # the trace works
    assert {"weasyprint", "openpyxl", "jobs.views"} & imported == set()
