"""One HVAC report through every review stage in Debian's Chromium, five people on a phone-sized
screen: the author files it, the operations manager signs and approves, business development
approves, procurement sends it back, the author edits and resubmits, both approve, the general
manager signs the final approval; the final PDF's approval page shows four signatures and names.
"""

from __future__ import annotations

import io
import re
from typing import Any, cast

import pypdf
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from pypdf.generic import ContentStream, DictionaryObject

from jobs.models import Job, JobStatus
from review.models import ReviewState, SubmissionReview
from submissions.models import Submission
from tests.inspection_helpers import hvac_taxonomy_seed
from tests.review_helpers import team
from tests.test_browser_inspections import browser, draw_signature  # noqa: F401 - browser: the fixture

pytestmark = pytest.mark.browser


def _session(chromium: Any, live_server: Any, user: Any, errors: list[str]) -> Any:
    context = chromium.new_context(viewport={"width": 360, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", user.raw_password)
    page.click("main button[type=submit]")
    page.wait_for_url(live_server.url + "/")
    page.base_url = live_server.url
    return page


def _open_from_queue(page: Any, submission: Submission) -> None:
    page.goto(page.base_url + "/")
    page.click("text=To review")
    page.click(f"tr[data-submission='{submission.submission_id}'] a")
    page.wait_for_url(re.compile(rf".*/review/{submission.submission_id}/$"))


def _decide(page: Any, decision: str, *, comment: str = "", sign: bool = True) -> None:
    if comment:
        page.fill("form.decision textarea[name=comment]", comment)
    if sign:
        draw_signature(page, "signature")
    page.click(f"form.decision button[value={decision}]")
    page.locator("ul.messages").wait_for()


def _drawn_images(page: pypdf.PageObject) -> int:
    """How many images the page's content stream paints: WeasyPrint gives every page one shared
    resource dictionary, so ``page.images`` lists the whole document's images on each page."""
    xobjects = cast(DictionaryObject, page["/Resources"].get_object()).get("/XObject", {})
    images = {name for name, xobject in xobjects.items() if xobject.get_object()["/Subtype"] == "/Image"}
    operations = ContentStream(page.get_contents(), page.pdf).operations
    return sum(1 for operands, operator in operations if operator == b"Do" and operands[0] in images)


def _state(submission: Submission) -> tuple[str, int | None]:
    review = SubmissionReview.objects.select_related("stage").get(submission=submission)
    return review.state, review.stage.position if review.stage else None


@pytest.mark.django_db(transaction=True)
def test_one_report_through_every_stage(browser: Any, live_server: Any, make_user: Any) -> None:  # noqa: F811
    hvac_taxonomy_seed()
    people = team(make_user)
    errors: list[str] = []
    pages = {
        role: _session(browser, live_server, getattr(people, role), errors)
        for role in ("author", "ops", "bd", "procurement", "gm")
    }

    author = pages["author"]
    author.click("text=New HVAC & MEP inspection")
    author.fill("input[name=site_name]", "Tower A")
    author.fill("input[name=visit_date]", "2025-12-20")
    author.select_option("select[name='items-0-asset']", "HVAC")
    author.select_option("select[name='items-0-system']", "Chiller Evaporator")
    author.select_option("select[name='items-0-description']", "Chiller")
    draw_signature(author, "tech_signature")  # required on every module (issue 13)
    author.click("form[data-inspection-form] button[type=submit]")
    author.wait_for_url(re.compile(r".*/submissions/sub_[0-9a-f]{12}/$"))
    submission = Submission.objects.get(submission_id=author.url.rstrip("/").rsplit("/", 1)[1])
    assert "Submitted" in author.locator("[data-state]").inner_text()
    assert _state(submission) == (ReviewState.SUBMITTED, 1)

    # The general manager cannot see it yet; the operations manager finds it in their queue.
    assert pages["gm"].goto(f"{live_server.url}/review/{submission.submission_id}/").status == 404
    _open_from_queue(pages["ops"], submission)
    pages["ops"].click("form.decision button[value=approve]")  # no signature: refused, nothing lost
    assert "needs your signature" in pages["ops"].locator(".problem").inner_text()
    _decide(pages["ops"], "approve", comment="Checked on site")
    assert _state(submission) == (ReviewState.IN_REVIEW, 2)

    _open_from_queue(pages["bd"], submission)
    _decide(pages["bd"], "approve")
    _open_from_queue(pages["procurement"], submission)
    _decide(pages["procurement"], "send_back", comment="Name the chiller's unit number", sign=False)
    assert _state(submission) == (ReviewState.CHANGES_REQUESTED, 2)

    author.goto(live_server.url + "/submissions/")
    row = author.locator(f"tr[data-submission='{submission.submission_id}']")
    assert "Changes requested" in row.inner_text() and "Name the chiller's unit number" in row.inner_text()
    row.locator("text=Edit and resubmit").click()
    author.fill("input[name$=':description']", "Chiller CH-2")
    author.fill("input[name=reason]", "Unit number added")
    author.click("form.edit button[type=submit]")
    author.locator("ul.messages").wait_for()
    assert _state(submission) == (ReviewState.IN_REVIEW, 2)

    for role in ("bd", "procurement"):
        _open_from_queue(pages[role], submission)
        assert "Chiller CH-2" in pages[role].locator("main").inner_text()
        _decide(pages[role], "approve")
    assert _state(submission) == (ReviewState.IN_REVIEW, 3)
    _open_from_queue(pages["gm"], submission)
    _decide(pages["gm"], "approve", comment="Final approval")
    assert _state(submission) == (ReviewState.APPROVED, None)
    author.goto(f"{live_server.url}/submissions/{submission.submission_id}/")
    assert "Approved" in author.locator("[data-state]").inner_text()

    call_command("run_worker", "--batch", "--no-startup-delay", "--reap-interval", "0", verbosity=0)
    final = Job.objects.filter(submission=submission).order_by("-created_at", "-id").first()
    assert final is not None and final.status == JobStatus.DONE, final and final.error_message
    name = f"reports/{final.job_id}/{final.pdf_url.rsplit('/', 1)[1]}"
    with default_storage.open(name, "rb") as handle:
        pdf_pages = pypdf.PdfReader(io.BytesIO(handle.read())).pages
    assert sum(_drawn_images(pdf_page) for pdf_page in pdf_pages[:-1]) == 1, "the technician's signature"
    page = pdf_pages[-1]
    text = page.extract_text()
    assert "Version 2" in text
    for signer in ("Omar Ops", "Bilal Business", "Priya Procurement", "Grace General"):
        assert signer in text, signer
    assert _drawn_images(page) == 4, "the four approvals' signatures"
    assert errors == [], f"JavaScript errors: {errors}"
