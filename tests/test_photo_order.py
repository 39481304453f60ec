"""Photos keep the order the inspector picked them in: the submission page, the PDF, the workbook.

The photos' names sort differently from the order they were picked in (blue, red, green), so an
order by name, id or upload time would show. The browser side (uploads finishing out of order)
is ``test_browser_inspections.test_photos_keep_the_order_they_were_picked_in_…``.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import openpyxl
import pypdf
import pytest
from django.test import Client

from jobs.reports.files import ReportFiles
from jobs.reports.render import render_reports
from submissions.legacy.normalize import normalize_submission
from submissions.models import Submission
from tests.inspection_helpers import image_bytes
from tests.jobs_support import hvac_document, stored_photo
from tests.system_requirements import require_report_fonts

pytestmark = pytest.mark.django_db

PICKED = ("blue", "red", "green")
COLOURS = {"blue": (0, 0, 255), "red": (255, 0, 0), "green": (0, 128, 0)}
SUBMISSION_ID = "sub_0000000a0de1"


def _document() -> dict[str, Any]:
    document = hvac_document(SUBMISSION_ID, items=1, photos_per_item=0)
    document["items"][0]["photos"] = [
        stored_photo(f"photos/{colour}.jpg", image_bytes(size=(300, 200), color=colour)) for colour in PICKED
    ]
    return document


def _nearest_colour(pixel: tuple[int, ...]) -> str:
    return min(COLOURS, key=lambda name: sum(abs(a - b) for a, b in zip(COLOURS[name], pixel, strict=False)))


def _drawn_photo_colours(pdf: bytes) -> list[str]:
    """The colours of the PDF's photos in the order the pages draw them (content stream ``Do``)."""
    colours = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        images = {image.name.rsplit(".", 1)[0]: image for image in page.images}
        contents = page.get_contents()
        assert contents is not None
        for name in re.findall(rb"/([A-Za-z0-9_.]+)\s+Do\b", contents.get_data()):
            image = images.get(name.decode())
            picture = image.image if image is not None else None
            if picture is not None and picture.size == (300, 200):
                pixel = picture.convert("RGB").getpixel((150, 100))
                assert isinstance(pixel, tuple)
                colours.append(_nearest_colour(pixel))
    return colours


def test_the_reports_keep_the_picked_order() -> None:
    require_report_fonts()
    document = _document()
    files = ReportFiles.for_document(document)
    reports = render_reports(
        normalize_submission(document, stem=SUBMISSION_ID),
        files.open,
        job_id="job_0000000000aa",
        generated_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC),
        photo_link=files.download_link,
    )
    names = [photo["name"] for photo in document["items"][0]["photos"]]
    assert [name.split("/")[1].split("_")[0].split(".")[0] for name in names] == list(PICKED)
    assert [photo.reference for photo in reports.content.all_photos] == [f"/media/{name}" for name in names]
    photos = openpyxl.load_workbook(io.BytesIO(reports.excel))["Photos"]
    links = [row[2] for row in photos.iter_rows(min_row=2, values_only=True)]
    assert links == [f"http://testserver/files/{name}" for name in names]
    assert _drawn_photo_colours(reports.pdf) == list(PICKED)


def test_the_submission_page_keeps_the_picked_order(client: Client, inspector: Any) -> None:
    document = _document()
    Submission.objects.create(
        submission_id=SUBMISSION_ID, module="hvac_mep", site_name="Tower", form_data=document, user=inspector
    )
    client.force_login(inspector)
    html = client.get(f"/submissions/{SUBMISSION_ID}/").content.decode()
    shown = re.findall(r'<img src="/files/(photos/[\w.]+)"', html)
    assert shown == [photo["name"] for photo in document["items"][0]["photos"]]
