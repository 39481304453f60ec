"""The phase router: the one place that knows where submissions live (database, legacy files, both).

Everything else asks it to save or load a submission. Only this module (and ``jobs.store``)
reads ``INJAAZ_STORAGE_PHASE`` / ``INJAAZ_JOB_STORE``.

Interface (phases are filled in by the legacy-store work; today: database only):

- ``submission_save(submission)``: called by services inside their transaction, after
  ``full_clean()``; writes the row and/or the legacy file for the current phase.
- ``submission_get(submission_id)``: the submission, from wherever the phase reads (an unsaved
  ``Submission`` built from the file when it comes from the legacy store), or ``None``.
"""

from __future__ import annotations

from submissions.models import Submission


def submission_save(submission: Submission) -> None:
    submission.save()


def submission_get(submission_id: str) -> Submission | None:
    return Submission.objects.select_related("user").filter(submission_id=submission_id).first()
