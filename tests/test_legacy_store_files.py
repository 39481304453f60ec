"""The old app's real files read back through the router's fallback; bad files reported with path and reason."""

from __future__ import annotations

import ast
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from jobs.store import LegacyJobStore
from submissions.legacy.files import LegacyTree
from submissions.legacy.store import LegacyFileError, submission_files_check
from submissions.models import Submission
from submissions.router import submission_get
from tests.legacy_samples import GENERATED
from tests.legacy_store_helpers import copy_samples, create, hvac_document, legacy_dir, read

__all__ = ["legacy_dir"]

pytestmark = pytest.mark.django_db

# submission id -> (module, site name, visit date, created_at or None when the file has no time)
SAMPLES = {
    "sub_0ea218030a6b": ("hvac_mep", "Tower A", "2025-12-20", "2026-11-25T17:35:51.175909"),
    "sub_1b4805e47ea6": ("hvac_mep", "Bldg 4/5", "2025-12-20", "2026-11-25T17:36:21.305472"),
    "sub_32be184f309d": ("civil", "Marina Villa", "2025-12-20", None),
    "sub_3d9258c95ada": ("civil", "Villa 4/5", "2025-12-20", None),
    "sub_41c47c6f69bc": ("hvac_mep", "", None, "2026-11-25T17:36:24.343982"),
    "sub_538fccbd0ff8": ("hvac_mep", "Watch Site", "2025-12-20", "2026-11-25T17:36:40.761986"),
    "sub_65dd646bfce1": ("cleaning", "P", "2025-12-20", "2026-11-25T17:36:23.324670"),
    "sub_6c3e992dc68d": ("cleaning", "Creek Tower", "2025-12-20", "2026-11-25T17:36:04.970106"),
    "sub_806b975e3b93": ("civil", "Marina Villa", "2025-12-20", None),
    "sub_9ca773b2a152": ("civil", "Marina Villa", "2025-12-20", None),
    "sub_e537b09fbb35": ("hvac_mep", "Tower B", "2025-12-20", "2026-11-25T17:35:52.196617"),
    "sub_e93f6658c4cb": ("cleaning", "Creek Tower", "2025-12-20", "2026-11-25T17:36:05.982238"),
    "sub_f2a63d091aef": ("cleaning", "Creek Tower", "2025-12-20", "2026-11-25T17:36:07.001487"),
}

# job id -> (submission id, status, progress, has excel and pdf URLs, error starts with)
SAMPLE_JOBS = {
    "job_3cfa5257f6e9": ("sub_0ea218030a6b", "done", 100, True, ""),
    "job_88f1d2ac5c91": ("sub_1b4805e47ea6", "failed", 100, False, "[Errno 2]"),  # HVAC: "done" + results.error
    "job_1b616276793f": ("sub_32be184f309d", "done", 100, True, ""),  # Civil: results list
    "job_e59eaaec673e": ("sub_3d9258c95ada", "failed", 0, False, "[Errno 2]"),  # Civil failure, no completed_at
    "job_77978d8133f7": ("sub_e93f6658c4cb", "done", 100, True, ""),  # Cleaning: {excel, pdf}
    "job_e6f96d7f58f7": ("sub_65dd646bfce1", "failed", 0, False, "[Errno 2]"),  # ISO completed_at
}


@pytest.mark.parametrize("phase", ["json", "dual", "dual_read_db", "db_read_fallback"])
def test_every_sample_reads_back_through_the_fallback(phase: str, legacy_dir: Path, settings: Any) -> None:
    copy_samples(legacy_dir)
    settings.INJAAZ_STORAGE_PHASE = phase
    tree = LegacyTree(legacy_dir)
    assert sorted(path.stem for path in tree.submission_files()) == sorted(SAMPLES)
    for submission_id, (module, site_name, visit_date, created_at) in SAMPLES.items():
        submission = submission_get(submission_id)
        assert submission is not None, submission_id
        path = tree.submission_path(submission_id)
        assert submission.pk is None
        assert submission.submission_id == submission_id
        assert (submission.module, submission.site_name) == (module, site_name), submission_id
        assert submission.visit_date == (dt.date.fromisoformat(visit_date) if visit_date else None)
        expected_created = (
            dt.datetime.fromisoformat(created_at).replace(tzinfo=dt.UTC)
            if created_at
            else dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)  # no time in the file: its mtime
        )
        assert submission.created_at == expected_created, submission_id
        assert submission.form_data == read(GENERATED / "submissions" / f"{submission_id}.json")
    assert Submission.objects.count() == 0


def test_sample_files_in_the_db_phase_are_not_read(legacy_dir: Path, settings: Any) -> None:
    copy_samples(legacy_dir)
    settings.INJAAZ_STORAGE_PHASE = "db"
    assert submission_get("sub_0ea218030a6b") is None


@pytest.mark.parametrize("phase", ["json", "db"])
def test_sample_job_files_read_back_through_the_legacy_job_store(phase: str, legacy_dir: Path, settings: Any) -> None:
    copy_samples(legacy_dir)
    settings.INJAAZ_STORAGE_PHASE = "dual_read_db" if phase == "db" else "json"
    store = LegacyJobStore()
    for job_id, (submission_id, status, progress, has_reports, error) in SAMPLE_JOBS.items():
        job = store.get(job_id)
        assert job is not None and job.pk is None
        assert (job.status, job.progress) == (status, progress), job_id
        assert bool(job.excel_url and job.pdf_url) is has_reports
        assert job.error_message.startswith(error)
        assert job.submission.submission_id == submission_id  # resolved through the router's fallback
        assert [j.job_id for j in store.for_submission(submission_id)] == [job_id]
    assert store.get("job_000000000000") is None


BAD_FILES = {
    "empty": (b"", "empty file"),
    "whitespace": (b"  \n", "file holds only whitespace"),
    "truncated": (b'{\n  "submission_id": "sub_0000000000aa",\n  "site_na', "truncated JSON"),
    "not utf-8": (b'{"submission_id": "sub_0000000000aa", "site_name": "caf\xe9"}', "not valid UTF-8"),
    "a list": (b'[{"submission_id": "sub_0000000000aa"}]', "JSON is a list, not an object"),
    "id mismatch": (
        json.dumps({**hvac_document(), "submission_id": "sub_0000000000bb"}).encode(),
        "id 'sub_0000000000bb' inside does not match the file name 'sub_0000000000aa'",
    ),
    "unknown shape": (b'{"submission_id": "sub_0000000000aa", "colour": "red"}', "unknown submission shape"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
@pytest.mark.parametrize("phase", ["json", "dual", "dual_read_db", "db_read_fallback"])
def test_a_bad_file_is_reported_with_path_and_reason(phase: str, kind: str, legacy_dir: Path, settings: Any) -> None:
    settings.INJAAZ_STORAGE_PHASE = phase
    content, reason = BAD_FILES[kind]
    tree = LegacyTree(legacy_dir)
    tree.submissions_dir.mkdir()
    path = tree.submission_path("sub_0000000000aa")
    path.write_bytes(content)

    with pytest.raises(LegacyFileError) as caught:
        submission_get("sub_0000000000aa")
    assert caught.value.path == path
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"{path}: ")


def test_a_bad_file_is_served_from_the_database_when_the_row_exists_and_still_reported(
    legacy_dir: Path, settings: Any, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.INJAAZ_STORAGE_PHASE = "dual"
    with django_capture_on_commit_callbacks(execute=True):
        submission = create("hvac_mep")
    path = LegacyTree(legacy_dir).submission_path(submission.submission_id)
    path.write_bytes(path.read_bytes()[:40])  # cut off, as the old app's in-place writes could leave it

    with caplog.at_level(logging.ERROR, logger="submissions.router"):
        found = submission_get(submission.submission_id)
    assert found is not None and found.pk == submission.pk
    assert found.form_data == submission.form_data
    assert f"{path}: truncated JSON" in caplog.text


def test_checking_the_tree_lists_every_bad_file_and_counts_the_good_ones(legacy_dir: Path) -> None:
    copy_samples(legacy_dir)
    tree = LegacyTree(legacy_dir)
    bad_names = {}
    for index, (kind, (content, reason)) in enumerate(BAD_FILES.items()):
        name = f"sub_0000000000{index:02x}" if kind != "id mismatch" else "sub_0000000000aa"
        tree.submission_path(name).write_bytes(content)
        bad_names[name] = reason
    # Hidden staged/temporary files are Injaaz's own, not records: never reported.
    (tree.submissions_dir / ".sub_0000000000ff.json.1234abcd.staged").write_bytes(b"")

    good, problems = submission_files_check()
    assert good == len(SAMPLES)
    assert {problem.path.stem: problem.reason for problem in problems}.keys() == bad_names.keys()
    for problem in problems:
        assert problem.path.parent == tree.submissions_dir
        assert bad_names[problem.path.stem] in problem.reason


def test_only_the_legacy_store_reads_the_legacy_dir_setting() -> None:
    """``submissions.legacy.store.legacy_dir()`` is the one accessor; app code asks it."""
    from tests.test_import_cycles import ROOT, project_modules

    readers = set()
    for name, path in project_modules(ROOT).items():
        if name.startswith(("tests.", "bench.", "injaaz.settings")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "INJAAZ_LEGACY_DIR":
                readers.add(name)
            elif isinstance(node, ast.Call) and any(
                isinstance(arg, ast.Constant) and arg.value == "INJAAZ_LEGACY_DIR" for arg in node.args
            ):
                readers.add(name)  # getattr(settings, "INJAAZ_LEGACY_DIR") and the like
    assert readers == {"submissions.legacy.store"}
