"""Bookkeeping tables of the legacy import (imported by ``submissions.models``).

- ``ImportLedgerEntry``: one row per legacy file the importer has committed, with the hash of
  its bytes. A re-run skips files whose hash is unchanged without parsing them; a file whose
  hash changed is a conflict unless ``--update``. Rows are written in the same transaction as
  the records they describe, so a killed run resumes exactly where its last batch committed.
  ``mtime_ns`` is a cache, as in rsync's quick check: a file whose size and modification time
  both still match is not even read again (``import_json --rehash`` reads every file).
- ``LegacyUploadCopy``: a local upload or an embedded data-URL signature that
  ``import_json --copy-uploads`` copied into the configured storage, and where it went.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class LedgerKind(models.TextChoices):
    SUBMISSION = "submission", "Submission file"
    JOB = "job", "Job file"


class LedgerOutcome(models.TextChoices):
    IMPORTED = "imported", "Imported"
    PRESENT = "present", "Already present"
    UPDATED = "updated", "Updated (--update)"


class ImportLedgerEntry(models.Model):
    path = models.CharField(max_length=500, help_text="Path inside the legacy tree, e.g. submissions/sub_x.json")
    kind = models.CharField(max_length=20, choices=LedgerKind.choices)
    record_id = models.CharField(max_length=50)
    module = models.CharField(max_length=50, blank=True, default="", db_default="")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the file's bytes")
    size = models.BigIntegerField()
    mtime_ns = models.BigIntegerField(
        null=True,
        blank=True,
        help_text=(
            "The file's modification time (ns) when it was read, if it was then already two seconds old "
            "(a later change cannot share it); empty otherwise: the file is read and hashed again"
        ),
    )
    outcome = models.CharField(max_length=20, choices=LedgerOutcome.choices)
    imported_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        app_label = "submissions"
        db_table = "legacy_import_ledger"
        ordering = ("path",)
        # Looked up by path only (its unique index): every import writes a row per file, so no other index.
        constraints = [models.UniqueConstraint(fields=["path"], name="uq_legacy_import_ledger_path")]
        verbose_name = "import ledger entry"
        verbose_name_plural = "import ledger"

    def __str__(self) -> str:
        return self.path


class LegacyUploadCopy(models.Model):
    legacy_ref = models.CharField(
        max_length=500, help_text="/generated/uploads/<name>, or embedded:sha256:<hex> for a data-URL signature"
    )
    storage_name = models.CharField(max_length=500)
    url = models.TextField()
    size = models.BigIntegerField(null=True, blank=True)
    copied_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        app_label = "submissions"
        db_table = "legacy_upload_copies"
        ordering = ("legacy_ref",)
        constraints = [models.UniqueConstraint(fields=["legacy_ref"], name="uq_legacy_upload_copies_ref")]

    def __str__(self) -> str:
        return f"{self.legacy_ref} -> {self.storage_name}"
