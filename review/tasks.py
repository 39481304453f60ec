"""Background tasks of review: sending its e-mails (``review.notifications``)."""

from __future__ import annotations

from django_tasks import task

from review.notifications import review_email_deliver


@task()
def review_email_send(kind: str, submission_pk: int, target_pk: int, attempt: int = 1) -> int:
    """Send one review e-mail (a stage reached, or the author told of a decision)."""
    return review_email_deliver(kind=kind, submission_pk=submission_pk, target_pk=target_pk, attempt=attempt)
