"""A submission as people read it on a page: the admin's change page and the inspector's page
render the same ``DocumentDisplay`` with one template partial (``submissions/_document.html``).

It is the reports' content (``jobs.reports.content``, built from the module's declaration) with
links instead of prepared images: the declared sections in form order with their labels, each
item as a small table, photos in the order taken, signatures as images with the signer's name,
yes/no fields as "Yes"/"No" (the template shows an empty value as "—"). What a historical shape
carried that the module does not declare is listed under "Other details", so nothing is hidden;
the machinery's keys (``base_url``, ``timestamp``…) are not the reader's.

Links: a photo or signature Injaaz stores goes through the permission-checked ``stored_file``
route; otherwise only http(s) URLs, site paths and raster ``data:`` images are shown (never a
``javascript:`` or SVG URL).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.safestring import SafeString

from jobs.reports.content import ReportContent, build_content
from jobs.reports.files import storage_names_in
from jobs.reports.images import ReportImages
from submissions.admin_display import DATA_URL_RE, render_tree, safe_link_url
from submissions.legacy.records import LegacyFormatError
from submissions.models import Submission
from submissions.selectors import submission_record


@dataclass(frozen=True)
class Value:
    label: str
    value: str


@dataclass(frozen=True)
class SectionDisplay:
    title: str
    rows: list[Value]


@dataclass(frozen=True)
class PhotoDisplay:
    number: int  # the photo's place in the whole submission, in the order taken
    url: str  # "" when there is nothing that can be shown
    is_data: bool  # an embedded image (no link to open it in)


@dataclass(frozen=True)
class ItemDisplay:
    number: int
    title: str
    rows: list[Value]
    photos: list[PhotoDisplay]


@dataclass(frozen=True)
class SignatureDisplay:
    label: str
    person: str
    signed: bool
    url: str
    is_data: bool


@dataclass(frozen=True)
class DocumentDisplay:
    sections: list[SectionDisplay] = field(default_factory=list)
    items_title: str = ""  # "" when the module has no repeating items
    items: list[ItemDisplay] = field(default_factory=list)
    photos_title: str = "Photos"
    photos: list[PhotoDisplay] = field(default_factory=list)
    signatures: list[SignatureDisplay] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was odd when the document was read
    unreadable: str = ""  # why the document could not be read at all; ``raw`` then shows all of it
    raw: SafeString | str = ""


class _Links:
    """Where a browser can show a document's photo or signature reference."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def url(self, reference: str) -> str:
        name = self.names.get(reference)
        if name:
            return reverse("stored_file", kwargs={"name": name})
        if DATA_URL_RE.fullmatch(reference) or safe_link_url(reference):
            return reference
        return ""

    def photo(self, number: int, reference: str) -> PhotoDisplay:
        url = self.url(reference)
        return PhotoDisplay(number=number, url=url, is_data=url.startswith("data:"))


def document_display(submission: Submission) -> DocumentDisplay:
    """``submission``'s document arranged for a page (any historical shape; never raises for one
    it cannot read: ``unreadable`` says why)."""
    try:
        record = submission_record(submission)
    except LegacyFormatError as error:
        return DocumentDisplay(unreadable=str(error), raw=render_tree(submission.form_data))
    content = build_content(record, ReportImages(), job_id="", generated_at=dt.datetime.now(dt.UTC))
    links = _Links(storage_names_in(submission.form_data))
    by_role = {signature.role: signature.value for signature in record.signatures}
    return DocumentDisplay(
        sections=[
            SectionDisplay(section.title, [Value(row.label, row.value) for row in section.rows])
            for section in content.sections
        ],
        items_title=_items_title(content),
        items=[
            ItemDisplay(
                number=item.number,
                title=item.title,
                rows=[Value(row.label, row.value) for row in item.rows],
                photos=[links.photo(photo.number, photo.reference) for photo in item.photos],
            )
            for item in content.items
        ],
        photos_title=content.layout.photos_title,
        photos=[links.photo(photo.number, photo.reference) for photo in content.general_photos],
        signatures=[
            SignatureDisplay(
                label=signature.label,
                person=signature.person,
                signed=signature.present,
                url=links.url(by_role.get(signature.role, "")),
                is_data=by_role.get(signature.role, "").startswith("data:"),
            )
            for signature in content.signatures
        ],
        notes=list(record.warnings),
    )


def _items_title(content: ReportContent) -> str:
    if content.layout.item_fields or content.items:
        return content.layout.items_title or "Items"
    return ""
