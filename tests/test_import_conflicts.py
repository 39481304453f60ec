"""A file whose content changed since the import is a conflict, not overwritten, unless --update."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from jobs.models import Job
from submissions.models import ImportLedgerEntry, Submission, UploadedFile
from submissions.services import submission_create
from tests.import_helpers import import_tree, sample_tree, snapshot

HVAC = "sub_0ea218030a6b"


def edit(root: Path, submission_id: str, **changes: object) -> dict:
    path = root / "submissions" / f"{submission_id}.json"
    document = json.loads(path.read_text())
    document.update(changes)
    path.write_text(json.dumps(document, indent=2))
    return document


@pytest.mark.django_db
def test_changed_file_is_a_conflict_and_keeps_the_database_version(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)
    before = snapshot()
    edit(root, HVAC, site_name="Tower A (renamed)")
    report = tmp_path / "report.jsonl"
    out, err, status = import_tree(root, report=str(report))
    assert out == [
        "Submissions: 13 total, 0 imported, 12 already present, 1 conflicts, 0 failed",
        "Jobs: 13 total, 0 imported, 13 already present, 0 conflicts, 0 failed, 0 orphans",
        "By module: civil 4, cleaning 4, hvac_mep 4",
    ]
    assert (status, err) == (1, f"1 files were not imported (see {report})")
    assert json.loads(report.read_text()) == {
        "path": str(root / "submissions" / f"{HVAC}.json"),
        "reason": "conflict: the file changed since it was imported and differs from the database's submission "
        f"{HVAC}; not overwritten (use --update)",
        "kind": "conflict",
    }
    assert snapshot() == before


@pytest.mark.django_db
def test_update_overwrites_the_document_and_its_file_rows(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)
    status_before = Submission.objects.get(submission_id=HVAC).status
    photo = {"saved": None, "path": None, "url": "https://res.cloudinary.com/injaaz/image/upload/v1/uploads/new.jpg"}
    document = edit(
        root,
        HVAC,
        site_name="Tower A (renamed)",
        items=[{"asset": "HVAC", "system": "Extract Fans", "description": "Jet Air Fan", "photos": [photo]}],
    )
    out, err, status = import_tree(root, update=True)
    assert status == 0, err
    assert out[0] == "Submissions: 13 total, 0 imported, 12 already present, 1 updated, 0 conflicts, 0 failed"
    row = Submission.objects.get(submission_id=HVAC)
    assert (row.site_name, row.form_data, row.status) == ("Tower A (renamed)", document, status_before)
    assert list(UploadedFile.objects.filter(submission=row).values_list("cloudinary_url", "cloudinary_public_id")) == [
        (photo["url"], "uploads/new")
    ]
    ledger = ImportLedgerEntry.objects.get(path=f"submissions/{HVAC}.json")
    assert ledger.outcome == "updated"
    # And now it is simply present.
    out, _, status = import_tree(root)
    assert (out[0], status) == ("Submissions: 13 total, 0 imported, 13 already present, 0 conflicts, 0 failed", 0)


@pytest.mark.django_db
def test_reformatted_file_with_the_same_content_is_present_not_a_conflict(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)
    path = root / "submissions" / f"{HVAC}.json"
    path.write_text(json.dumps(json.loads(path.read_text()), indent=4, sort_keys=True, ensure_ascii=False))
    out, _, status = import_tree(root)
    assert (out[0], status) == ("Submissions: 13 total, 0 imported, 13 already present, 0 conflicts, 0 failed", 0)
    assert ImportLedgerEntry.objects.get(path=f"submissions/{HVAC}.json").content_hash != ""


@pytest.mark.django_db
def test_record_already_written_by_dual_write_is_present(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    document = json.loads((root / "submissions" / f"{HVAC}.json").read_text())
    submission_create(module="hvac_mep", form_data=document, submission_id=HVAC)
    out, _, status = import_tree(root)
    assert out[0] == "Submissions: 13 total, 12 imported, 1 already present, 0 conflicts, 0 failed"
    assert status == 0
    # Its job still finds it.
    assert Job.objects.get(job_id="job_3cfa5257f6e9").submission.submission_id == HVAC


@pytest.mark.django_db
def test_different_record_under_the_same_id_is_a_conflict(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    submission_create(module="hvac_mep", form_data={"submission_id": HVAC, "items": []}, submission_id=HVAC)
    out, _, status = import_tree(root, report=str(tmp_path / "r.jsonl"))
    assert out[0] == "Submissions: 13 total, 12 imported, 0 already present, 1 conflicts, 0 failed"
    assert status == 1
    reason = json.loads((tmp_path / "r.jsonl").read_text())["reason"]
    assert (
        reason == f"conflict: the database already holds a different submission {HVAC}; not overwritten (use --update)"
    )
    assert Submission.objects.get(submission_id=HVAC).form_data == {"submission_id": HVAC, "items": []}


@pytest.mark.django_db
def test_changed_job_file_is_a_conflict_unless_update(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)
    path = root / "jobs" / "job_e59eaaec673e.json"
    job = json.loads(path.read_text())
    job.update(state="done", progress=100, results=[{"filename": "a.xlsx", "url": "http://x/a.xlsx"}])
    path.write_text(json.dumps(job))
    out, _, status = import_tree(root)
    assert out[1] == "Jobs: 13 total, 0 imported, 12 already present, 1 conflicts, 0 failed, 0 orphans"
    assert status == 1
    assert Job.objects.get(job_id="job_e59eaaec673e").status == "failed"
    out, _, status = import_tree(root, update=True)
    assert out[1] == "Jobs: 13 total, 0 imported, 12 already present, 1 updated, 0 conflicts, 0 failed, 0 orphans"
    assert status == 0
    row = Job.objects.get(job_id="job_e59eaaec673e")
    assert (row.status, row.progress, row.excel_url) == ("done", 100, "http://x/a.xlsx")


@pytest.mark.django_db
def test_rows_the_database_refuses_are_reported_and_the_rest_imported(tmp_path: Path, is_postgres: bool) -> None:
    root = tmp_path / "generated"
    (root / "submissions").mkdir(parents=True)
    good = {"submission_id": "sub_00000000a001", "site_name": "ok", "items": []}
    (root / "submissions" / "sub_00000000a001.json").write_text(json.dumps(good))
    nan = '{"submission_id": "sub_00000000a002", "site_name": "x", "items": [], "ratio": NaN}'
    (root / "submissions" / "sub_00000000a002.json").write_text(nan)
    nul = '{"submission_id": "sub_00000000a003", "site_name": "a\\u0000b", "items": []}'
    (root / "submissions" / "sub_00000000a003.json").write_text(nul)
    report = tmp_path / "r.jsonl"
    out, _, status = import_tree(root, report=str(report))
    assert Submission.objects.filter(submission_id="sub_00000000a001").exists()
    if is_postgres:
        # jsonb refuses NaN and NUL characters: those files fail, with PostgreSQL's reason.
        assert out[0] == "Submissions: 3 total, 1 imported, 0 already present, 0 conflicts, 2 failed"
        assert status == 1
        reasons = {Path(line["path"]).stem: line["reason"] for line in map(json.loads, report.read_text().splitlines())}
        assert reasons["sub_00000000a002"].startswith("the database refused it: invalid input syntax for type json")
        assert "0x00" in reasons["sub_00000000a003"]
    else:
        # SQLite stores the NUL character; NaN is not JSON anywhere.
        assert out[0] == "Submissions: 3 total, 2 imported, 0 already present, 0 conflicts, 1 failed"
        reason = json.loads(report.read_text())["reason"]
        assert reason == "the database refused it: not valid JSON (Out of range float values are not JSON compliant)"


# --- The quick check: size and settled modification time ------------------------------------------


def rewrite_keeping_size_and_time(path: Path, old: bytes, new: bytes) -> None:
    """Change the bytes but not the size, then put the modification time back (as ``touch -r`` could)."""
    assert len(old) == len(new)
    stat = path.stat()
    path.write_bytes(path.read_bytes().replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.mark.django_db
def test_rerun_does_not_read_files_whose_size_and_time_match_the_ledger(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)  # copied with their times: older than the settling delay
    import_tree(root)
    path = root / "submissions" / f"{HVAC}.json"
    ledger = ImportLedgerEntry.objects.get(path=f"submissions/{HVAC}.json")
    assert (ledger.size, ledger.mtime_ns) == (path.stat().st_size, path.stat().st_mtime_ns)
    assert not ImportLedgerEntry.objects.filter(mtime_ns__isnull=True).exists()
    rewrite_keeping_size_and_time(path, b'"site_name": "Tower A"', b'"site_name": "Tower B"')
    present = [
        "Submissions: 13 total, 0 imported, 13 already present, 0 conflicts, 0 failed",
        "Jobs: 13 total, 0 imported, 13 already present, 0 conflicts, 0 failed, 0 orphans",
        "By module: civil 4, cleaning 4, hvac_mep 5",
        "Every file is in the database.",
    ]
    # The file is not read: like rsync's quick check, a change that keeps both size and time goes unseen...
    assert import_tree(root) == (present, "", 0)
    assert import_tree(root, dry_run=True)[0][1:4] == present[:3]
    # ...until --rehash reads every file.
    out, _, status = import_tree(root, rehash=True)
    assert out[0] == "Submissions: 13 total, 0 imported, 12 already present, 1 conflicts, 0 failed"
    assert status == 1


@pytest.mark.django_db
def test_a_file_with_a_new_time_is_read_again_and_its_time_kept(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    import_tree(root)
    path = root / "submissions" / f"{HVAC}.json"
    hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(path, ns=(hour_ago, hour_ago))  # touched (or copied without its times): same bytes
    out, _, status = import_tree(root)
    assert (out[0], status) == ("Submissions: 13 total, 0 imported, 13 already present, 0 conflicts, 0 failed", 0)
    assert ImportLedgerEntry.objects.get(path=f"submissions/{HVAC}.json").mtime_ns == hour_ago
    # A change that keeps the size but not the time is read, and is a conflict.
    rewrite_keeping_size_and_time(path, b'"site_name": "Tower A"', b'"site_name": "Tower B"')
    os.utime(path, ns=(hour_ago + 10**9, hour_ago + 10**9))
    out, _, status = import_tree(root)
    assert (out[0], status) == ("Submissions: 13 total, 0 imported, 12 already present, 1 conflicts, 0 failed", 1)
    # --update takes it, and the ledger keeps the new time: the next run does not read it.
    out, _, status = import_tree(root, update=True)
    assert (out[0], status) == (
        "Submissions: 13 total, 0 imported, 12 already present, 1 updated, 0 conflicts, 0 failed",
        0,
    )
    assert ImportLedgerEntry.objects.get(path=f"submissions/{HVAC}.json").mtime_ns == hour_ago + 10**9


@pytest.mark.django_db
def test_a_file_written_just_before_it_is_read_keeps_no_time(tmp_path: Path) -> None:
    root = sample_tree(tmp_path)
    path = root / "submissions" / f"{HVAC}.json"
    path.write_bytes(path.read_bytes())  # its time is now: a change in the same clock tick would keep it
    import_tree(root)
    assert ImportLedgerEntry.objects.get(path=f"submissions/{HVAC}.json").mtime_ns is None
    # So the next run reads it, and sees a change that kept both size and time.
    rewrite_keeping_size_and_time(path, b'"site_name": "Tower A"', b'"site_name": "Tower B"')
    out, _, status = import_tree(root)
    assert (out[0], status) == ("Submissions: 13 total, 0 imported, 12 already present, 1 conflicts, 0 failed", 1)
