"""Review e-mails: to the next stage's group members when a report reaches them, and to the author
on send-back, rejection and final approval.

Services call ``*_on_commit``: nothing is sent unless the decision commits, and the sending runs
on the task queue (``review.tasks.review_email_send``), so a slow or failing mail server never
holds a decision up. A failed send is queued again, up to ``INJAAZ_REVIEW_EMAIL_MAX_ATTEMPTS``.
``INJAAZ_REVIEW_EMAILS=0`` turns them all off.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

logger = logging.getLogger(__name__)

# ``review_email_send(kind, submission_pk, target_pk, attempt)`` in review/tasks.py.
EMAIL_TASK = "review.tasks.review_email_send"
STAGE_REACHED = "stage_reached"
AUTHOR_TOLD = "author_told"


def _enabled() -> bool:
    return bool(settings.INJAAZ_REVIEW_EMAILS)


def _enqueue(kind: str, submission_pk: int, target_pk: int, attempt: int = 1, delay_seconds: float = 0) -> None:
    # Named by its path, as the task backend records it: importing review.tasks (which calls
    # back into this module) would make an import cycle (see jobs.queue).
    task: Task[Any, int] = import_string(EMAIL_TASK)
    if delay_seconds > 0 and task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay_seconds))
    task.enqueue(kind, submission_pk, target_pk, attempt)


def _on_commit(kind: str, submission_pk: int, target_pk: int) -> None:
    if not _enabled():
        return
    # robust: a queue that refuses the task must not undo a committed decision.
    transaction.on_commit(lambda: _enqueue(kind, submission_pk, target_pk), robust=True)


def stage_reached_on_commit(*, submission: Any, stage: Any) -> None:
    _on_commit(STAGE_REACHED, submission.pk, stage.pk)


def author_told_on_commit(*, submission: Any, decision: Any) -> None:
    _on_commit(AUTHOR_TOLD, submission.pk, decision.pk)


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    recipients: list[str]


def _link(submission: Any, *, review_page: bool) -> str:
    name = "review:detail" if review_page else "submission_detail"
    path = reverse(name, kwargs={"submission_id": submission.submission_id})
    return f"{settings.INJAAZ_SITE_URL.rstrip('/')}{path}" if settings.INJAAZ_SITE_URL else path


def message_for(kind: str, submission_pk: int, target_pk: int) -> Message | None:
    """What to send, built from the database as it is now (``None``: nothing to send)."""
    from review.models import DecisionKind, ReviewDecision, ReviewStage
    from submissions.models import Submission

    submission = Submission.objects.select_related("user").filter(pk=submission_pk).first()
    if submission is None:
        return None
    title = f"{submission.get_module_display()} report {submission.site_name or submission.submission_id}"
    if kind == STAGE_REACHED:
        stage = ReviewStage.objects.filter(pk=target_pk).first()
        if stage is None:
            return None
        users = (
            get_user_model()
            .objects.filter(is_active=True, groups__review_slots__stage=stage)
            .exclude(email="")
            .distinct()
        )
        if submission.user_id is not None:
            users = users.exclude(pk=submission.user_id)
        recipients = sorted(user.email for user in users)
        body = f"{title} is waiting for {stage.name}.\n\nOpen it to review: {_link(submission, review_page=True)}\n"
        return Message(f"To review: {title}", body, recipients) if recipients else None
    if kind == AUTHOR_TOLD:
        decision = ReviewDecision.objects.filter(pk=target_pk).select_related("stage").first()
        author = submission.user
        if decision is None or author is None or not author.email or not author.is_active:
            return None
        if decision.decision == DecisionKind.SEND_BACK:
            subject = f"Changes requested: {title}"
            lead = f"{decision.actor_name} sent your report back for changes at {decision.stage}:\n\n{decision.comment}"
        elif decision.decision == DecisionKind.REJECT:
            subject = f"Rejected: {title}"
            lead = f"{decision.actor_name} rejected your report at {decision.stage}:\n\n{decision.comment}"
        else:
            subject = f"Approved: {title}"
            lead = f"Your report was approved; the last approval was given by {decision.actor_name}."
        body = f"{lead}\n\nOpen it: {_link(submission, review_page=False)}\n"
        return Message(subject, body, [author.email])
    return None


def review_email_deliver(*, kind: str, submission_pk: int, target_pk: int, attempt: int) -> int:
    """The task's work: send one message; on failure queue the next attempt (bounded). Returns
    the number of recipients it was sent to."""
    if not _enabled():
        return 0
    message = message_for(kind, submission_pk, target_pk)
    if message is None:
        return 0
    try:
        send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, message.recipients)
    except Exception as error:
        if attempt >= settings.INJAAZ_REVIEW_EMAIL_MAX_ATTEMPTS:
            logger.error(
                "review e-mail %s for submission %s not sent after %s attempts: %s", kind, submission_pk, attempt, error
            )
            raise
        logger.warning(
            "review e-mail %s for submission %s failed (attempt %s): %s; retrying", kind, submission_pk, attempt, error
        )
        _enqueue(kind, submission_pk, target_pk, attempt + 1, delay_seconds=30 * attempt)
        return 0
    return len(message.recipients)
