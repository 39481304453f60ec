"""Review e-mails: who gets one at each step, none when turned off, one retry after a failure.

The task queue runs the send right away (the immediate backend), after the decision commits.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from review.services import review_approve, review_reject, review_resubmit, review_send_back
from tests.inspection_helpers import signature_data_url
from tests.review_helpers import file_report, team
from tests.review_mail import FailingOnceBackend

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def _sent() -> list[tuple[str, list[str]]]:
    sent = [(message.subject.split(":")[0], sorted(message.to)) for message in mail.outbox]
    mail.outbox.clear()
    return sent


@override_settings(TASKS=IMMEDIATE)
def test_each_step_mails_the_right_people(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    people = team(make_user)
    second_bd = make_user("user", email="bd2@example.com")
    second_bd.groups.add(*people.bd.groups.all())
    with django_capture_on_commit_callbacks(execute=True):
        submission = file_report(people.author)
    assert _sent() == [("To review", ["ops@example.com"])]

    with django_capture_on_commit_callbacks(execute=True):
        review_approve(actor=people.ops, submission=submission, expected_version=1, signature=signature_data_url())
    assert _sent() == [("To review", ["bd2@example.com", "bd@example.com", "procurement@example.com"])]

    with django_capture_on_commit_callbacks(execute=True):
        review_approve(actor=people.bd, submission=submission, expected_version=1)
    assert _sent() == [], "the stage is not complete yet"

    with django_capture_on_commit_callbacks(execute=True):
        review_send_back(actor=people.procurement, submission=submission, expected_version=1, comment="Add photos")
    sent = list(mail.outbox)
    assert _sent() == [("Changes requested", ["author@example.com"])]
    assert "Add photos" in sent[0].body and "Priya Procurement" in sent[0].body

    with django_capture_on_commit_callbacks(execute=True):
        review_resubmit(actor=people.author, submission=submission, expected_version=1, form_data=None)
    assert _sent() == [("To review", ["bd2@example.com", "bd@example.com", "procurement@example.com"])]

    with django_capture_on_commit_callbacks(execute=True):
        review_approve(actor=people.bd, submission=submission, expected_version=1)
        review_approve(actor=people.procurement, submission=submission, expected_version=1)
    assert _sent() == [("To review", ["gm@example.com"])]

    with django_capture_on_commit_callbacks(execute=True):
        review_approve(actor=people.gm, submission=submission, expected_version=1, signature=signature_data_url())
    assert _sent() == [("Approved", ["author@example.com"])]

    other = file_report(people.author, site="Tower Z")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        review_reject(actor=people.ops, submission=other, expected_version=1, reason="Duplicate of Tower A")
    assert _sent() == [("Rejected", ["author@example.com"])]


@override_settings(TASKS=IMMEDIATE, INJAAZ_REVIEW_EMAILS=False)
def test_none_when_turned_off(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    people = team(make_user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission = file_report(people.author)
        review_reject(actor=people.ops, submission=submission, expected_version=1, reason="No")
    assert mail.outbox == []
    assert len(callbacks) == 1, "only the report job was queued"


@override_settings(TASKS=IMMEDIATE, EMAIL_BACKEND="tests.review_mail.FailingOnceBackend")
def test_one_retry_after_a_failing_backend(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    people = team(make_user)
    FailingOnceBackend.failures_left = 1
    with django_capture_on_commit_callbacks(execute=True):
        submission = file_report(people.author)
    assert FailingOnceBackend.failures_left == 0
    assert _sent() == [("To review", ["ops@example.com"])]
    from review.models import SubmissionReview

    assert SubmissionReview.objects.filter(submission=submission).exists(), "the decision was never held up"


def test_nothing_is_sent_when_the_decision_rolls_back(make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    with django_capture_on_commit_callbacks(execute=False) as callbacks, pytest.raises(Exception, match="signature"):
        review_approve(actor=people.ops, submission=submission, expected_version=1)
    assert callbacks == []
