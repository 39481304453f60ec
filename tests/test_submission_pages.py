"""The admin's and the inspector's submission pages: one partial, built from the declaration.

Labelled sections in form order, items as small tables, photos in the order taken, signatures
as images, yes/no as "Yes"/"No", empty values "—", no raw keys, and what an older shape carried
beyond the module's fields under "Other details".
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from submissions.models import Submission
from tests.jobs_support import civil_document, cleaning_document, hvac_document, signature_data_url
from tests.legacy_samples import GENERATED

pytestmark = pytest.mark.django_db


def _document_html(html: str) -> str:
    """The ``injaaz-document`` block of a page (the partial's output)."""
    start = html.index('<div class="injaaz-document">')
    depth, position = 0, start
    for match in re.finditer(r"<(/?)div\b", html[start:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            position = start + match.end()
            break
    return html[start : html.index(">", position) + 1]


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()


def _save(document: dict[str, Any], module: str, user: Any, submission_id: str) -> Submission:
    return Submission.objects.create(
        submission_id=submission_id, module=module, site_name="Site", form_data=document, user=user
    )


@pytest.fixture
def staff_client(client: Client, staff_user: Any) -> Client:
    client.force_login(staff_user)
    return client


def _admin_page(client: Client, submission: Submission) -> str:
    response = client.get(reverse("admin:submissions_submission_change", args=[submission.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _inspector_page(client: Client, submission: Submission) -> str:
    response = client.get(f"/submissions/{submission.submission_id}/")
    assert response.status_code == 200
    return response.content.decode()


def test_hvac_sections_items_photos_and_signatures(staff_client: Client, staff_user: Any) -> None:
    document = hvac_document("sub_0000000d0a01", items=2, photos_per_item=2, prefix="pg")
    document["opMan_signature"] = {"url": signature_data_url(), "saved": None, "path": None, "is_cloud": True}
    submission = _save(document, "hvac_mep", staff_user, "sub_0000000d0a01")
    block = _document_html(_admin_page(staff_client, submission))
    text = _text(block)
    assert text.index("Site information") < text.index("Site name") < text.index("Visit date")
    assert text.index("Visit date") < text.index("Inspection items") < text.index("Signatures")
    assert "Site name برج الإنجاز Tower" in text and "Visit date 2026-01-15" in text
    # Each item is a small table with its heading, labelled rows and its photos, in the order taken.
    assert block.count('<table class="doc-item">') == 2
    assert "Item 1: HVAC" in text and "Asset HVAC System Chiller Evaporator" in text
    photos = re.findall(r'<img src="/files/(photos/[^"]+)"', block)
    assert photos == [photo["name"] for item in document["items"] for photo in item["photos"]]
    # Both signatures as images, labelled.
    assert block.count('<img src="data:image/png;base64,') == 2
    assert "Technician signature" in text and "Operations manager signature" in text
    # Text stays text: a formula-like description is shown escaped, as typed.
    assert '=HYPERLINK("http://evil.example","click") item 1' in text
    for raw in ("base_url", "timestamp", "submission_id", "tech_signature", "opMan_signature", "site_name"):
        assert raw not in block


def test_cleaning_yes_no_empty_fields_and_labels(staff_client: Client, staff_user: Any) -> None:
    document = cleaning_document("sub_0000000d0c01")
    document["facility_washroom_male"] = "4"
    submission = _save(document, "cleaning", staff_user, "sub_0000000d0c01")
    block = _document_html(_admin_page(staff_client, submission))
    text = _text(block)
    assert "Offices Yes" in text and "Toilets No" in text  # "True"/"False" as a reader says it
    assert "Washroom (male) 4" in text
    assert "facility_washroom_male" not in block and "True" not in text and "False" not in text
    # A field the inspector left empty is shown, as "—".
    assert re.search(r"<dt>Site access requirements</dt><dd>—</dd>", block)
    sections = re.findall(r"<h3>([^<]+)</h3>", block)
    assert sections[:3] == [
        "Project &amp; client details",
        "Site count &amp; current operations",
        "Facility area counts",
    ]
    assert "Not signed" in text


def test_what_an_old_shape_carried_is_under_other_details(staff_client: Client, staff_user: Any) -> None:
    document = civil_document("sub_0000000d0b01")
    document["site_engineer_note"] = "Check the east wall again"
    document["work_items"][0]["colour"] = "white"
    submission = _save(document, "civil", staff_user, "sub_0000000d0b01")
    text = _text(_document_html(_admin_page(staff_client, submission)))
    assert "Other details Site engineer note Check the east wall again" in text
    assert "Colour white" in text  # an item's extra key stays with its item
    assert text.index("Project information") < text.index("Work") < text.index("Other details")


def test_an_old_hvac_documents_extra_keys_are_shown_not_dropped(staff_client: Client, staff_user: Any) -> None:
    document = hvac_document("sub_0000000d0a02", items=1, photos_per_item=0)
    document["weather"] = "Sandstorm"
    document["items"][0]["serial_no"] = "AHU-7"
    submission = _save(document, "hvac_mep", staff_user, "sub_0000000d0a02")
    text = _text(_document_html(_admin_page(staff_client, submission)))
    assert "Other details Weather Sandstorm" in text and "Serial no AHU-7" in text


def test_the_inspector_page_renders_the_same_partial(client: Client, inspector: Any, staff_user: Any) -> None:
    document = civil_document("sub_0000000d0b02")
    submission = _save(document, "civil", inspector, "sub_0000000d0b02")
    client.force_login(inspector)
    mine = _document_html(_inspector_page(client, submission))
    client.force_login(staff_user)
    admins = _document_html(_admin_page(client, submission))
    assert mine == admins
    assert "Villa 12" in mine and "Manager approval signature" in mine


@pytest.mark.parametrize("path", sorted((GENERATED / "submissions").glob("sub_*.json")), ids=lambda path: path.stem)
def test_every_legacy_sample_reads_without_raw_keys(staff_client: Client, staff_user: Any, path: Path) -> None:
    document = json.loads(path.read_text())
    module = {"fields": "civil", "work_items": "civil", "items": "hvac_mep"}
    shape = next((name for key, name in module.items() if key in document), "cleaning")
    submission = _save(document, shape, staff_user, path.stem)
    block = _document_html(_admin_page(staff_client, submission))
    assert "could not be read" not in block
    nested = {**document, **(document.get("data") or {}), **(document.get("fields") or {})}
    raw = [key for key in nested if "_" in key and re.search(rf"\b{re.escape(key)}\b", _text(block))]
    assert raw == []


def test_an_unreadable_document_shows_everything_it_holds(staff_client: Client, staff_user: Any) -> None:
    submission = _save({"weird": {"nested": "value <b>x</b>"}}, "hvac_mep", staff_user, "sub_0000000d0e01")
    block = _document_html(_admin_page(staff_client, submission))
    assert "could not be read" in block and "value &lt;b&gt;x&lt;/b&gt;" in block
