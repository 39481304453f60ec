"""Each storage phase: what it writes, where it reads, its fallback, and each step back by configuration alone."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from audit.models import AuditLog
from jobs.store import DatabaseJobStore, LegacyJobStore, job_store
from submissions.legacy.files import LegacyTree
from submissions.models import Submission
from submissions.router import PHASES, phase_plan, submission_get
from tests.legacy_store_helpers import civil_document, create, hvac_document, legacy_dir, read, visible_files

__all__ = ["legacy_dir"]

pytestmark = pytest.mark.django_db

WRITES = {  # phase -> (database row, legacy file)
    "json": (False, True),
    "dual": (True, True),
    "dual_read_db": (True, True),
    "db_read_fallback": (True, False),
    "db": (True, False),
}


@pytest.fixture
def commit(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run a write and then its on-commit work (publishing files), as a real commit would."""

    def run(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


def test_the_phase_table_matches_the_plan() -> None:
    assert list(PHASES) == ["json", "dual", "dual_read_db", "db_read_fallback", "db"]
    assert {name: (plan.writes_database, plan.writes_files) for name, plan in PHASES.items()} == WRITES
    assert {name: plan.reads for name, plan in PHASES.items()} == {
        "json": ("files",),
        "dual": ("files", "database"),
        "dual_read_db": ("database", "files"),
        "db_read_fallback": ("database", "files"),
        "db": ("database",),
    }


@pytest.mark.parametrize("module", ["hvac_mep", "civil", "cleaning"])
@pytest.mark.parametrize("phase", list(WRITES))
def test_write_targets(phase: str, module: str, legacy_dir: Path, settings: Any, commit: Any, inspector: Any) -> None:
    settings.INJAAZ_STORAGE_PHASE = phase
    submission = commit(create, module, actor=inspector)
    wants_row, wants_file = WRITES[phase]
    path = LegacyTree(legacy_dir).submission_path(submission.submission_id)

    assert Submission.objects.filter(submission_id=submission.submission_id).exists() is wants_row
    assert path.exists() is wants_file
    assert AuditLog.objects.filter(action="submit_form").count() == 1
    if wants_file:
        # form_data IS the file: same content, id under the module's key, no stray files.
        assert read(path) == submission.form_data
        id_key = "id" if module == "civil" else "submission_id"
        assert submission.form_data[id_key] == submission.submission_id
        assert visible_files(path.parent) == [path.name]
        raw = path.read_bytes()
        assert raw.isascii() and raw.startswith(b'{\n  "')  # ensure_ascii, indent 2: as the old app wrote
    if wants_row:
        assert Submission.objects.get().form_data == submission.form_data
    else:
        assert submission.pk is None


def _both_sides_differ(legacy_dir: Path, settings: Any, commit: Any) -> Submission:
    """A record in the database and in a file, with a different site name on each side."""
    settings.INJAAZ_STORAGE_PHASE = "dual"
    submission = commit(create, "hvac_mep")
    path = LegacyTree(legacy_dir).submission_path(submission.submission_id)
    document = read(path)
    document["site_name"] = "From the file"
    path.write_text(json.dumps(document, indent=2))
    return submission


@pytest.mark.parametrize(
    ("phase", "source"),
    [
        ("json", "file"),
        ("dual", "file"),
        ("dual_read_db", "database"),
        ("db_read_fallback", "database"),
        ("db", "database"),
    ],
)
def test_read_source(phase: str, source: str, legacy_dir: Path, settings: Any, commit: Any) -> None:
    submission = _both_sides_differ(legacy_dir, settings, commit)
    settings.INJAAZ_STORAGE_PHASE = phase
    found = submission_get(submission.submission_id)
    assert found is not None
    assert found.form_data["site_name"] == ("From the file" if source == "file" else "Tower A")
    if phase == "json":
        assert found.pk is None  # json phase: no database row behind it
    else:
        assert found.pk == submission.pk  # dual: the file's document, the row's identity


@pytest.mark.parametrize(
    ("phase", "found"),
    [("json", True), ("dual", True), ("dual_read_db", True), ("db_read_fallback", True), ("db", False)],
)
def test_fallback_to_files_for_records_not_yet_migrated(
    phase: str, found: bool, legacy_dir: Path, settings: Any
) -> None:
    settings.INJAAZ_STORAGE_PHASE = phase
    legacy = LegacyTree(legacy_dir)
    legacy.submissions_dir.mkdir()
    document = {"submission_id": "sub_00000000beef", **hvac_document(site_name="Old app")}
    legacy.submission_path("sub_00000000beef").write_text(json.dumps(document, indent=2))

    submission = submission_get("sub_00000000beef")
    if not found:
        assert submission is None
        return
    assert submission is not None and submission.pk is None
    assert (submission.module, submission.site_name, submission.visit_date) == (
        "hvac_mep",
        "Old app",
        dt.date(2025, 12, 20),
    )
    assert submission.created_at == dt.datetime(2026, 11, 25, 17, 35, 51, 175909, tzinfo=dt.UTC)
    assert submission.form_data == document
    assert Submission.objects.count() == 0  # reading never writes


@pytest.mark.parametrize(
    ("phase", "found"),
    [("json", False), ("dual", True), ("dual_read_db", True), ("db_read_fallback", True), ("db", True)],
)
def test_records_only_in_the_database(phase: str, found: bool, legacy_dir: Path, settings: Any, commit: Any) -> None:
    settings.INJAAZ_STORAGE_PHASE = "db"
    submission = commit(create, "civil")
    settings.INJAAZ_STORAGE_PHASE = phase
    result = submission_get(submission.submission_id)
    assert (result is not None) is found
    if found:
        assert result is not None and result.pk == submission.pk


def test_stepping_back_phase_by_phase_by_configuration_alone(legacy_dir: Path, settings: Any, commit: Any) -> None:
    """Forward through the plan, then back one step at a time: every record stays readable."""
    created: dict[str, Submission] = {}
    for phase in ("json", "dual", "dual_read_db", "db_read_fallback", "db"):
        settings.INJAAZ_STORAGE_PHASE = phase
        created[phase] = commit(create, "cleaning", project_name=f"made in {phase}")

    def readable(phase: str) -> dict[str, bool]:
        settings.INJAAZ_STORAGE_PHASE = phase
        return {made_in: submission_get(s.submission_id) is not None for made_in, s in created.items()}

    # The json-phase record has no row until the backfill imports it; the phase-4/5 records
    # have no file until export_json writes one (docs/LEGACY_STORE.md, "Stepping back").
    assert readable("db") == {"json": False, "dual": True, "dual_read_db": True, "db_read_fallback": True, "db": True}
    assert readable("db_read_fallback") == dict.fromkeys(created, True)
    assert readable("dual_read_db") == dict.fromkeys(created, True)
    assert readable("dual") == dict.fromkeys(created, True)
    assert readable("json") == {
        "json": True,
        "dual": True,
        "dual_read_db": True,
        "db_read_fallback": False,
        "db": False,
    }

    # Writes follow the phase of the moment: a step back to dual writes files again.
    settings.INJAAZ_STORAGE_PHASE = "dual"
    again = commit(create, "hvac_mep")
    assert LegacyTree(legacy_dir).submission_path(again.submission_id).exists()
    assert Submission.objects.filter(submission_id=again.submission_id).exists()


@pytest.mark.parametrize(
    ("phase", "job_setting", "store"),
    [
        ("json", "db", LegacyJobStore),
        ("dual", "db", DatabaseJobStore),
        ("db", "db", DatabaseJobStore),
        ("db", "json", LegacyJobStore),
        ("dual_read_db", "json", LegacyJobStore),
    ],
)
def test_job_store_follows_the_configuration_at_call_time(
    phase: str, job_setting: str, store: type, settings: Any
) -> None:
    settings.INJAAZ_STORAGE_PHASE = phase
    settings.INJAAZ_JOB_STORE = job_setting
    assert type(job_store()) is store
    assert phase_plan().name == phase


def test_ids_that_are_not_submission_ids_never_reach_the_file_system(legacy_dir: Path, settings: Any) -> None:
    settings.INJAAZ_STORAGE_PHASE = "json"
    (legacy_dir / "secret.json").write_text('{"submission_id": "sub_000000000000"}')
    for bad in ("../secret", "sub_../../x", "", "SUB_0123456789AB", "sub_0123456789ab/../../secret"):
        assert submission_get(bad) is None


def test_a_document_carrying_another_id_is_refused_and_nothing_is_written(
    legacy_dir: Path, settings: Any, commit: Any
) -> None:
    settings.INJAAZ_STORAGE_PHASE = "dual"
    with pytest.raises(ValueError, match="not the submission's id"):
        commit(create, "hvac_mep", submission_id="sub_111111111111")
    assert Submission.objects.count() == 0
    assert AuditLog.objects.count() == 0
    assert visible_files(LegacyTree(legacy_dir).submissions_dir) == []


def test_a_document_with_its_id_already_in_place_is_kept_as_is(legacy_dir: Path, settings: Any, commit: Any) -> None:
    from submissions.services import submission_create

    settings.INJAAZ_STORAGE_PHASE = "dual"
    document = {"id": "sub_0123456789ab", **civil_document()}
    submission = commit(submission_create, module="civil", form_data=dict(document), submission_id="sub_0123456789ab")
    path = LegacyTree(legacy_dir).submission_path("sub_0123456789ab")
    assert read(path) == document == submission.form_data
    assert next(iter(read(path))) == "id"


@pytest.mark.parametrize("module", ["hvac_mep", "civil", "cleaning"])
def test_a_dual_written_file_normalises_to_the_same_record(
    module: str, legacy_dir: Path, settings: Any, commit: Any
) -> None:
    """What the backfill importer will make of a file Injaaz wrote is the row Injaaz wrote."""
    from submissions.legacy.files import read_json_file
    from submissions.legacy.normalize import normalize_submission

    settings.INJAAZ_STORAGE_PHASE = "dual"
    row = commit(create, module)
    path = LegacyTree(legacy_dir).submission_path(row.submission_id)
    record = normalize_submission(read_json_file(path), stem=path.stem)
    assert (record.submission_id, record.module, record.site_name, record.visit_date) == (
        row.submission_id,
        row.module,
        row.site_name,
        row.visit_date,
    )
    assert record.warnings == []
    assert read_json_file(path) == Submission.objects.get().form_data


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"INJAAZ_STORAGE_PHASE": "dual_read_db"}, "dual_read_db DatabaseJobStore"),
        ({"INJAAZ_STORAGE_PHASE": "dual"}, "dual DatabaseJobStore"),
        ({"INJAAZ_STORAGE_PHASE": "db", "INJAAZ_JOB_STORE": "json"}, "db LegacyJobStore"),
        ({"INJAAZ_STORAGE_PHASE": "json"}, "json LegacyJobStore"),
    ],
)
def test_the_environment_alone_chooses_the_phase(environment: dict[str, str], expected: str) -> None:
    """A deployment steps back by changing its environment and restarting: nothing else."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("INJAAZ_")}
    env.update(environment, DJANGO_SETTINGS_MODULE="injaaz.settings_test")
    code = (
        "import django; django.setup(); from submissions.router import phase_plan; "
        "from jobs.store import job_store; print(phase_plan().name, type(job_store()).__name__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
