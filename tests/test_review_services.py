"""Review services: stages, decisions, send-back and resubmit, rejection and reopening, versions,
the rule for acting and the phases review runs in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from audit.models import AuditLog
from review.models import DecisionKind, ReviewDecision, ReviewStage, ReviewState, SubmissionReview, SubmissionVersion
from review.selectors import actable_slots, can_act_on_submission, review_queue, review_state, reviewer_can_view
from review.services import (
    AlreadyDecidedError,
    ReviewInputError,
    ReviewNotAllowedError,
    ReviewStateError,
    ReviewUnavailableError,
    StaleVersionError,
    review_approve,
    review_reject,
    review_reopen,
    review_resubmit,
    review_send_back,
    review_start,
    submission_revise,
)
from submissions.models import FileType, Submission, UploadedFile
from submissions.selectors import can_view_submission
from tests.inspection_helpers import signature_data_url
from tests.review_helpers import file_report, hvac_document, stage_name, stage_position, team

pytestmark = pytest.mark.django_db


def _review(submission: Submission) -> SubmissionReview:
    return SubmissionReview.objects.select_related("stage").get(submission=submission)


def test_the_default_stages_are_seeded_for_every_module() -> None:
    stages = list(ReviewStage.objects.filter(module="").order_by("position"))
    assert [stage.name for stage in stages] == [
        "Operations manager review",
        "Business development and procurement review",
        "General manager approval",
    ]
    assert [stage.signature_required for stage in stages] == [True, False, True]
    assert [[slot.group.name for slot in stage.slots.all()] for stage in stages] == [
        ["Operations managers"],
        ["Business development", "Procurement"],
        ["General managers"],
    ]


def test_a_new_report_waits_at_the_first_stage(make_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    review = _review(submission)
    assert (review.state, stage_name(review), review.version, review.round) == (
        ReviewState.SUBMITTED,
        "Operations manager review",
        1,
        1,
    )
    assert [row.submission_id for row in review_queue(user=people.ops)[0]] == [submission.submission_id]
    assert review_queue(user=people.bd)[0] == []


def test_the_whole_way_through_with_a_parallel_stage(make_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    review_approve(actor=people.ops, submission=submission, expected_version=1, signature=signature_data_url())
    review = _review(submission)
    assert (review.state, stage_position(review)) == (ReviewState.IN_REVIEW, 2)

    review_approve(actor=people.bd, submission=submission, expected_version=1, comment="Fine by BD")
    review = _review(submission)
    assert stage_position(review) == 2, "the parallel stage needs both approvals"
    assert review_queue(user=people.bd)[0] == [], "BD has decided; it waits for procurement only"
    assert len(review_queue(user=people.procurement)[0]) == 1

    review_approve(actor=people.procurement, submission=submission, expected_version=1)
    assert stage_position(_review(submission)) == 3
    review_approve(actor=people.gm, submission=submission, expected_version=1, signature=signature_data_url("blue"))
    review = _review(submission)
    assert (review.state, review.stage) == (ReviewState.APPROVED, None)
    decisions = list(ReviewDecision.objects.filter(submission=submission).order_by("id"))
    assert [(d.decision, d.actor_name) for d in decisions] == [
        ("approve", "Omar Ops"),
        ("approve", "Bilal Business"),
        ("approve", "Priya Procurement"),
        ("approve", "Grace General"),
    ]
    signatures = [d.signature for d in decisions]
    assert signatures[1] is None and signatures[2] is None
    for row in (signatures[0], signatures[3]):
        assert row is not None and (row.file_type, row.submission_id) == (FileType.SIGNATURE, submission.pk)
    audit = AuditLog.objects.filter(action="review_decision", resource_id=submission.pk)
    assert audit.count() == 4
    # Each approval changed the report's approval page: one report job each, plus the first.
    assert submission.jobs.count() == 5


def test_signature_is_required_where_the_stage_says(make_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    with pytest.raises(ReviewInputError, match="needs your signature"):
        review_approve(actor=people.ops, submission=submission, expected_version=1)
    with pytest.raises(ReviewInputError, match="signature could not be used"):
        review_approve(
            actor=people.ops, submission=submission, expected_version=1, signature="data:image/png;base64,AAAA"
        )
    assert ReviewDecision.objects.count() == 0
    assert not UploadedFile.objects.filter(file_type=FileType.SIGNATURE).exists()


def test_send_back_resubmit_reenters_at_the_stage_that_sent_it_back(make_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    review_approve(actor=people.ops, submission=submission, expected_version=1, signature=signature_data_url())
    review_approve(actor=people.procurement, submission=submission, expected_version=1)
    with pytest.raises(ReviewInputError, match="comment"):
        review_send_back(actor=people.bd, submission=submission, expected_version=1, comment="  ")
    review_send_back(actor=people.bd, submission=submission, expected_version=1, comment="Fan 1 is Fan 2")
    review = _review(submission)
    assert (review.state, stage_position(review)) == (ReviewState.CHANGES_REQUESTED, 2)
    assert review_queue(user=people.procurement)[0] == []

    with pytest.raises(ReviewNotAllowedError):
        review_resubmit(actor=people.bd, submission=submission, expected_version=1, form_data=None)
    review_resubmit(
        actor=people.author,
        submission=submission,
        expected_version=1,
        form_data=hvac_document(description="Fan 2"),
        comment="Renamed the fan",
    )
    review = _review(submission)
    assert (review.state, stage_position(review), review.version, review.round) == (ReviewState.IN_REVIEW, 2, 2, 2)
    submission.refresh_from_db()
    assert submission.form_data["items"][0]["description"] == "Fan 2"
    # Both slots of the stage decide again on the new version.
    assert len(review_queue(user=people.procurement)[0]) == 1
    assert len(review_queue(user=people.bd)[0]) == 1
    with pytest.raises(StaleVersionError, match="now version 2"):
        review_approve(actor=people.bd, submission=submission, expected_version=1)
    review_approve(actor=people.bd, submission=submission, expected_version=2)
    review_approve(actor=people.procurement, submission=submission, expected_version=2)
    assert stage_position(_review(submission)) == 3


def test_reject_is_terminal_until_staff_reopen(make_user: Any, staff_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    with pytest.raises(ReviewInputError, match="reason"):
        review_reject(actor=people.ops, submission=submission, expected_version=1, reason="")
    review_reject(actor=people.ops, submission=submission, expected_version=1, reason="Wrong site")
    assert _review(submission).state == ReviewState.REJECTED
    assert not can_act_on_submission(people.ops, submission)
    with pytest.raises(ReviewStateError):
        review_approve(actor=people.ops, submission=submission, expected_version=1, signature=signature_data_url())
    with pytest.raises(ReviewNotAllowedError):
        review_reopen(actor=people.ops, submission=submission, comment="please")
    review_reopen(actor=staff_user, submission=submission, comment="Site confirmed")
    review = _review(submission)
    assert (review.state, stage_position(review), review.round) == (ReviewState.IN_REVIEW, 1, 2)
    assert ReviewDecision.objects.filter(decision=DecisionKind.REOPEN, actor=staff_user).count() == 1
    assert can_act_on_submission(people.ops, submission)


def test_one_decision_per_slot(make_user: Any) -> None:
    people = team(make_user)
    second_ops = make_user("user", full_name="Second Ops")
    second_ops.groups.add(*people.ops.groups.all())
    submission = file_report(people.author)
    review_send_back(actor=people.ops, submission=submission, expected_version=1, comment="Photos missing")
    review_resubmit(actor=people.author, submission=submission, expected_version=1, form_data=None)
    review_approve(actor=people.ops, submission=submission, expected_version=1, signature=signature_data_url())
    review_approve(actor=people.bd, submission=submission, expected_version=1)
    other_bd = make_user("user", full_name="Other BD")
    other_bd.groups.add(*people.bd.groups.all())
    with pytest.raises(AlreadyDecidedError, match="Already decided by Bilal Business at"):
        review_approve(actor=other_bd, submission=submission, expected_version=1)
    assert ReviewDecision.objects.filter(submission=submission, decision="approve").count() == 2


def test_the_rule_for_acting(make_user: Any, staff_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    assert [slot.name for slot in actable_slots(people.ops, submission)] == ["Operations manager"]
    for person in (people.author, people.bd, people.gm, people.outsider):
        assert not can_act_on_submission(person, submission)
    # Superusers may act anywhere, recorded as themselves; an author never acts on their own report.
    assert can_act_on_submission(staff_user, submission)
    own = file_report(staff_user)
    assert not can_act_on_submission(staff_user, own)
    people.ops.groups.add(*people.author.groups.all())
    with pytest.raises(ReviewNotAllowedError):
        review_approve(actor=people.author, submission=submission, expected_version=1, signature=signature_data_url())
    with pytest.raises(ReviewNotAllowedError):
        review_approve(actor=people.gm, submission=submission, expected_version=1, signature=signature_data_url())


def test_reviewers_see_reports_at_or_past_their_stages(make_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    assert can_view_submission(people.author, submission)
    assert can_view_submission(people.ops, submission)
    assert not can_view_submission(people.gm, submission)
    assert not can_view_submission(people.outsider, submission)
    review_approve(actor=people.ops, submission=submission, expected_version=1, signature=signature_data_url())
    assert can_view_submission(people.bd, submission) and not can_view_submission(people.gm, submission)
    assert can_view_submission(people.ops, submission), "past their stage"
    review_approve(actor=people.bd, submission=submission, expected_version=1)
    review_approve(actor=people.procurement, submission=submission, expected_version=1)
    review_approve(actor=people.gm, submission=submission, expected_version=1, signature=signature_data_url())
    assert all(
        reviewer_can_view(person, submission) for person in (people.ops, people.bd, people.procurement, people.gm)
    )
    assert not reviewer_can_view(people.outsider, submission)


def test_reviewer_edit_makes_a_version_and_keeps_the_first(make_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    first_document = submission.form_data
    with pytest.raises(ReviewNotAllowedError):
        submission_revise(
            actor=people.gm, submission=submission, expected_version=1, form_data=hvac_document(), reason="x"
        )
    version = submission_revise(
        actor=people.ops,
        submission=submission,
        expected_version=1,
        form_data=hvac_document(site="Tower B"),
        reason="Site name typo",
    )
    assert version.number == 2
    versions = list(SubmissionVersion.objects.filter(submission=submission).order_by("number"))
    assert [(v.number, v.author_id) for v in versions] == [(1, people.author.pk), (2, people.ops.pk)]
    assert versions[0].form_data == first_document
    submission.refresh_from_db()
    # The column follows the edited document (the module's rule), as at the first submit.
    assert (submission.site_name, submission.form_data["site_name"]) == ("Tower B", "Tower B")
    with pytest.raises(StaleVersionError):
        submission_revise(actor=people.ops, submission=submission, expected_version=1, form_data={}, reason="y")
    assert AuditLog.objects.filter(action="review_edit").count() == 1


def test_imported_records_wait_in_no_queue_until_staff_start_them(make_user: Any, staff_user: Any) -> None:
    people = team(make_user)
    legacy = Submission.objects.create(module="civil", form_data={"project_name": "Old"}, site_name="Old")
    assert review_state(legacy) == ReviewState.IMPORTED
    assert review_queue(user=people.ops)[0] == []
    with pytest.raises(ReviewNotAllowedError):
        review_start(actor=people.ops, submission=legacy)
    review_start(actor=staff_user, submission=legacy)
    assert review_state(legacy) == ReviewState.SUBMITTED
    assert len(review_queue(user=people.ops)[0]) == 1
    assert AuditLog.objects.filter(action="review_start", resource_id=legacy.pk).exists()
    with pytest.raises(ReviewStateError):
        review_start(actor=staff_user, submission=legacy)


@override_settings(INJAAZ_STORAGE_PHASE="json")
def test_json_phase_has_no_review(make_user: Any) -> None:
    people = team(make_user)
    submission = Submission.objects.create(module="civil", form_data={"project_name": "P"})
    with pytest.raises(ReviewUnavailableError, match="dual"):
        review_approve(actor=people.ops, submission=submission, expected_version=1, signature=signature_data_url())
