"""The plan's ``submissions`` and ``uploaded_files`` tables."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from submissions.ids import new_submission_id, validate_client_key, validate_submission_id
from submissions.modules.names import Module
from submissions.modules.registry import MODULE_NAME_REGEX, module_choices

__all__ = ["FileType", "Module", "Submission", "SubmissionStatus", "UploadedFile"]


class SubmissionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class Submission(models.Model):
    """One site-visit report. ``form_data`` is the document; the other columns derive from it."""

    submission_id = models.CharField(max_length=50, default=new_submission_id, validators=[validate_submission_id])
    # Any declared module (submissions.modules.registry); the database checks only the name's form.
    module = models.CharField(max_length=50, choices=module_choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
        db_index=False,
    )
    status = models.CharField(
        max_length=50,
        choices=SubmissionStatus.choices,
        default=SubmissionStatus.PENDING,
        db_default=SubmissionStatus.PENDING,
    )
    site_name = models.CharField(max_length=200, blank=True, default="", db_default="")
    visit_date = models.DateField(null=True, blank=True)
    form_data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    submitted_by_ip = models.CharField(max_length=45, blank=True, default="", db_default="")
    # Idempotent submit: the key the client sent with the form, and a hash of what it sent.
    # The same key again with the same content returns this row; with other content, a 409.
    client_key = models.CharField(  # noqa: DJ001 - NULL (no key) must not collide in the unique index
        max_length=64, null=True, blank=True, validators=[validate_client_key]
    )
    content_hash = models.CharField(max_length=64, blank=True, default="", db_default="")

    # Not a column: the report job ``submission_create`` made for this instance (``None`` on rows
    # read from the database), so the submit routes answer with it without reading it back.
    report_job_id: str | None = None

    class Meta:
        db_table = "submissions"
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["submission_id"], name="uq_submissions_submission_id"),
            models.UniqueConstraint(fields=["client_key"], name="uq_submissions_client_key"),
            models.CheckConstraint(
                condition=models.Q(module__regex=MODULE_NAME_REGEX), name="submissions_module_name_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=SubmissionStatus.values), name="submissions_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["module"], name="idx_submissions_module"),
            models.Index(fields=["status"], name="idx_submissions_status"),
            models.Index(fields=["visit_date"], name="idx_submissions_visit_date"),
            models.Index(fields=["created_at"], name="idx_submissions_created_at"),
            models.Index(fields=["user"], name="idx_submissions_user_id"),
            models.Index(fields=["module", "-visit_date"], name="idx_submissions_module_date"),
            models.Index(fields=["status", "-created_at"], name="idx_submissions_status_created"),
        ]

    def __str__(self) -> str:
        return self.submission_id


class FileType(models.TextChoices):
    PHOTO = "photo", "Photo"
    SIGNATURE = "signature", "Signature"
    REPORT = "report", "Report"


class UploadedFile(models.Model):
    """A photo, signature or report in whichever storage holds it (the plan's Cloudinary table).

    ``submission`` is empty while a photo waits for the form that will reference it (photos
    are uploaded one by one before the report is submitted).
    """

    submission = models.ForeignKey(
        Submission,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="files",
        db_index=False,
    )
    cloudinary_url = models.TextField()
    cloudinary_public_id = models.CharField(max_length=255, blank=True, default="", db_default="")
    file_type = models.CharField(
        max_length=50, choices=FileType.choices, default=FileType.PHOTO, db_default=FileType.PHOTO
    )
    original_filename = models.CharField(max_length=255, blank=True, default="", db_default="")
    file_size = models.IntegerField(null=True, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now, db_default=Now())
    # The name in the configured storage (generated, never the user's file name), and who
    # uploaded it: a photo waiting for its form belongs to that inspector only.
    storage_name = models.CharField(max_length=255, blank=True, default="", db_default="")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        db_table = "uploaded_files"
        ordering = ("uploaded_at", "id")
        indexes = [
            models.Index(fields=["submission"], name="idx_uploaded_files_submission"),
            models.Index(
                fields=["uploaded_by", "uploaded_at"],
                condition=models.Q(submission__isnull=True),
                name="idx_uploaded_files_pending",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(file_type__in=FileType.values), name="uploaded_files_type_valid"),
            models.UniqueConstraint(
                fields=["storage_name"],
                condition=~models.Q(storage_name=""),
                name="uq_uploaded_files_storage_name",
            ),
        ]

    def __str__(self) -> str:
        return self.original_filename or self.cloudinary_public_id or self.cloudinary_url[:80]


# The legacy importer's bookkeeping tables live with their package.
from submissions.importer.models import ImportLedgerEntry, LegacyUploadCopy  # noqa: E402, F401

# The inspector forms' HVAC taxonomy and maintenance mode's state row live with their packages.
from submissions.inspector.models import HvacAsset, HvacDescription, HvacSystem  # noqa: E402, F401
from submissions.maintenance.models import MaintenanceState  # noqa: E402, F401
