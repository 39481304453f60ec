"""Helpers for the migration-command tests: running commands, copying trees, snapshotting the database."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from jobs.models import Job
from submissions.models import ImportLedgerEntry, Submission, UploadedFile
from tests.legacy_samples import GENERATED


def run(command: str, *args: Any, **options: Any) -> tuple[list[str], str, int]:
    """``call_command`` with captured output: (stdout lines, stderr, exit status)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    status = 0
    try:
        call_command(command, *args, stdout=stdout, stderr=stderr, **options)
    except CommandError as error:
        status = error.returncode
        stderr.write(str(error))
    return stdout.getvalue().splitlines(), stderr.getvalue(), status


def import_tree(root: Path, *args: Any, **options: Any) -> tuple[list[str], str, int]:
    options.setdefault("workers", 0)
    options.setdefault("no_progress", True)
    return run("import_json", str(root), *args, **options)


def sample_tree(tmp_path: Path) -> Path:
    """A writable copy of the old app's real files."""
    root = tmp_path / "generated"
    shutil.copytree(GENERATED, root)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def snapshot() -> dict[str, Any]:
    """Everything the importer writes, keyed by natural keys (no surrogate ids, no write times)."""
    submissions = {
        row["submission_id"]: row
        for row in Submission.objects.values(
            "submission_id",
            "module",
            "status",
            "site_name",
            "visit_date",
            "form_data",
            "created_at",
            "submitted_by_ip",
            "user_id",
        )
    }
    files = sorted(
        UploadedFile.objects.values_list(
            "submission__submission_id",
            "cloudinary_url",
            "cloudinary_public_id",
            "file_type",
            "original_filename",
            "file_size",
            "uploaded_at",
        )
    )
    # Within a submission, rows keep document order (ids increase in it).
    order = [
        (sid, url)
        for sid, url in UploadedFile.objects.order_by("submission__submission_id", "id").values_list(
            "submission__submission_id", "cloudinary_url"
        )
    ]
    jobs = sorted(
        Job.objects.values_list(
            "job_id",
            "submission__submission_id",
            "status",
            "progress",
            "excel_url",
            "pdf_url",
            "error_message",
            "created_at",
            "started_at",
            "completed_at",
        )
    )
    ledger = sorted(
        ImportLedgerEntry.objects.values_list("path", "kind", "record_id", "module", "content_hash", "size", "outcome")
    )
    return {"submissions": submissions, "files": files, "file_order": order, "jobs": jobs, "ledger": ledger}


def database_url() -> str:
    """A DATABASE_URL for the database the tests use (for subprocesses)."""
    settings = connection.settings_dict
    user = settings.get("USER") or "postgres"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"
