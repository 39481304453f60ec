"""One browser test per module, in Debian's Chromium driven by Playwright: log in, fill the form,
add a photo, draw a signature, submit, follow the report job to done, download the PDF.

The report job is run by the worker command itself (``run_worker --batch``) while the page polls.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from jobs.selectors import job_latest_for_submission
from submissions.inspector.views import job_status_url
from submissions.models import Submission, UploadedFile
from tests.inspection_helpers import hvac_taxonomy_seed, image_bytes
from tests.system_requirements import require_chromium

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium_path = require_chromium()
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls are
    # still synchronous, so Django may run them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser: Any, live_server: Any, make_user: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 412, "height": 915}, accept_downloads=True)  # a phone
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.base_url = live_server.url
    page.inspector = make_user("inspector")
    page.js_errors = errors
    try:
        yield page
    finally:
        # Leave the page first and let the live server finish what it was answering (a status
        # poll, a photo): closing the context mid-request can leave the server thread inside a
        # transaction, and on SQLite's shared in-memory test database that locks every later test.
        page.goto("about:blank")
        page.wait_for_timeout(500)
        context.close()
    assert errors == [], f"JavaScript errors: {errors}"


IMAGE_LOADED = """img => img.complete ? img.naturalWidth > 0 : new Promise(resolve => {
    img.addEventListener("load", () => resolve(img.naturalWidth > 0));
    img.addEventListener("error", () => resolve(false));
})"""


def image_loaded(image: Any) -> bool:
    return bool(image.evaluate(IMAGE_LOADED))


def log_in(page: Any) -> None:
    page.goto(page.base_url + "/accounts/login/")
    page.fill("input[name=username]", page.inspector.email)
    page.fill("input[name=password]", page.inspector.raw_password)
    page.click("main button[type=submit]")
    page.wait_for_url(page.base_url + "/")


def add_photo(page: Any, input_name: str, name: str = "site.jpg") -> None:
    container = page.locator(f"[data-photos]:has(input[name='{input_name}'])")
    before = container.locator(".thumbs li").count()
    page.set_input_files(
        f"input[name='{input_name}']",
        files=[{"name": name, "mimeType": "image/jpeg", "buffer": image_bytes(size=(640, 480))}],
    )
    container.locator(".thumbs li[data-id]").nth(
        before
    ).wait_for()  # its place is taken at once; the id comes when stored
    assert image_loaded(container.locator(".thumbs img").nth(before)), "the uploaded photo's thumbnail did not load"


def draw_signature(page: Any, field: str) -> None:
    canvas = page.locator(f"canvas[data-pad='{field}']")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"] + box["height"] / 2
    page.mouse.move(x + 20, y)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + 20 + step * 20, y + (15 if step % 2 else -15), steps=3)
    page.mouse.up()
    value = page.locator(f"input[name='{field}']").input_value()
    assert value.startswith("data:image/png;base64,")


def submit_and_land(page: Any, module: str) -> Submission:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.click("form[data-inspection-form] button[type=submit]")
    try:
        page.wait_for_url(re.compile(r".*/submissions/sub_[0-9a-f]{12}/$"))
    except PlaywrightTimeout:
        problems = page.locator(".error, .problem, .errors").all_inner_texts()
        raise AssertionError(f"the form did not land on its submission page: {problems}") from None
    submission_id = page.url.rstrip("/").rsplit("/", 1)[1]
    submission = Submission.objects.get(submission_id=submission_id)
    assert submission.module == module and submission.user == page.inspector
    # The page shows the stored photo and signature (through the permission-checked file view).
    for image in page.locator("main img").all():
        assert image_loaded(image), image.get_attribute("src")
    return submission


def follow_job_and_download_pdf(page: Any, submission: Submission) -> None:
    """The page polls the job's status; the worker (the real ``run_worker`` command, here in the
    test's process with ``--batch``) takes the queued task; the page reaches done; the PDF downloads."""
    job = job_latest_for_submission(submission_id=submission.submission_id)
    assert job is not None and job.status == "started"
    status_url = job_status_url(job.job_id)
    assert page.locator("[data-job]").get_attribute("data-status-url") == status_url
    assert "Waiting for the report worker" in page.locator("[data-job-text]").inner_text()
    call_command("run_worker", "--batch", "--no-startup-delay", "--reap-interval", "0", verbosity=0)
    page.locator("[data-job][data-status='done']").wait_for(timeout=60_000)
    assert page.locator("[data-job] progress").evaluate("bar => bar.value") == 100
    assert page.locator("[data-job-text]").inner_text() == "Reports ready."
    with page.expect_download() as download_info:
        page.click("[data-download='Download PDF']")
    download = download_info.value
    assert download.suggested_filename == f"{submission.module}_{submission.submission_id}.pdf"
    assert Path(download.path()).read_bytes()[:5] == b"%PDF-"


@pytest.mark.django_db(transaction=True)
def test_hvac_mep_in_the_browser(page: Any) -> None:
    hvac_taxonomy_seed()
    log_in(page)
    page.click("text=New HVAC & MEP inspection")
    page.fill("input[name=site_name]", "Tower A")
    page.fill("input[name=visit_date]", "2025-12-20")
    page.select_option("select[name='items-0-asset']", "HVAC")
    page.select_option("select[name='items-0-system']", "Chiller Evaporator")
    page.select_option("select[name='items-0-description']", "Chiller")  # offered from the taxonomy
    add_photo(page, "items-0-photos")
    page.click("[data-add-item]")
    page.select_option("select[name='items-1-asset']", "Lights")
    page.select_option("select[name='items-1-system']", "Lamps")
    page.select_option("select[name='items-1-description']", "Lamps")
    add_photo(page, "items-1-photos", "lamp.jpg")
    draw_signature(page, "tech_signature")
    submission = submit_and_land(page, "hvac_mep")
    items = submission.form_data["items"]
    assert [(i["asset"], i["system"], i["description"], len(i["photos"])) for i in items] == [
        ("HVAC", "Chiller Evaporator", "Chiller", 1),
        ("Lights", "Lamps", "Lamps", 1),
    ]
    assert submission.form_data["tech_signature"]["name"].startswith("signatures/")
    assert submission.form_data["opMan_signature"] is None
    follow_job_and_download_pdf(page, submission)


@pytest.mark.django_db(transaction=True)
def test_civil_in_the_browser(page: Any) -> None:
    log_in(page)
    page.click("text=New civil works report")
    page.fill("input[name=project_name]", "Marina Villa")
    page.fill("input[name=location]", "Block 3")
    page.fill("input[name=visit_date]", "2025-12-20")
    page.fill("input[name='work-0-description']", "Patch plaster")
    page.fill("input[name='work-0-quantity']", "3")
    page.fill("input[name='work-0-price']", "120.50")
    add_photo(page, "work-0-photos", "crack.jpg")
    page.click("[data-add-item]")
    page.fill("input[name='work-1-description']", "Repaint")
    page.fill("input[name='work-1-quantity']", "1")
    draw_signature(page, "inspector_signature")
    draw_signature(page, "manager_signature")
    submission = submit_and_land(page, "civil")
    work = submission.form_data["work_items"]
    assert [(w["description"], w["quantity"], len(w["photos"])) for w in work] == [
        ("Patch plaster", "3", 1),
        ("Repaint", "1", 0),
    ]
    assert submission.form_data["location"] == "Block 3"
    assert UploadedFile.objects.filter(submission=submission, file_type="signature").count() == 2
    follow_job_and_download_pdf(page, submission)


@pytest.mark.django_db(transaction=True)
def test_cleaning_in_the_browser(page: Any) -> None:
    log_in(page)
    page.click("text=New cleaning assessment")
    page.fill("input[name=client_name]", "Emaar")
    page.fill("input[name=project_name]", "Creek Tower")
    page.fill("input[name=date_of_visit]", "2025-12-20")
    page.fill("input[name=room_count]", "twelve")  # a mistake first: the form comes back with it
    page.check("input[name=scope_offices]")
    page.select_option("select[name=deep_clean_required]", "Yes")
    add_photo(page, "photos", "lobby.jpg")
    draw_signature(page, "contact_signature")
    page.click("form[data-inspection-form] button[type=submit]")
    page.locator("[data-error-for='room_count']").wait_for()
    assert page.locator("[data-error-for='room_count']").inner_text() == "Enter a number."
    # The technician's signature is required (issue 13); the first error has the focus.
    assert "Technician signature is required" in page.locator("[data-error-for='tech_signature']").inner_text()
    assert page.evaluate("document.activeElement.name") == "room_count"
    # Everything else survived the round trip: fields, the uploaded photo, the signature.
    assert page.input_value("input[name=client_name]") == "Emaar"
    assert page.locator("[data-photos] .thumbs li").count() == 1
    assert page.input_value("input[name=contact_signature]").startswith("data:image/png;base64,")
    page.fill("input[name=room_count]", "12")
    draw_signature(page, "tech_signature")
    submission = submit_and_land(page, "cleaning")
    document = submission.form_data
    assert (document["room_count"], document["scope_offices"], document["deep_clean_required"]) == ("12", "True", "Yes")
    assert len(document["photos"]) == 1 and document["contact_signature"]["name"].startswith("signatures/")
    assert document["tech_signature"]["name"].startswith("signatures/")
    follow_job_and_download_pdf(page, submission)


IN_VIEW = """element => {
    const box = element.getBoundingClientRect();
    return box.top >= 0 && box.bottom <= window.innerHeight;
}"""


@pytest.mark.django_db(transaction=True)
def test_a_refused_submit_focuses_the_first_error_and_keeps_values_photos_and_signatures(page: Any) -> None:
    """An empty HVAC item and no technician's signature are refused (issue 13): the page shows
    each error next to its field, focuses the first one (scrolled into view) and keeps the rest."""
    hvac_taxonomy_seed()
    log_in(page)
    page.goto(page.base_url + "/hvac-mep/form")
    page.fill("input[name=site_name]", "Tower A")
    page.fill("input[name=visit_date]", "2025-12-20")
    page.select_option("select[name='items-0-asset']", "Lights")
    page.select_option("select[name='items-0-system']", "Lamps")  # no description chosen
    add_photo(page, "items-0-photos", "lamp.jpg")
    draw_signature(page, "opman_signature")  # the manager signs; the technician forgets
    page.click("form[data-inspection-form] button[type=submit]")
    page.locator("[data-error-for='items-0-description']").wait_for()
    assert page.locator("[data-error-for='items-0-description']").inner_text() == "This field is required."
    assert "Technician signature is required" in page.locator("[data-error-for='tech_signature']").inner_text()
    focused = page.locator(":focus")
    assert focused.get_attribute("name") == "items-0-description"
    assert focused.evaluate(IN_VIEW), "the first error is not scrolled into view"
    # Every typed value, the photo and the drawn signature are still there.
    assert page.input_value("input[name=site_name]") == "Tower A"
    assert page.input_value("select[name='items-0-system']") == "Lamps"
    assert page.locator("[data-photos] .thumbs li").count() == 1
    assert image_loaded(page.locator("[data-photos] .thumbs img").first)
    assert page.input_value("input[name=opman_signature]").startswith("data:image/png;base64,")
    assert Submission.objects.count() == 0
    page.select_option("select[name='items-0-description']", "Lamps")
    draw_signature(page, "tech_signature")
    submission = submit_and_land(page, "hvac_mep")
    document = submission.form_data
    assert [(i["description"], len(i["photos"])) for i in document["items"]] == [("Lamps", 1)]
    assert document["opMan_signature"]["name"].startswith("signatures/")
    assert document["tech_signature"]["name"].startswith("signatures/")


@pytest.mark.django_db(transaction=True)
def test_photos_keep_the_order_they_were_picked_in_whichever_upload_finishes_first(page: Any) -> None:
    """Three photos picked at once upload three at a time; the first one's upload is held back
    until the other two are stored, so it gets the highest id, and still comes first everywhere."""
    hvac_taxonomy_seed()
    held: list[Any] = []

    def hold_the_first_upload(route: Any) -> None:
        if not held:
            held.append(route)  # answered below, after the others
        else:
            route.continue_()

    log_in(page)
    page.click("text=New HVAC & MEP inspection")
    page.route("**/upload-photo", hold_the_first_upload)
    page.fill("input[name=site_name]", "Tower A")
    page.fill("input[name=visit_date]", "2025-12-20")
    page.select_option("select[name='items-0-asset']", "HVAC")
    page.select_option("select[name='items-0-system']", "Chiller Evaporator")
    page.select_option("select[name='items-0-description']", "Chiller")
    picked = ["red", "green", "blue"]
    page.set_input_files(
        "input[name='items-0-photos']",
        files=[
            {"name": f"{color}.jpg", "mimeType": "image/jpeg", "buffer": image_bytes(size=(320, 240), color=color)}
            for color in picked
        ],
    )
    thumbs = page.locator("[data-photos] .thumbs li")
    page.wait_for_function("() => document.querySelectorAll('[data-photos] .thumbs li[data-id]').length === 2")
    assert held and thumbs.count() == 3 and thumbs.nth(0).get_attribute("data-id") is None  # its place is kept
    held[0].continue_()
    page.wait_for_function("() => document.querySelectorAll('[data-photos] .thumbs li[data-id]').length === 3")
    rows = {row.original_filename: row for row in UploadedFile.objects.filter(file_type="photo")}
    in_pick_order = [rows[f"{color}.jpg"] for color in picked]
    assert in_pick_order[0].pk > in_pick_order[2].pk  # the first picked was stored last
    expected_ids = ",".join(str(row.pk) for row in in_pick_order)
    assert page.input_value("input[name='items-0-photo_ids']") == expected_ids
    draw_signature(page, "tech_signature")
    submission = submit_and_land(page, "hvac_mep")
    stored = [photo["name"] for photo in submission.form_data["items"][0]["photos"]]
    assert stored == [row.storage_name for row in in_pick_order]
    shown = [
        src.rsplit("/files/", 1)[1]
        for src in page.locator(".injaaz-document .doc-thumbs img").evaluate_all(
            "i => i.map(x => x.getAttribute('src'))"
        )
    ]
    assert shown == stored


NO_OVERFLOW = """node => node.scrollWidth <= node.clientWidth + 1"""


@pytest.mark.django_db(transaction=True)
def test_a_submission_reads_on_a_360_px_phone_for_the_inspector_and_the_admin(page: Any, make_user: Any) -> None:
    from tests.jobs_support import civil_document

    document = civil_document("sub_0000000d0360")
    document["description_of_work"] = "A long description without spaces " + "x" * 200
    Submission.objects.create(
        submission_id="sub_0000000d0360", module="civil", site_name="Villa 12", form_data=document, user=page.inspector
    )
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page)
    page.goto(page.base_url + "/submissions/sub_0000000d0360/")
    block = page.locator(".injaaz-document")
    assert block.locator("table.doc-item").count() == 2
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert block.evaluate(NO_OVERFLOW)
    for table in block.locator("table.doc-item").all():
        assert table.evaluate(NO_OVERFLOW) and table.bounding_box()["width"] <= 360
    if os.environ.get("INJAAZ_SCREENSHOTS"):
        page.screenshot(path=os.environ["INJAAZ_SCREENSHOTS"] + "/inspector-360.png", full_page=True)
    staff = make_user("admin", is_staff=True, is_superuser=True)
    page.context.clear_cookies()
    page.goto(page.base_url + "/admin/login/")
    page.fill("input[name=username]", staff.email)
    page.fill("input[name=password]", staff.raw_password)
    page.click("input[type=submit]")
    page.goto(page.base_url + f"/admin/submissions/submission/{Submission.objects.get().pk}/change/")
    block = page.locator(".injaaz-document")
    assert block.locator("table.doc-item").count() == 2
    assert block.evaluate(NO_OVERFLOW) and block.bounding_box()["width"] <= 360
    if os.environ.get("INJAAZ_SCREENSHOTS"):
        page.screenshot(path=os.environ["INJAAZ_SCREENSHOTS"] + "/admin-360.png", full_page=True)


@pytest.mark.django_db(transaction=True)
def test_the_forms_fit_a_360_px_phone_empty_and_after_a_refused_submit(page: Any) -> None:
    """A fieldset's default min-width is its content's, so a long select option or the photo picker
    widened HVAC items and Civil rows past the screen (397 px on a 360 px phone)."""
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page)
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    for prefix in ("hvac-mep", "civil", "cleaning"):
        page.goto(page.base_url + f"/{prefix}/form")
        assert page.evaluate(fits), prefix
        page.locator("form[method=post][enctype] button[type=submit]").last.click()
        page.wait_for_load_state("load")
        assert page.locator(".error").count() > 0, prefix  # refused: the errors are on the page
        assert page.evaluate(fits), f"{prefix} after a refused submit"
