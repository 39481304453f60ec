"""Photos and signatures: checked by decoding them, normalised, stored under generated names.

- Only real JPEG, PNG and WebP images are accepted, whatever the file is called: Pillow must
  identify and fully decode them. At most ``INJAAZ_UPLOAD_MAX_BYTES`` (10 MB) and
  ``INJAAZ_UPLOAD_MAX_PIXELS`` pixels, so a decompression bomb is refused before it is decoded.
- Every image is re-encoded: EXIF orientation is applied to the pixels, GPS position (EXIF GPS
  and XMP) is removed unless ``INJAAZ_UPLOAD_KEEP_GPS`` is on, and nothing but pixels, EXIF and
  the colour profile survives (no comments, no trailing data).
- Files go to ``default_storage`` under ``<folder>/<yyyy>/<mm>/<random hex>.<ext>``; the user's
  file name is only recorded in ``uploaded_files.original_filename``.

A photo is uploaded (and its ``uploaded_files`` row saved, with no submission yet) as soon as the
inspector picks it; the submission claims it. Signatures arrive with the form and are stored when
it is submitted.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import logging
import threading
import uuid
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.urls import reverse
from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

from audit.services import Action, audit_record
from injaaz.storages import CloudinaryStorage
from submissions.models import FileType, UploadedFile

logger = logging.getLogger(__name__)

FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
ORIENTATION = 0x0112
SIGNATURE_MAX_BYTES = 2 * 1024 * 1024


class UploadRejectedError(ValueError):
    """The file is not an acceptable image; the message says why, for the inspector."""


class StorageFailedError(Exception):
    """The storage did not take the file; nothing was kept and the same action can be retried."""


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    extension: str
    content_type: str
    width: int
    height: int


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


# WeasyPrint sets Pillow's process-wide ImageFile.LOAD_TRUNCATED_IMAGES when it is imported,
# which makes a truncated upload decode "successfully" (padded with grey). Uploads are decoded
# with it off; the lock keeps two threads from restoring each other's value.
_DECODING_LOCK = threading.Lock()


@contextlib.contextmanager
def _strict_decoding() -> Iterator[None]:
    with _DECODING_LOCK:
        saved = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = saved


def image_prepare(data: bytes, *, keep_gps: bool | None = None) -> PreparedImage:
    """Validate ``data`` as a JPEG/PNG/WebP image and return it normalised, ready to store."""
    max_bytes = settings.INJAAZ_UPLOAD_MAX_BYTES
    if len(data) > max_bytes:
        raise UploadRejectedError(f"The file is larger than {_megabytes(max_bytes)} ({_megabytes(len(data))}).")
    if not data:
        raise UploadRejectedError("The file is empty.")
    keep_gps = settings.INJAAZ_UPLOAD_KEEP_GPS if keep_gps is None else keep_gps
    max_pixels = settings.INJAAZ_UPLOAD_MAX_PIXELS
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data))
            file_format = image.format or ""
            if file_format not in FORMATS:
                raise UploadRejectedError("Only JPEG, PNG and WebP photos are accepted.")
            width, height = image.size
            if width * height > max_pixels:
                raise UploadRejectedError(
                    f"The image is {width} x {height} pixels, more than the {max_pixels:,} allowed "
                    "(it may be a decompression bomb)."
                )
            with _strict_decoding():
                image.load()
        except UploadRejectedError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise UploadRejectedError(
                "The image has far too many pixels (it looks like a decompression bomb)."
            ) from error
        except UnidentifiedImageError as error:
            raise UploadRejectedError(
                "The file is not an image (only JPEG, PNG and WebP photos are accepted)."
            ) from error
        except (OSError, SyntaxError, ValueError) as error:
            raise UploadRejectedError("The image is damaged or incomplete and cannot be read.") from error

    orientation = image.getexif().get(ORIENTATION, 1)
    upright = ImageOps.exif_transpose(image) if orientation not in (None, 1) else image
    exif = upright.getexif()
    exif.pop(ORIENTATION, None)
    if not keep_gps:
        exif.pop(ExifTags.IFD.GPSInfo, None)
    extension, content_type = FORMATS[file_format]
    options: dict[str, Any] = {
        "exif": exif.tobytes() if len(exif) else b"",
        "icc_profile": image.info.get("icc_profile") or None,
    }
    if keep_gps and image.info.get("xmp"):
        options["xmp"] = image.info["xmp"]
    if file_format == "JPEG":
        options["comment"] = b""
        if upright is image and image.mode in ("RGB", "L", "CMYK"):
            options["quality"] = "keep"  # same quantisation tables: no visible loss
        else:
            options["quality"] = 90
        if upright.mode not in ("RGB", "L", "CMYK"):
            upright = upright.convert("RGB")
    elif file_format == "WEBP":
        options["quality"] = 90
        options["method"] = 2  # bench/upload_bench.py: half the time of the default, same size
    elif file_format == "PNG":
        options["compress_level"] = 3  # a quarter of the default's time, about 15% larger
    output = BytesIO()
    upright.save(output, format=file_format, **{k: v for k, v in options.items() if v is not None})
    return PreparedImage(output.getvalue(), extension, content_type, upright.width, upright.height)


def data_url_decode(value: str) -> bytes:
    """The bytes of a ``data:image/...;base64,...`` URL (what a signature pad produces)."""
    header, separator, payload = value.partition(",")
    if not separator or not header.startswith("data:image/") or not header.endswith(";base64"):
        raise UploadRejectedError("The signature is not an image data URL.")
    if len(payload) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        raise UploadRejectedError(f"The signature is larger than {_megabytes(SIGNATURE_MAX_BYTES)}.")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise UploadRejectedError("The signature's data is not valid base64.") from error


def storage_name_for(folder: str, extension: str) -> str:
    today = dt.datetime.now(dt.UTC)
    return f"{folder}/{today:%Y}/{today:%m}/{uuid.uuid4().hex}.{extension}"


def file_storage() -> Storage:
    """The configured backend (``STORAGES["default"]``, chosen by ``INJAAZ_STORAGE``)."""
    return storages["default"]


def stored_file_url(name: str) -> str:
    """The URL recorded for a stored file (``uploaded_files.cloudinary_url`` and ``form_data``).

    Cloudinary: its signed delivery URL, as the old app recorded. Other backends: the
    permission-checked file view of this site (relative, like the old ``/generated/uploads/``).
    """
    storage = file_storage()
    if isinstance(storage, CloudinaryStorage):
        return storage.public_url(name)
    return reverse("stored_file", kwargs={"name": name})


def _public_id(name: str) -> str:
    storage = file_storage()
    if isinstance(storage, CloudinaryStorage):
        return storage.resource(name)[0]
    return ""


def file_store(*, data: bytes, folder: str, extension: str) -> str:
    """Put ``data`` in the configured storage under a new generated name; return the name."""
    name = storage_name_for(folder, extension)
    try:
        saved = file_storage().save(name, ContentFile(data))
    except Exception as error:  # any backend failure means "not stored"
        logger.warning("storage refused %s: %s", name, error)
        raise StorageFailedError("The file storage is not answering; nothing was saved.") from error
    return str(saved)


def stored_files_discard(names: Iterable[str]) -> None:
    """Best-effort removal of files whose database rows were never committed."""
    for name in names:
        try:
            file_storage().delete(name)
        except Exception as error:  # noqa: BLE001 - leaving an orphan file is the lesser harm
            logger.warning("could not remove orphan stored file %s: %s", name, error)


def uploaded_file_build(
    *, prepared: PreparedImage, name: str, file_type: str, original_filename: str = "", uploaded_by: Any = None
) -> UploadedFile:
    """An unsaved ``uploaded_files`` row for a file already in storage."""
    return UploadedFile(
        cloudinary_url=stored_file_url(name),
        cloudinary_public_id=_public_id(name),
        storage_name=name,
        file_type=file_type,
        original_filename=original_filename[-255:],
        file_size=len(prepared.data),
        uploaded_by=uploaded_by if getattr(uploaded_by, "is_authenticated", False) else None,
    )


def image_store(*, data: bytes, file_type: str, original_filename: str = "", uploaded_by: Any = None) -> UploadedFile:
    """Validate, normalise and store an image; return its unsaved row (raises UploadRejectedError/StorageFailedError)."""
    prepared = image_prepare(data)
    folder = "signatures" if file_type == FileType.SIGNATURE else "uploads"
    name = file_store(data=prepared.data, folder=folder, extension=prepared.extension)
    return uploaded_file_build(
        prepared=prepared,
        name=name,
        file_type=file_type,
        original_filename=original_filename,
        uploaded_by=uploaded_by,
    )


def photo_upload(*, actor: Any, data: bytes, original_filename: str = "") -> UploadedFile:
    """Store one photo for ``actor``'s next submission: the file, then its pending row and its audit entry.

    If the row cannot be written the stored file is removed again.
    """
    row = image_store(data=data, file_type=FileType.PHOTO, original_filename=original_filename, uploaded_by=actor)
    try:
        with transaction.atomic():
            row.full_clean(exclude=["submission", "uploaded_by"])
            row.save()
            audit_record(
                actor=actor,
                action=Action.UPLOAD_FILE,
                resource=row,
                details={"file_type": row.file_type, "storage_name": row.storage_name, "size": row.file_size},
            )
    except BaseException:
        stored_files_discard([row.storage_name])
        raise
    return row


def photos_discard(rows: Iterable[UploadedFile]) -> None:
    """Remove photos uploaded for a form that did not use them (still waiting), rows and files."""
    ids = [row.pk for row in rows if row.pk is not None]
    if not ids:
        return
    waiting = UploadedFile.objects.filter(pk__in=ids, submission__isnull=True)
    names = list(waiting.values_list("storage_name", flat=True))
    waiting.delete()
    stored_files_discard(name for name in names if name)
