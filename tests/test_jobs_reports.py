"""The report renderers: workbook cells (openpyxl), PDF pages and text (pypdf), images, every shape."""

from __future__ import annotations

import datetime as dt
import io
import json
import unicodedata
from pathlib import Path
from typing import Any

import openpyxl
import pypdf
import pytest
from django.core.files.storage import default_storage

from jobs.reports.files import ReportFiles, decode_data_url
from jobs.reports.images import PDF_PHOTO_PX, prepare_image
from jobs.reports.pdf import AssetFetcher
from jobs.reports.render import RenderedReports, render_reports
from submissions.legacy.normalize import normalize_submission
from submissions.legacy.records import NormalizedItem, NormalizedSubmission, PhotoRef, SignatureRef
from tests.jobs_support import ARABIC_SITE, civil_document, cleaning_document, hvac_document, jpeg_bytes
from tests.system_requirements import require_report_fonts

SAMPLES = Path("/work/shared/legacy/samples/generated/submissions")
GENERATED_AT = dt.datetime(2026, 4, 1, 12, 0, tzinfo=dt.UTC)


def render(document: dict[str, Any], submission_id: str, module: str | None = None) -> RenderedReports:
    record = normalize_submission(document, stem=submission_id, module_hint=module)
    files = ReportFiles.for_document(document)
    return render_reports(
        record, files.open, job_id="job_0000000000aa", generated_at=GENERATED_AT, photo_link=files.download_link
    )


def pdf_text(data: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, unicodedata.normalize("NFKC", text)


def sheet_values(data: bytes, sheet: int = 0) -> list[tuple[Any, ...]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    return list(workbook.worksheets[sheet].iter_rows(values_only=True))


def pairs(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    return {row[0]: row[1] for row in rows if row and isinstance(row[0], str)}


def pdf_fonts(reader: pypdf.PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for font in fonts.values():
            names.add(str(font.get_object().get("/BaseFont")))
    return names


def test_hvac_workbook_has_every_field_item_and_photo_and_typed_cells() -> None:
    document = hvac_document("sub_00000000a001", items=2, photos_per_item=2, prefix="wb")
    reports = render(document, "sub_00000000a001")
    rows = sheet_values(reports.excel)
    fields = pairs(rows)
    assert rows[0][0] == "HVAC & MEP Inspection Report"
    assert fields["Submission"] == "sub_00000000a001"
    assert fields["Site name"] == f"{ARABIC_SITE} Tower"
    assert fields["Visit date"] == dt.datetime(2026, 1, 15)  # a date cell
    assert fields["Items"] == 2
    assert fields["Photos"] == 4
    assert fields["Technician signature"] == "Signed"
    assert fields["Operations manager signature"] == "Not signed"
    header = rows.index(("#", "Asset", "System", "Description", "Photos"))
    first, second = rows[header + 1], rows[header + 2]
    assert first[:3] == (1, "HVAC", "Chiller Evaporator")
    # A description starting with "=" is a string cell, never a formula, with no apostrophe.
    assert first[3] == '=HYPERLINK("http://evil.example","click") item 1'
    assert first[4] == 2 and second[0] == 2
    workbook = openpyxl.load_workbook(io.BytesIO(reports.excel))
    photos = workbook["Photos"]
    assert [row[:2] for row in photos.iter_rows(min_row=2, values_only=True)] == [(1, 1), (2, 1), (3, 2), (4, 2)]
    # The authorised download route of the stored photo, absolute on the submission's site.
    assert photos["C2"].value == photos["C2"].hyperlink.target == "http://testserver/files/photos/wb0_0.jpg"
    assert len(photos._images) == 4  # thumbnails embedded
    assert not any(cell.data_type == "f" for sheet in workbook for row in sheet for cell in row)
    description = workbook.worksheets[0].cell(header + 2, 4)
    assert (description.data_type, description.value[0]) == ("s", "=")


def test_civil_workbook_keeps_every_work_row_and_numbers() -> None:
    reports = render(civil_document("sub_00000000c001"), "sub_00000000c001")
    rows = sheet_values(reports.excel)
    fields = pairs(rows)
    assert fields["Project name"] == "Villa 12"
    assert fields["Location"] == "Dubai Marina"
    assert fields["Manager"] == "+Manager"
    assert fields["Visit date"] == dt.datetime(2026, 2, 1)
    assert fields["Estimated completion"] == dt.datetime(2026, 3, 1)
    assert fields["Floor"] == "3"
    header = next(index for index, row in enumerate(rows) if row[0] == "#")
    assert rows[header][:7] == (
        "#",
        "Description",
        "Quantity",
        "Material (with brand)",
        "Material quantity",
        "Price",
        "Labour (hours/day)",
    )
    assert rows[header + 1][:8] == (1, "Repaint wall", 12, "@Jotun", 3, 120.5, "2 days", 1)
    # "-5" typed into a number field is the number -5; "-Fix tiles" is a string cell.
    assert rows[header + 2][:3] == (2, "-Fix tiles", -5)
    photos = openpyxl.load_workbook(io.BytesIO(reports.excel))["Photos"]
    assert photos["C2"].hyperlink.target == "https://res.cloudinary.com/demo/x.jpg"
    assert photos["D2"].value == "Image not available"


def test_hvac_pdf_pages_text_images_and_arabic() -> None:
    require_report_fonts()
    document = hvac_document("sub_00000000a002", items=2, photos_per_item=2, prefix="pdf")
    reports = render(document, "sub_00000000a002")
    assert reports.pdf.startswith(b"%PDF")
    reader, text = pdf_text(reports.pdf)
    assert 1 <= len(reader.pages) <= 3
    assert reader.pages[0].mediabox.width == pytest.approx(595.3, abs=1)  # A4
    for expected in (
        "HVAC & MEP Inspection Report",
        "sub_00000000a002",
        "job_0000000000aa",
        "Item 1: HVAC",
        "Item 2: HVAC",
        "Chiller Evaporator",
        "Technician signature",
        "Not signed",
        f"{ARABIC_SITE} Tower",
        "generated 2026-04-01 12:00:00 UTC",
    ):
        assert expected in text, expected
    assert any("Arabic" in font for font in pdf_fonts(reader))
    # WeasyPrint shares one resource dictionary between pages: count distinct images.
    images = {image.name: image for page in reader.pages for image in page.images}.values()
    assert len(images) == 5  # 4 photos and the technician's signature
    sizes = [image.image.size for image in images if image.image is not None]
    assert len(sizes) == 5 and max(max(size) for size in sizes) <= PDF_PHOTO_PX


def test_missing_and_foreign_photos_render_as_not_available() -> None:
    document = civil_document("sub_00000000c002")
    document["work_items"][1]["photos"] = [{"url": "/media/photos/never-saved.jpg", "name": "photos/never-saved.jpg"}]
    reports = render(document, "sub_00000000c002")
    _, text = pdf_text(reports.pdf)
    assert text.count("Image not available") == 2
    assert "Inspector signature" in text


def test_cleaning_pdf_and_workbook_cover_its_sections() -> None:
    require_report_fonts()
    document = cleaning_document("sub_00000000e001")
    document |= {"contact_number": "+971 50 123 4567", "room_count": "12", "facility_cleaner_count": "4"}
    reports = render(document, "sub_00000000e001")
    _, text = pdf_text(reports.pdf)
    for expected in ("Site Assessment Report", "Project & client details", "Safety & staffing", "Marina Heights"):
        assert expected in text
    assert "عميل" in text
    fields = pairs(sheet_values(reports.excel))
    assert fields["Offices"] == "Yes" and fields["Toilets"] == "No"
    assert fields["Comments"] == "All good"
    assert fields["Contact person signature"] == "Not signed"
    # The phone number is that exact text in a string cell; counts are numbers; the date a date.
    assert fields["Contact number"] == "+971 50 123 4567"
    assert (fields["Rooms"], fields["Cleaners"]) == (12, 4)
    assert fields["Date of visit"] == dt.datetime(2026, 3, 3)
    sheet = openpyxl.load_workbook(io.BytesIO(reports.excel)).worksheets[0]
    phone = next(cell for row in sheet for cell in row if cell.value == "+971 50 123 4567")
    assert phone.data_type == "s"


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("sub_*.json")), ids=lambda path: path.stem)
def test_every_legacy_sample_shape_renders(path: Path) -> None:
    document = json.loads(path.read_text())
    record = normalize_submission(document, stem=path.stem)
    reports = render_reports(
        record, ReportFiles.for_document(document).open, job_id="job_0000000000bb", generated_at=GENERATED_AT
    )
    _, text = pdf_text(reports.pdf)
    assert path.stem in text
    assert record.submission_id == pairs(sheet_values(reports.excel))["Submission"]
    for photo in record.photos:
        # Legacy local-fallback and Cloudinary photos are never fetched: not available here.
        assert not photo.url.startswith("data:")
    if record.photos:
        assert "Image not available" in text


def test_renderers_work_from_a_plain_record() -> None:
    record = NormalizedSubmission(
        submission_id="sub_00000000f001",
        module="civil",
        shape="civil_json",
        site_name="Plain",
        fields={"project_name": "Plain", "custom_extra": "kept"},
        items=[NormalizedItem(fields={"item_number": "1", "description": "Row", "colour": "red"}, photos=["a"])],
        photos=[PhotoRef("a", 0), PhotoRef("b")],
        signatures=[SignatureRef("client", "c")],
    )
    images = {"a": jpeg_bytes(800, 600), "b": b"not an image"}
    reports = render_reports(record, images.get, job_id="job_0000000000cc", generated_at=GENERATED_AT)
    fields = pairs(sheet_values(reports.excel))
    assert fields["Custom extra"] == "kept"  # fields a shape carried beyond the module's list are kept
    assert fields["Client signature"] == "Signed (image not available)"
    rows = sheet_values(reports.excel)
    assert "Colour" in next(row for row in rows if row[0] == "#")
    _, text = pdf_text(reports.pdf)
    assert "Other details" in text and "Image not available" in text


def test_asset_fetcher_refuses_every_url_it_does_not_hold() -> None:
    fetcher = AssetFetcher({})
    for url in ("http://127.0.0.1:8000/admin/", "file:///etc/passwd", "injaaz-asset:p1", "data:text/plain,x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_photos_are_downscaled_cheaply_and_bombs_refused() -> None:
    prepared = prepare_image(jpeg_bytes(1600, 1200))
    assert prepared is not None
    assert (prepared.width, prepared.height) == (PDF_PHOTO_PX, PDF_PHOTO_PX * 3 // 4)
    assert prepared.mime_type == "image/jpeg" and len(prepared.data) < 60_000
    assert max(prepared.thumbnail_width, prepared.thumbnail_height) <= 120
    assert prepare_image(b"<svg/>") is None
    assert prepare_image(b"\xff\xd8\xff\xe0 truncated jpeg") is None


def test_report_files_read_storage_data_urls_and_the_legacy_uploads_folder(tmp_path: Path) -> None:
    saved = default_storage.save("photos/open-me.jpg", io.BytesIO(b"stored-bytes"))
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "old_1234abcd.png").write_bytes(b"legacy-bytes")
    (tmp_path / "secret.txt").write_text("outside uploads")
    files = ReportFiles(names={"https://cdn.example/x.jpg": saved}, legacy_dir=tmp_path)
    assert files.open("https://cdn.example/x.jpg") == b"stored-bytes"
    assert files.open(default_storage.url(saved)) == b"stored-bytes"
    assert files.open("/generated/uploads/old_1234abcd.png") == b"legacy-bytes"
    assert files.open("http://127.0.0.1:5000/hvac-mep/generated/uploads/old_1234abcd.png") == b"legacy-bytes"
    assert files.open("/generated/uploads/..%2Fsecret.txt") is None
    assert files.open("/media/../../etc/passwd") is None
    assert files.open("https://res.cloudinary.com/demo/image/upload/x.jpg") is None
    assert decode_data_url("data:image/png;base64,aGVsbG8=") == b"hello"
    assert files.open("data:image/png;base64,aGVsbG8=") == b"hello"
    assert decode_data_url("data:text/html;base64,aGVsbG8=") is None
