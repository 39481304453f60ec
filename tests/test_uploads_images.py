"""Uploads: real JPEG/PNG/WebP only, at most 10 MB, no decompression bombs, orientation applied,
GPS removed, generated names; through the upload route as the browser and old clients use it."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from PIL import ExifTags, Image

from audit.models import AuditLog
from submissions.models import UploadedFile
from submissions.uploads import UploadRejectedError, image_prepare
from tests.inspection_helpers import gps_exif, image_bytes

pytestmark = pytest.mark.django_db


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares huge dimensions but holds almost no data (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def post_photo(client: Client, data: bytes, name: str = "photo.jpg", module: str = "hvac-mep") -> Any:
    file = io.BytesIO(data)
    file.name = name
    return client.post(f"/{module}/upload-photo", {"photo": file})


@pytest.fixture
def client_in(client: Client, inspector: Any) -> Client:
    client.force_login(inspector)
    return client


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_real_images_are_accepted_under_a_generated_name(client_in: Client, fmt: str) -> None:
    response = post_photo(client_in, image_bytes(fmt), name="../../My Site Photo!.bin")
    assert response.status_code == 200
    answer = response.json()
    assert answer["success"] is True and answer["filename"] is None
    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[fmt]
    assert answer["name"].startswith("uploads/") and answer["name"].endswith(f".{extension}")
    assert "Site" not in answer["name"] and ".." not in answer["name"]
    row = UploadedFile.objects.get(pk=answer["id"])
    assert (row.original_filename, row.file_type, row.submission) == ("My Site Photo!.bin", "photo", None)
    stored = Path(settings.MEDIA_ROOT, row.storage_name)
    assert stored.is_file() and stored.stat().st_size == row.file_size
    assert Image.open(stored).format == fmt
    assert answer["url"] == f"/files/{row.storage_name}"
    entry = AuditLog.objects.get(action="upload_file")
    assert (entry.user, entry.resource_type, entry.resource_id) == (row.uploaded_by, "uploadedfile", row.pk)
    assert entry.details == {"file_type": "photo", "storage_name": row.storage_name, "size": row.file_size}
    assert row.uploaded_by is not None


def test_a_text_file_named_jpg_is_refused(client_in: Client) -> None:
    response = post_photo(client_in, b"just some text, honestly\n" * 40, name="evidence.jpg")
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "The file is not an image (only JPEG, PNG and WebP photos are accepted).",
    }
    assert UploadedFile.objects.count() == 0
    assert not AuditLog.objects.filter(action="upload_file").exists()


def test_a_12_mb_photo_is_refused(client_in: Client) -> None:
    big = image_bytes() + b"\0" * (12 * 1024 * 1024)  # a real JPEG followed by 12 MB
    response = post_photo(client_in, big)
    assert response.status_code == 400
    assert response.json()["error"] == "The file is larger than 10 MB."
    assert UploadedFile.objects.count() == 0
    with pytest.raises(UploadRejectedError, match="larger than 10 MB"):
        image_prepare(big)


def test_a_decompression_bomb_is_refused_before_decoding(client_in: Client) -> None:
    bomb = png_header_only(60_000, 60_000)  # 3.6 gigapixels in a few hundred bytes
    assert len(bomb) < 1000
    response = post_photo(client_in, bomb, name="bomb.png")
    assert response.status_code == 400
    assert "decompression bomb" in response.json()["error"]
    with pytest.raises(UploadRejectedError, match="decompression bomb"):
        image_prepare(png_header_only(9_000, 9_000))  # 81 MP: above our 50 MP limit, below Pillow's own
    assert UploadedFile.objects.count() == 0


def test_damaged_and_unsupported_images_are_refused() -> None:
    import weasyprint  # noqa: F401 - it turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    jpeg = image_bytes(size=(400, 300))
    with pytest.raises(UploadRejectedError, match="damaged or incomplete"):
        image_prepare(jpeg[: len(jpeg) // 2])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as WeasyPrint wants it
    gif = io.BytesIO()
    Image.new("P", (10, 10)).save(gif, "GIF")
    with pytest.raises(UploadRejectedError, match="Only JPEG, PNG and WebP"):
        image_prepare(gif.getvalue())
    with pytest.raises(UploadRejectedError, match="empty"):
        image_prepare(b"")


def test_exif_orientation_is_applied_and_gps_removed() -> None:
    original = image_bytes(size=(80, 40), exif=gps_exif(orientation=6))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    prepared = image_prepare(original)
    result = Image.open(io.BytesIO(prepared.data))
    assert result.size == (40, 80) == (prepared.width, prepared.height)  # rotated upright
    exif = result.getexif()
    assert 0x0112 not in exif  # nothing left to rotate
    assert ExifTags.IFD.GPSInfo not in exif and not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert exif.get(0x010F) == "InspectorCam"  # the rest of the EXIF is kept


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_gps_is_removed_from_png_and_webp_too(fmt: str) -> None:
    prepared = image_prepare(image_bytes(fmt, exif=gps_exif(orientation=1)))
    assert not Image.open(io.BytesIO(prepared.data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_gps_is_kept_when_configured(settings: Any) -> None:
    settings.INJAAZ_UPLOAD_KEEP_GPS = True
    prepared = image_prepare(image_bytes(exif=gps_exif(orientation=3)))
    result = Image.open(io.BytesIO(prepared.data))
    assert result.getexif().get_ifd(ExifTags.IFD.GPSInfo)[1] == "N"


def test_trailing_data_after_the_image_is_not_stored() -> None:
    original = image_bytes() + b"<?php system($_GET['x']); ?>"
    prepared = image_prepare(original)
    assert b"<?php" not in prepared.data


def test_upload_route_error_shapes(client_in: Client) -> None:
    missing = client_in.post("/civil/upload-photo", {})
    assert (missing.status_code, missing.json()) == (400, {"success": False, "error": "No photo file provided"})
    assert client_in.get("/civil/upload-photo").status_code == 405


def test_purge_waiting_uploads(client_in: Client, settings: Any) -> None:
    import datetime as dt
    from io import StringIO

    from django.core.management import CommandError, call_command
    from django.utils import timezone

    old, fresh = (post_photo(client_in, image_bytes()).json() for _ in range(2))
    UploadedFile.objects.filter(pk=old["id"]).update(uploaded_at=timezone.now() - dt.timedelta(days=8))
    out = StringIO()
    call_command("purge_waiting_uploads", "--dry-run", stdout=out)
    assert f"would remove {old['name']}" in out.getvalue() and "would remove 1 unclaimed photos" in out.getvalue()
    assert UploadedFile.objects.count() == 2
    call_command("purge_waiting_uploads", stdout=StringIO())
    assert list(UploadedFile.objects.values_list("pk", flat=True)) == [fresh["id"]]
    assert not Path(settings.MEDIA_ROOT, old["name"]).exists() and Path(settings.MEDIA_ROOT, fresh["name"]).exists()
    settings.INJAAZ_STORAGE_PHASE = "json"
    with pytest.raises(CommandError, match="json phase"):
        call_command("purge_waiting_uploads")
