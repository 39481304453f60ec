"""Writes to submissions. Views, admin, commands and the worker call these, never ``save()``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from audit.services import Action, audit_record
from jobs.services import job_create, report_job_id_for
from submissions.models import Submission
from submissions.router import storage_atomic, submission_save


@storage_atomic
def submission_create(
    *,
    actor: Any = None,
    module: str,
    form_data: dict[str, Any],
    site_name: str = "",
    visit_date: dt.date | None = None,
    submission_id: str | None = None,
    user: Any = None,
    submitted_by_ip: str = "",
) -> Submission:
    """Create a submission, its ``submit_form`` audit row and its report job in one transaction.

    The report task is queued when the transaction commits (``jobs.services.job_create``).
    """
    job_id, form_data = report_job_id_for(module=module, form_data=form_data)
    submission = Submission(
        module=module,
        form_data=form_data,
        site_name=site_name,
        visit_date=visit_date,
        user=user if user is not None else (actor if getattr(actor, "is_authenticated", False) else None),
        submitted_by_ip=submitted_by_ip,
    )
    if submission_id is not None:
        submission.submission_id = submission_id
    submission.full_clean()
    submission_save(submission)
    audit_record(
        actor=actor,
        action=Action.SUBMIT_FORM,
        resource=submission,
        details={"submission_id": submission.submission_id, "module": module},
    )
    job_create(submission=submission, job_id=job_id)
    return submission
