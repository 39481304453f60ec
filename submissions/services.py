"""Writes to submissions. Views, admin, commands and the worker call these, never ``save()``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audit.services import Action, audit_record
from jobs.services import job_create, report_job_id_for
from review.services import review_enter
from submissions.models import Submission, UploadedFile
from submissions.modules.registry import declaration_or_none
from submissions.router import phase_plan, storage_atomic, submission_save


class SubmissionFilesUnavailableError(Exception):
    """A photo the form refers to is no longer waiting for a submission (used or removed)."""


@storage_atomic
def submission_create(
    *,
    actor: Any = None,
    module: str,
    form_data: dict[str, Any],
    submission_id: str | None = None,
    user: Any = None,
    submitted_by_ip: str = "",
    files: Sequence[UploadedFile] = (),
    client_key: str | None = None,
    content_hash: str = "",
) -> Submission:
    """Create a submission, its ``submit_form`` audit row and its report job in one transaction.

    ``site_name`` and ``visit_date`` derive from ``form_data`` by the module's declaration (the one
    rule the importer uses too, ``ModuleDeclaration.columns``). A module that is not declared is
    refused (``ValidationError``).

    The report task is queued with the transaction (``jobs.services.job_create``), and
    the submission enters review at its module's first stage (``review.services.review_enter``).
    ``files``: its photos and signatures, already in storage. Saved rows are photos uploaded
    ahead and waiting (no submission yet): they are claimed, and if one is no longer waiting
    ``SubmissionFilesUnavailableError`` rolls everything back. Unsaved rows are written.
    ``client_key`` / ``content_hash``: the idempotency key the client sent and a hash of what it
    sent. The key is unique: a second create with it fails (``IntegrityError``, from the
    database's unique index); callers then look it up with
    ``selectors.submission_for_client_key`` and answer a replay or a conflict.

    One short transaction: field checks in Python (the database enforces the constraints), no
    read-backs, the audit row (and its lock) last. ``report_job_id`` on the returned submission
    names the job it made, so callers need not look it up.
    """
    declared = declaration_or_none(module)
    site_name, visit_date = declared.document_columns(form_data) if declared is not None else ("", None)
    job_id, form_data = report_job_id_for(module=module, form_data=form_data)
    submission = Submission(
        module=module,
        form_data=form_data,
        site_name=site_name[:200],
        visit_date=visit_date,
        user=user if user is not None else (actor if getattr(actor, "is_authenticated", False) else None),
        submitted_by_ip=submitted_by_ip,
        client_key=client_key or None,
        content_hash=content_hash,
    )
    if submission_id is not None:
        submission.submission_id = submission_id
    # Field checks only: the unique keys (submission id, client key), the check constraints and
    # the user's foreign key are the database's to enforce; a query each here would only race it.
    submission.full_clean(exclude=["user"], validate_unique=False, validate_constraints=False)
    submission_save(submission)
    _files_attach(submission, files)
    job_create(submission=submission, job_id=job_id)
    review_enter(submission=submission)
    # Last: the audit row's advisory lock serialises every audited transaction until COMMIT, so
    # it is taken when nothing else is left to do.
    audit_record(
        actor=actor,
        action=Action.SUBMIT_FORM,
        resource=submission,
        details={"submission_id": submission.submission_id, "module": module},
    )
    submission.report_job_id = job_id
    return submission


def _files_attach(submission: Submission, files: Sequence[UploadedFile]) -> None:
    if not phase_plan().writes_database:
        # json phase: no submission row to point at. New rows (signatures) stay with their
        # uploader like the photos do; the document's references are what tie them together.
        for row in files:
            if row.pk is None:
                row.full_clean(exclude=["submission", "uploaded_by"], validate_unique=False, validate_constraints=False)
                row.save()
        return
    waiting = [row.pk for row in files if row.pk is not None]
    if waiting:
        claimed = UploadedFile.objects.filter(pk__in=waiting, submission__isnull=True).update(submission=submission)
        if claimed != len(set(waiting)):
            raise SubmissionFilesUnavailableError("A photo of this form was already used or removed; add it again.")
    for row in files:
        if row.pk is None:
            row.submission = submission
            row.full_clean(exclude=["submission", "uploaded_by"], validate_unique=False, validate_constraints=False)
            row.save(force_insert=True)
        else:
            row.submission = submission
