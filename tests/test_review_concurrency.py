"""Review under concurrency, on PostgreSQL with real connections in threads: one decision per
slot, stale versions refused, the parallel stage moving on only once both slots approved."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from review.models import ReviewDecision, ReviewState, SubmissionReview
from review.services import AlreadyDecidedError, StaleVersionError, review_approve, submission_revise
from tests.inspection_helpers import signature_data_url
from tests.review_helpers import file_report, hvac_document, stage_position, team

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _at_once(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions in threads released together; each result is a value or the exception raised."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = action()
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread met
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_reviewers_deciding_one_slot_at_once_make_one_row(make_user: Any) -> None:
    people = team(make_user)
    second = make_user("user", full_name="Second Ops")
    second.groups.add(*people.ops.groups.all())
    submission = file_report(people.author)
    signature = signature_data_url()
    results = _at_once(
        lambda: review_approve(actor=people.ops, submission=submission, expected_version=1, signature=signature),
        lambda: review_approve(actor=second, submission=submission, expected_version=1, signature=signature),
    )
    decided = [result for result in results if isinstance(result, ReviewDecision)]
    refused = [result for result in results if isinstance(result, AlreadyDecidedError)]
    assert (len(decided), len(refused)) == (1, 1), results
    assert f"Already decided by {decided[0].actor_name} at" in str(refused[0])
    assert ReviewDecision.objects.filter(submission=submission).count() == 1
    assert stage_position(SubmissionReview.objects.get(submission=submission)) == 2


def test_the_database_refuses_a_second_row_for_one_slot(make_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    review_approve(actor=people.ops, submission=submission, expected_version=1, signature=signature_data_url())
    first = ReviewDecision.objects.get(submission=submission)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewDecision.objects.create(
            submission=submission,
            stage=first.stage,
            slot=first.slot,
            round=first.round,
            version=1,
            decision="reject",
            actor=people.ops,
            actor_name="x",
        )


def test_a_decision_racing_an_edit_is_refused_when_it_saw_the_old_version(make_user: Any) -> None:
    people = team(make_user)
    second = make_user("user", full_name="Second Ops")
    second.groups.add(*people.ops.groups.all())
    submission = file_report(people.author)
    results = _at_once(
        lambda: submission_revise(
            actor=second, submission=submission, expected_version=1, form_data=hvac_document(site="B"), reason="typo"
        ),
        lambda: review_approve(
            actor=people.ops, submission=submission, expected_version=1, signature=signature_data_url()
        ),
    )
    edit, approval = results
    # Whichever came first stands; the other met the changed report and was refused.
    if isinstance(approval, ReviewDecision):
        assert isinstance(edit, Exception), results  # the approval moved the report past their stage
        assert SubmissionReview.objects.get(submission=submission).version == 1
    else:
        assert isinstance(approval, StaleVersionError), results
        assert SubmissionReview.objects.get(submission=submission).version == 2
        assert not ReviewDecision.objects.filter(submission=submission).exists()


@pytest.mark.parametrize("attempt", range(3))
def test_the_parallel_stage_completes_only_when_both_slots_approve(make_user: Any, attempt: int) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    review_approve(actor=people.ops, submission=submission, expected_version=1, signature=signature_data_url())
    review_approve(actor=people.bd, submission=submission, expected_version=1)
    review = SubmissionReview.objects.get(submission=submission)
    assert (review.state, stage_position(review)) == (ReviewState.IN_REVIEW, 2)

    other = file_report(people.author, site="Tower C")
    review_approve(actor=people.ops, submission=other, expected_version=1, signature=signature_data_url())
    results = _at_once(
        lambda: review_approve(actor=people.bd, submission=other, expected_version=1),
        lambda: review_approve(actor=people.procurement, submission=other, expected_version=1),
    )
    assert all(isinstance(result, ReviewDecision) for result in results), results
    review = SubmissionReview.objects.get(submission=other)
    assert (review.state, stage_position(review)) == (ReviewState.IN_REVIEW, 3)
