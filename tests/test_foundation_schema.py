"""The plan's schema: constraints enforced by the database, cascades, reversible migrations."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from jobs.models import Job
from submissions.models import Submission, UploadedFile

ROOT = Path(__file__).resolve().parent.parent
# /work/main or a worktree /work/wt/issue-N: the first ancestor holding shared/checks.
CHECKS = next(
    (
        parent / "shared" / "checks" / "check_schema.py"
        for parent in ROOT.parents
        if (parent / "shared" / "checks").is_dir()
    ),
    ROOT.parent / "shared" / "checks" / "check_schema.py",
)


def make_submission(**extra: Any) -> Submission:
    return Submission.objects.create(module="civil", form_data={"id": "x"}, **extra)


def postgres_url(name: str) -> str:
    settings = connection.settings_dict
    return f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{name}"


@pytest.mark.django_db
class TestConstraintsThroughTheORM:
    def test_duplicate_submission_id_is_refused(self) -> None:
        first = make_submission()
        with pytest.raises(IntegrityError), transaction.atomic():
            make_submission(submission_id=first.submission_id)

    def test_progress_out_of_range_is_refused(self) -> None:
        submission = make_submission()
        with pytest.raises(IntegrityError), transaction.atomic():
            Job.objects.create(submission=submission, progress=150)
        with pytest.raises(IntegrityError), transaction.atomic():
            Job.objects.create(submission=submission, progress=-1)

    def test_unknown_module_and_status_are_refused(self) -> None:
        # The modules are declared in code (submissions.modules.registry, docs/MODULES.md): the
        # database refuses a malformed name, full_clean (so submission_create) an undeclared one.
        with pytest.raises(IntegrityError), transaction.atomic():
            Submission.objects.create(module="Plumbing works", form_data={})
        with pytest.raises(ValidationError, match="plumbing"):
            Submission(module="plumbing", form_data={}).full_clean()
        with pytest.raises(IntegrityError), transaction.atomic():
            Submission.objects.create(module="civil", status="archived", form_data={})
        submission = make_submission()
        with pytest.raises(IntegrityError), transaction.atomic():
            Job.objects.create(submission=submission, status="queued")

    def test_full_clean_explains_a_bad_id(self) -> None:
        submission = Submission(submission_id="sub_XYZ", module="civil", form_data={})
        with pytest.raises(ValidationError) as error:
            submission.full_clean()
        assert "12 lowercase hex" in str(error.value)

    def test_new_ids_have_the_legacy_shape(self) -> None:
        submission = make_submission()
        job = Job.objects.create(submission=submission)
        assert submission.submission_id.startswith("sub_") and len(submission.submission_id) == 16
        assert job.job_id.startswith("job_") and len(job.job_id) == 16


@pytest.mark.postgres
@pytest.mark.django_db
class TestConstraintsInRawSQL:
    """The database itself refuses bad rows, whatever client writes them."""

    def run(self, sql: str, params: list[Any] | None = None) -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params or [])

    def test_plan_style_insert_uses_database_defaults(self) -> None:
        self.run(
            "INSERT INTO submissions (submission_id, module, form_data) VALUES ('sub_00000000000a', 'civil', '{}')"
        )
        row = Submission.objects.get(submission_id="sub_00000000000a")
        assert row.status == "pending" and row.site_name == "" and row.created_at is not None

    def test_duplicate_submission_id(self) -> None:
        self.run(
            "INSERT INTO submissions (submission_id, module, form_data) VALUES ('sub_00000000000b', 'civil', '{}')"
        )
        with pytest.raises(IntegrityError):
            self.run(
                "INSERT INTO submissions (submission_id, module, form_data) VALUES ('sub_00000000000b', 'civil', '{}')"
            )

    def test_progress_150(self) -> None:
        submission = make_submission()
        with pytest.raises(IntegrityError):
            self.run(
                "INSERT INTO jobs (job_id, submission_id, status, progress) VALUES ('job_1', %s, 'started', 150)",
                [submission.pk],
            )

    def test_unknown_module_and_status(self) -> None:
        # Which modules exist is declared in code (docs/MODULES.md); the database checks the name's form.
        with pytest.raises(IntegrityError):
            self.run(
                "INSERT INTO submissions (submission_id, module, form_data) VALUES ('sub_00000000000c', 'Garden works', '{}')"
            )
        with pytest.raises(IntegrityError):
            self.run(
                "INSERT INTO submissions (submission_id, module, status, form_data) VALUES ('sub_00000000000d', 'civil', 'lost', '{}')"
            )

    def test_delete_in_sql_cascades_to_jobs_and_files(self) -> None:
        submission = make_submission()
        Job.objects.create(submission=submission)
        UploadedFile.objects.create(submission=submission, cloudinary_url="https://example.com/a.jpg")
        self.run("DELETE FROM submissions WHERE id = %s", [submission.pk])
        assert Job.objects.count() == 0
        assert UploadedFile.objects.count() == 0

    def test_form_data_is_jsonb(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT data_type FROM information_schema.columns WHERE table_name='submissions' AND column_name='form_data'"
            )
            assert cursor.fetchone() == ("jsonb",)


def test_orm_delete_cascades(db: Any) -> None:
    submission = make_submission()
    Job.objects.create(submission=submission)
    UploadedFile.objects.create(submission=submission, cloudinary_url="/media/x.png")
    submission.delete()
    assert (Job.objects.count(), UploadedFile.objects.count()) == (0, 0)


def _manage(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "injaaz.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def scratch_database_url(tmp_path: Path) -> Any:
    """A fresh, empty database of the same engine as the suite's (outside the test database)."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    import psycopg

    name = f"injaaz_scratch_{uuid.uuid4().hex[:8]}"
    admin_url = postgres_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url(name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
def test_every_migration_unapplies_and_reapplies(scratch_database_url: str) -> None:
    steps = [
        ["migrate", "--noinput"],
        ["migrate", "submissions", "zero", "--noinput"],
        ["migrate", "audit", "zero", "--noinput"],
        ["migrate", "accounts", "zero", "--noinput"],
        ["migrate", "--noinput"],
    ]
    for step in steps:
        result = _manage(step, scratch_database_url)
        assert result.returncode == 0, f"{step}: {result.stderr[-2000:]}"
    unapplied = _manage(["showmigrations", "--plan"], scratch_database_url)
    assert "[ ]" not in unapplied.stdout
    if scratch_database_url.startswith("postgres"):
        check = subprocess.run(
            [sys.executable, str(CHECKS), scratch_database_url], capture_output=True, text=True, timeout=60
        )
        assert check.returncode == 0, check.stdout
        assert "checks hold" in check.stdout


@pytest.mark.django_db
def test_models_match_migrations() -> None:
    result = _manage(["makemigrations", "--check", "--dry-run"], "sqlite:///:memory:")
    assert result.returncode == 0, result.stdout + result.stderr
