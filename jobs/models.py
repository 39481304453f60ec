"""The plan's ``jobs`` table: one report run for a submission."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from submissions.ids import new_job_id, validate_job_id
from submissions.models import Submission


class JobStatus(models.TextChoices):
    STARTED = "started", "Started"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Job(models.Model):
    job_id = models.CharField(max_length=50, default=new_job_id, validators=[validate_job_id])
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="jobs", db_index=False)
    status = models.CharField(max_length=50, choices=JobStatus.choices, default=JobStatus.STARTED)
    progress = models.IntegerField(default=0, db_default=0)
    excel_url = models.TextField(blank=True, default="", db_default="")
    pdf_url = models.TextField(blank=True, default="", db_default="")
    error_message = models.TextField(blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Not in the plan's table: how many times the job has been put on the task queue (first run,
    # retries, re-queues by the reaper) and when it last was. They bound retries and tell a job
    # that is merely waiting in the queue from one a dead worker left behind.
    attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    # Not in the plan's table either: when the worker running the job last said it is alive
    # (``INJAAZ_JOB_HEARTBEAT_SECONDS``). The reaper takes a running job back only when this stops.
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "jobs"
        ordering = ("-created_at", "-id")
        constraints = [
            models.UniqueConstraint(fields=["job_id"], name="uq_jobs_job_id"),
            models.CheckConstraint(condition=models.Q(progress__gte=0, progress__lte=100), name="jobs_progress_range"),
            models.CheckConstraint(condition=models.Q(status__in=JobStatus.values), name="jobs_status_valid"),
        ]
        indexes = [
            models.Index(fields=["submission"], name="idx_jobs_submission_id"),
            models.Index(fields=["status"], name="idx_jobs_status"),
            models.Index(fields=["submission", "status"], name="idx_jobs_submission_status"),
        ]

    def __str__(self) -> str:
        return self.job_id
