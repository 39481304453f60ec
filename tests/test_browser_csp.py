"""The Content-Security-Policy holds in a real browser: every inspector page and the admin load in
Chromium without one violation (console message or ``securitypolicyviolation`` event), and a photo
upload and a drawn signature work under it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin

from jobs.models import Job
from submissions.services import submission_create
from tests.inspection_helpers import hvac_taxonomy_seed, image_bytes
from tests.jobs_support import hvac_document
from tests.system_requirements import require_chromium

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Runs before any page script (Playwright injects it outside the page's policy).
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} (${where})`);
});
"""

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium_path = require_chromium()
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the test's own ORM calls beside Playwright's loop
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Watched:
    """A logged-in browser page that collects every CSP violation it sees."""

    def __init__(self, browser: Any, base_url: str, user: Any) -> None:
        self.context = browser.new_context(viewport={"width": 412, "height": 915})
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(WATCH_VIOLATIONS)
        self.page = self.context.new_page()
        self.base_url = base_url
        self.console: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))
        self.page.goto(f"{base_url}/accounts/login/")
        self.page.fill("input[name=username]", user.email)
        self.page.fill("input[name=password]", user.raw_password)
        self.page.click("main button[type=submit]")
        self.page.wait_for_url(f"{base_url}/")

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        return [*self.console, *self.page.evaluate("window.__cspViolations || []")]

    def visit(self, path: str) -> list[str]:
        """Load ``path`` and let it settle; every violation so far, with the page's path."""
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        assert "script-src 'self'" in response.headers["content-security-policy"]
        self.page.wait_for_load_state("load")  # scripts, styles and images are in; not "networkidle":
        self.page.wait_for_timeout(200)  # a polling page is never idle. Then let its scripts run.
        return [f"{path}: {violation}" for violation in self.violations()]


@pytest.fixture
def records(make_user: Any) -> dict[str, Any]:
    hvac_taxonomy_seed()
    inspector = make_user("inspector")
    submission = submission_create(actor=inspector, module="hvac_mep", form_data=hvac_document("sub_0000000c5901"))
    return {"inspector": inspector, "submission": submission, "job": Job.objects.get(submission=submission)}


def test_the_watch_catches_an_inline_style_and_an_inline_script(browser: Any, live_server: Any, records: Any) -> None:
    watched = Watched(browser, live_server.url, records["inspector"])
    assert watched.visit("/") == []
    watched.page.evaluate("document.body.setAttribute('style', 'color: red')")  # an inline style attribute
    watched.page.evaluate(
        "const s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.append(s)"
    )
    watched.page.wait_for_timeout(300)
    found = watched.violations()
    assert any("style-src" in line for line in found) and any("script-src" in line for line in found), found
    assert watched.page.evaluate("window.ran") is None
    watched.context.close()


def test_every_inspector_page_loads_without_a_violation(browser: Any, live_server: Any, records: Any) -> None:
    watched = Watched(browser, live_server.url, records["inspector"])
    submission_id = records["submission"].submission_id
    found: list[str] = []
    for path in (
        "/",
        "/hvac-mep/form",
        "/civil/form",
        "/cleaning/form",
        "/submissions/",
        f"/submissions/{submission_id}/",
        "/accounts/password/change/",
    ):
        found += watched.visit(path)

    # A photo and a signature under the policy: the thumbnail (blob:/self) and the pad (data:).
    watched.visit("/hvac-mep/form")
    photo_input = watched.page.locator("input[type=file]").first
    photo_input.set_input_files(
        files=[{"name": "site.jpg", "mimeType": "image/jpeg", "buffer": image_bytes(size=(640, 480))}]
    )
    watched.page.locator(".thumbs li[data-id]").first.wait_for()
    canvas = watched.page.locator("canvas[data-pad]").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    watched.page.mouse.move(box["x"] + 20, box["y"] + 20)
    watched.page.mouse.down()
    watched.page.mouse.move(box["x"] + 120, box["y"] + 40, steps=5)
    watched.page.mouse.up()
    watched.page.wait_for_timeout(300)
    found += [f"/hvac-mep/form (photo, signature): {line}" for line in watched.violations()]
    watched.context.close()

    anonymous = browser.new_context()
    anonymous.add_init_script(WATCH_VIOLATIONS)
    page = anonymous.new_page()
    for path in ("/accounts/login/", "/accounts/password/reset/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        found += [f"{path}: {line}" for line in page.evaluate("window.__cspViolations")]
    anonymous.close()
    assert found == [], "\n".join(found)


def test_the_admin_loads_without_a_violation(browser: Any, live_server: Any, records: Any, staff_user: Any) -> None:
    watched = Watched(browser, live_server.url, staff_user)
    found = watched.visit("/admin/")
    for model in admin.site._registry:
        changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        found += watched.visit(changelist)
    found += watched.visit(f"/admin/submissions/submission/{records['submission'].pk}/change/")
    found += watched.visit(f"/admin/jobs/job/{records['job'].pk}/change/")
    found += watched.visit(f"/admin/accounts/user/{records['inspector'].pk}/change/")
    found += watched.visit("/admin/accounts/user/add/")
    watched.context.close()
    assert found == [], "\n".join(found)
