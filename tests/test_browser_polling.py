"""The submission page's status polling, in Debian's Chromium: it sends the ETag back, waits
longer while nothing changes (1 s, 2 s, then 5 s), and stops once the job has ended."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from jobs.models import Job, JobStatus
from submissions.services import submission_create
from tests.jobs_support import hvac_document
from tests.system_requirements import require_chromium

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_context(live_server: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium_path = require_chromium()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's ORM calls beside Playwright's loop
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=chromium_path, args=FLAGS)
            try:
                context = chromium.new_context(viewport={"width": 360, "height": 740})
                yield context
                context.close()
            finally:
                chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def test_the_page_backs_off_while_nothing_changes_and_stops_when_the_job_ends(
    browser_context: Any, live_server: Any, inspector: Any
) -> None:
    submission = submission_create(
        actor=inspector, module="hvac_mep", form_data=hvac_document("sub_00000017b001", items=1, photos_per_item=0)
    )
    job = Job.objects.get(submission=submission)
    client = Client()
    client.force_login(inspector)
    browser_context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    polls: list[tuple[float, int, str | None]] = []  # (time, status, If-None-Match sent)

    def seen(response: Any) -> None:
        if response.url.endswith(f"/jobs/{job.job_id}/status"):
            polls.append((time.monotonic(), response.status, response.request.headers.get("if-none-match")))

    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", seen)
    page.goto(f"{live_server.url}/submissions/{submission.submission_id}/")

    deadline = time.monotonic() + 30
    while len(polls) < 4 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert len(polls) >= 4, polls
    first, *unchanged = polls[:4]
    assert first[1] == 200 and first[2] is None
    etag = f'"{job.job_id}.started.0.1"'
    assert all(status == 304 and sent == etag for _, status, sent in unchanged), polls
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(polls[:4])]
    for gap, expected in zip(gaps, (1, 2, 5), strict=True):
        assert expected - 0.3 <= gap <= expected + 1.5, gaps

    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error_message="Storage was unavailable")
    page.locator("[data-job][data-status='failed']").wait_for(timeout=10_000)
    assert "Storage was unavailable" in page.locator("[data-job-text]").inner_text()
    ended = len(polls)
    page.wait_for_timeout(6_000)  # longer than the longest wait: no poll after the end
    assert len(polls) == ended and polls[-1][1] == 200
    assert errors == []
