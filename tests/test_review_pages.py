"""Review pages and the permission matrix: for each role and state, which pages answer and which
decisions are allowed, through the views and the admin; versions and their diff."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from review.models import ReviewDecision, ReviewState, SubmissionReview, SubmissionVersion
from review.services import review_approve, review_reject, review_send_back
from tests.inspection_helpers import signature_data_url
from tests.review_helpers import file_report, stage_position, team

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _decide(user: Any, submission: Any, decision: str, **extra: Any) -> Any:
    data = {"decision": decision, "version": "1", "comment": "", "signature": "", **extra}
    return _client(user).post(f"/review/{submission.submission_id}/decide", data)


def _state(submission: Any) -> str:
    return SubmissionReview.objects.get(submission=submission).state


def test_queue_lists_what_waits_for_the_user_oldest_first(make_user: Any) -> None:
    people = team(make_user)
    first = file_report(people.author, site="First site")
    second = file_report(people.author, site="Second site")
    page = _client(people.ops).get("/review/")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index("First site") < body.index("Second site")
    assert "Ivy Inspector" in body and "HVAC &amp; MEP" in body
    assert _client(people.bd).get("/review/").content.decode().count("data-submission=") == 0
    assert _client(people.author).get("/review/").status_code == 403
    home = _client(people.ops).get("/").content.decode()
    assert "Operations manager review: <strong>2</strong>" in home
    assert first.submission_id in body and second.submission_id in body


def test_permission_matrix_of_the_views(make_user: Any, staff_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    page = f"/review/{submission.submission_id}/"
    expected_at_first_stage = {
        "author": 200,
        "ops": 200,
        "bd": 404,
        "procurement": 404,
        "gm": 404,
        "outsider": 404,
    }
    for role, status in expected_at_first_stage.items():
        assert _client(getattr(people, role)).get(page).status_code == status, role
    assert _client(staff_user).get(page).status_code == 200
    # Nobody but the ops manager may decide here; the author never decides.
    for role in ("author", "bd", "gm"):
        user = getattr(people, role)
        response = _decide(user, submission, "reject", comment="no")
        assert response.status_code in (403, 404), role
    assert not ReviewDecision.objects.exists()
    # The ops manager's page shows the decision buttons; the author's does not.
    assert b'value="approve"' in _client(people.ops).get(page).content
    assert b'value="approve"' not in _client(people.author).get(page).content

    response = _decide(people.ops, submission, "approve", signature=signature_data_url())
    assert response.status_code == 303
    assert _client(people.bd).get(page).status_code == 200
    assert _client(people.gm).get(page).status_code == 404
    assert _client(people.ops).get(page).status_code == 200, "past their stage"
    # A second approval of the same slot: a clear message, no second row.
    response = _decide(people.ops, submission, "approve", signature=signature_data_url())
    assert response.status_code in (403, 409)
    assert ReviewDecision.objects.count() == 1

    # The author's own pages show the state; inspectors never get an approve button.
    detail = _client(people.author).get(f"/submissions/{submission.submission_id}/").content.decode()
    assert "In review" in detail


def test_missing_inputs_are_clear_errors_and_lose_nothing(make_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    response = _decide(people.ops, submission, "approve")
    assert response.status_code == 409
    assert "needs your signature" in response.content.decode()
    response = _decide(people.ops, submission, "send_back", comment="")
    assert response.status_code == 409 and "comment" in response.content.decode()
    response = _decide(people.ops, submission, "approve", version="x")
    assert response.status_code == 400
    response = _decide(people.ops, submission, "approve", version="7", signature=signature_data_url())
    assert response.status_code == 409 and "now version 1" in response.content.decode()
    assert _state(submission) == ReviewState.SUBMITTED


def test_author_sees_the_send_back_and_edits_and_resubmits(make_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    review_send_back(actor=people.ops, submission=submission, expected_version=1, comment="Wrong fan named")
    author = _client(people.author)
    listing = author.get("/submissions/").content.decode()
    assert "Changes requested" in listing and "Wrong fan named" in listing and "Edit and resubmit" in listing
    detail = author.get(f"/submissions/{submission.submission_id}/").content.decode()
    assert "Wrong fan named" in detail and "Edit and resubmit" in detail
    edit = author.get(f"/review/{submission.submission_id}/edit")
    assert edit.status_code == 200
    body = edit.content.decode()
    field_name = next(
        part.split('"')[1]
        for part in body.split("name=")[1:]
        if part.startswith('"item:') and part.split('"')[1].endswith(":description")
    )
    response = author.post(
        f"/review/{submission.submission_id}/edit", {"version": "1", "reason": "Fan 2 it is", field_name: "Fan 2"}
    )
    assert response.status_code == 303
    review = SubmissionReview.objects.get(submission=submission)
    assert (review.state, review.version, stage_position(review)) == (ReviewState.IN_REVIEW, 2, 1)
    # Others cannot use the edit page; the ops manager can edit while it waits at their stage.
    assert _client(people.outsider).get(f"/review/{submission.submission_id}/edit").status_code == 404
    assert _client(people.gm).get(f"/review/{submission.submission_id}/edit").status_code == 404
    assert _client(people.ops).get(f"/review/{submission.submission_id}/edit").status_code == 200
    assert author.get(f"/review/{submission.submission_id}/edit").status_code == 403


def test_versions_keep_the_first_document_and_the_diff_lists_exactly_the_changes(make_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    first = dict(submission.form_data)
    ops = _client(people.ops)
    body = ops.get(f"/review/{submission.submission_id}/edit").content.decode()
    names = [part.split('"')[0] for part in body.split('name="')[1:]]
    site_field = next(name for name in names if name.endswith(":site_name"))
    description_field = next(name for name in names if name.endswith(":description"))
    response = ops.post(
        f"/review/{submission.submission_id}/edit",
        {"version": "1", "reason": "Typos", site_field: "Tower A1", description_field: "Fan 1 (roof)"},
    )
    assert response.status_code == 303
    versions = list(SubmissionVersion.objects.filter(submission=submission).order_by("number"))
    assert [version.number for version in versions] == [1, 2]
    assert versions[0].form_data == first
    page = ops.get(f"/review/{submission.submission_id}/versions/2/")
    assert page.status_code == 200
    changes = page.content.decode().split("data-changes")[1].split("</table>")[0]
    assert changes.count("data-path=") == 2
    assert 'data-path="site_name"' in changes and 'data-path="items.1.description"' in changes
    assert "Tower A1" in changes and "Fan 1 (roof)" in changes
    old = ops.get(f"/review/{submission.submission_id}/versions/1/")
    assert old.status_code == 200 and "Tower A" in old.content.decode()
    assert _client(people.outsider).get(f"/review/{submission.submission_id}/versions/1/").status_code == 404


def test_staff_reopen_through_the_page(make_user: Any, staff_user: Any) -> None:
    people = team(make_user)
    submission = file_report(people.author)
    review_reject(actor=people.ops, submission=submission, expected_version=1, reason="Duplicate")
    page = f"/review/{submission.submission_id}/"
    assert b"Reopen at" in _client(staff_user).get(page).content
    assert _client(people.ops).post(f"{page}reopen", {"comment": "x"}).status_code == 403
    assert _client(staff_user).post(f"{page}reopen", {"comment": ""}).status_code == 400
    assert _client(staff_user).post(f"{page}reopen", {"comment": "Not a duplicate"}).status_code == 303
    assert _state(submission) == ReviewState.IN_REVIEW


def test_admin_filters_inline_and_put_into_review(make_user: Any, staff_user: Any) -> None:
    from submissions.models import Submission

    people = team(make_user)
    waiting = file_report(people.author, site="Waiting site")
    approved = file_report(people.author, site="Approved site")
    for actor, signed in ((people.ops, True), (people.bd, False), (people.procurement, False), (people.gm, True)):
        review_approve(
            actor=actor, submission=approved, expected_version=1, signature=signature_data_url() if signed else ""
        )
    legacy = Submission.objects.create(module="civil", form_data={"project_name": "Old"}, site_name="Legacy site")
    admin = _client(staff_user)
    for state, present, absent in (
        ("approved", "Approved site", "Waiting site"),
        ("submitted", "Waiting site", "Approved site"),
        ("imported", "Legacy site", "Waiting site"),
    ):
        body = admin.get(f"/admin/submissions/submission/?review_state={state}").content.decode()
        assert present in body and absent not in body, state
    stage_id = SubmissionReview.objects.get(submission=waiting).stage_id
    body = admin.get(f"/admin/submissions/submission/?review_stage={stage_id}").content.decode()
    assert "Waiting site" in body and "Approved site" not in body
    change = admin.get(f"/admin/submissions/submission/{approved.pk}/change/").content.decode()
    assert "Grace General" in change and "review decisions" in change.lower()
    response = admin.post(
        "/admin/submissions/submission/", {"action": "put_into_review", "_selected_action": [legacy.pk, waiting.pk]}
    )
    assert response.status_code == 302
    assert SubmissionReview.objects.get(submission=legacy).state == ReviewState.SUBMITTED
    # Reviewers without staff status do not get into the admin.
    assert _client(people.ops).get("/admin/submissions/submission/").status_code == 302


def test_json_phase_pages_say_review_is_unavailable(make_user: Any, settings: Any) -> None:
    people = team(make_user)
    settings.INJAAZ_STORAGE_PHASE = "json"
    response = _client(people.ops).get("/review/")
    assert response.status_code == 503 and b"dual" in response.content
