"""Photos and signatures: checked by decoding them, normalised, stored under generated names.

- Only real JPEG, PNG and WebP images are accepted, whatever the file is called: Pillow must
  identify and fully decode them. At most ``INJAAZ_UPLOAD_MAX_BYTES`` (10 MB) and
  ``INJAAZ_UPLOAD_MAX_PIXELS`` pixels, so a decompression bomb is refused before it is decoded.
- Photos are stored at most ``INJAAZ_PHOTO_MAX_SIDE`` pixels on their long side, and each process
  decodes within ``INJAAZ_UPLOAD_DECODE_MEMORY_MB`` ("Memory", below).
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
from PIL import ExifTags, Image, ImageFile, UnidentifiedImageError

from audit.services import Action, audit_record
from injaaz.storages import CloudinaryStorage
from submissions.models import FileType, UploadedFile

logger = logging.getLogger(__name__)

FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
ORIENTATION = 0x0112
# EXIF orientation → the turn that makes the pixels upright (as ImageOps.exif_transpose does).
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
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


# --- Memory --------------------------------------------------------------------------------------
#
# A photo just under the pixel limit takes a few hundred MB once decoded, and a web process serves
# several requests at once. So (bench/upload_memory_bench.py, docs/BENCHMARKS.md):
# - photos are stored at most INJAAZ_PHOTO_MAX_SIDE pixels on their long side, and a JPEG larger
#   than that is decoded at 1/2, 1/4 or 1/8 of its size (libjpeg scales while decoding, reading
#   every byte of the file as a full decode does, so damage is still found);
# - what decoding an image will take is estimated from its header, before anything is decoded,
#   and each process decodes at most INJAAZ_UPLOAD_DECODE_MEMORY_MB at a time: more waits its turn
#   (first come, first served), and an image that alone needs more is refused with the size that
#   fits.


def _pixel_bytes(mode: str) -> int:
    """Bytes per pixel of an image of ``mode`` in Pillow's memory (RGB is stored as 4 bytes)."""
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


# Bytes a decoded pixel costs beyond the image itself (bench/upload_bench.py measures them):
# Pillow's WebP decoder holds its canvas, the previous one and a copy of the frame while it loads,
# and libwebp's encoder builds its own picture: 18.5 bytes a pixel in all for a detailed 12 MP
# photo (19 here). JPEG and PNG decode into the image and encode as they go.
EXTRA_BYTES_PER_PIXEL = {"WEBP": 15}


@dataclass(frozen=True)
class DecodePlan:
    """How an image will be decoded and stored, and what that costs in memory (bytes)."""

    scale: int  # JPEG: decoded at 1/scale of its size
    decoded: tuple[int, int]
    stored: tuple[int, int]
    cost: int


def _scaled(size: tuple[int, int], scale: int) -> tuple[int, int]:
    return -(-size[0] // scale), -(-size[1] // scale)


def _fitted(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    width, height = size
    if max_side <= 0 or max(width, height) <= max_side:
        return size
    ratio = max_side / max(width, height)
    return max(1, round(width * ratio)), max(1, round(height * ratio))


def decode_plan(
    *, file_format: str, mode: str, size: tuple[int, int], data_size: int, rotated: bool, max_side: int
) -> DecodePlan:
    """The cheapest way to store the image as large as ``max_side`` allows, with its memory cost.

    A JPEG is decoded at the largest of 1/1, 1/2, 1/4, 1/8 that is still no smaller than the
    stored size; if that does not fit the per-process budget, at a smaller scale (the photo is
    then stored smaller than ``max_side``).
    """
    pixel = _pixel_bytes(mode)
    budget = _budget()

    def plan(scale: int) -> DecodePlan:
        decoded = _scaled(size, scale)
        stored = _fitted(decoded, max_side)
        cost = decoded[0] * decoded[1] * (pixel + EXTRA_BYTES_PER_PIXEL.get(file_format, 0))
        if stored != decoded:
            # Pillow resizes across, then down: the intermediate is stored-wide and decoded-high.
            cost += (stored[0] * decoded[1] + stored[0] * stored[1]) * pixel
        if rotated:
            cost += stored[0] * stored[1] * pixel  # the upright copy
        return DecodePlan(scale, decoded, stored, cost + 2 * data_size)  # the output and its copy

    if file_format != "JPEG":
        return plan(1)
    target = _fitted(size, max_side)
    useful = max(scale for scale in (1, 2, 4, 8) if _covers(_scaled(size, scale), target))
    for scale in (scale for scale in (1, 2, 4, 8) if scale >= useful):
        candidate = plan(scale)
        if budget <= 0 or candidate.cost <= budget:
            return candidate
    return plan(8)


def _covers(size: tuple[int, int], target: tuple[int, int]) -> bool:
    return size[0] >= target[0] and size[1] >= target[1]


def _budget() -> int:
    return int(settings.INJAAZ_UPLOAD_DECODE_MEMORY_MB) * 1024 * 1024


class _DecodeMemory:
    """This process's decoding budget: reservations wait, in arrival order, until theirs fits."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._in_use = 0
        self._queue: list[object] = []

    @contextlib.contextmanager
    def reserve(self, cost: int, budget: int) -> Iterator[None]:
        if budget <= 0:
            yield
            return
        ticket = object()
        with self._condition:
            self._queue.append(ticket)
            try:
                self._condition.wait_for(lambda: self._queue[0] is ticket and self._in_use + cost <= budget)
            finally:
                self._queue.remove(ticket)
                self._condition.notify_all()
            self._in_use += cost
        try:
            yield
        finally:
            with self._condition:
                self._in_use -= cost
                self._condition.notify_all()


_DECODE_MEMORY = _DecodeMemory()


@dataclass(frozen=True)
class WebPHeader:
    size: tuple[int, int]
    rotated: bool  # its EXIF orientation turns it


def _webp_rotated(data: bytes) -> bool:
    """Whether an extended WebP's EXIF chunk (found by walking the RIFF chunks) turns the image."""
    offset = 12
    while offset + 8 <= len(data):
        name, size = data[offset : offset + 4], int.from_bytes(data[offset + 4 : offset + 8], "little")
        if name == b"EXIF":
            exif = Image.Exif()
            with contextlib.suppress(Exception):  # unreadable EXIF: Pillow ignores it too
                exif.load(data[offset + 8 : offset + 8 + size])
            return exif.get(ORIENTATION, 1) not in (None, 1)
        offset += 8 + size + (size & 1)
    return False


def _webp_header(data: bytes) -> WebPHeader | None:
    """A WebP's canvas size (and whether EXIF turns it) from its chunks, read before Pillow opens it:
    Pillow's decoder allocates the canvas when the file is opened."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8X":
        size = 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        return WebPHeader(size, rotated=bool(data[20] & 0x08) and _webp_rotated(data))
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return WebPHeader((1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)), rotated=False)
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        size = int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
        return WebPHeader(size, rotated=False)
    return None


def _too_many_pixels(width: int, height: int, limit: int) -> UploadRejectedError:
    return UploadRejectedError(
        f"The image is {width} x {height} pixels, more than the {limit:,} allowed (it may be a decompression bomb)."
    )


def _rotated(image: Image.Image, file_format: str) -> bool:
    """Whether EXIF orientation will turn the image (unknown for a PNG until it is decoded: assume so)."""
    if file_format == "PNG" and "exif" not in image.info:
        return True
    return image.getexif().get(ORIENTATION, 1) not in (None, 1)


def image_prepare(data: bytes, *, keep_gps: bool | None = None) -> PreparedImage:
    """Validate ``data`` as a JPEG/PNG/WebP image and return it normalised, ready to store."""
    max_bytes = settings.INJAAZ_UPLOAD_MAX_BYTES
    if len(data) > max_bytes:
        raise UploadRejectedError(f"The file is larger than {_megabytes(max_bytes)} ({_megabytes(len(data))}).")
    if not data:
        raise UploadRejectedError("The file is empty.")
    max_pixels = settings.INJAAZ_UPLOAD_MAX_PIXELS
    max_side = int(settings.INJAAZ_PHOTO_MAX_SIDE)
    budget = _budget()
    webp = _webp_header(data)
    if webp is not None:
        # Planned from the header: opening the file is already the expensive part.
        if webp.size[0] * webp.size[1] > max_pixels:
            raise _too_many_pixels(*webp.size, max_pixels)
        plan = decode_plan(
            file_format="WEBP",
            mode="RGBA",
            size=webp.size,
            data_size=len(data),
            rotated=webp.rotated,
            max_side=max_side,
        )
        _check_budget(plan, "WebP", webp.size, budget)
        with _DECODE_MEMORY.reserve(plan.cost, budget):
            image, file_format = _open_checked(data, max_pixels)
            if file_format != "WEBP" or image.size != webp.size:
                raise UploadRejectedError("The image is damaged or incomplete and cannot be read.")
            return _prepare(image, file_format, plan, keep_gps=keep_gps)
    image, file_format = _open_checked(data, max_pixels)
    plan = decode_plan(
        file_format=file_format,
        mode=image.mode,
        size=image.size,
        data_size=len(data),
        rotated=_rotated(image, file_format),
        max_side=max_side,
    )
    _check_budget(plan, file_format, image.size, budget)
    with _DECODE_MEMORY.reserve(plan.cost, budget):
        return _prepare(image, file_format, plan, keep_gps=keep_gps)


def _check_budget(plan: DecodePlan, file_format: str, size: tuple[int, int], budget: int) -> None:
    if budget > 0 and plan.cost > budget:
        raise _over_budget(plan, file_format, size, budget)


def _over_budget(plan: DecodePlan, file_format: str, size: tuple[int, int], budget: int) -> UploadRejectedError:
    return UploadRejectedError(
        f"The image is {size[0]} x {size[1]} pixels: too large to process as {file_format} here (about "
        f"{_megabytes(plan.cost)} of memory, more than the {_megabytes(budget)} one upload may take). "
        "Send it as a JPEG or smaller."
    )


def _open_checked(data: bytes, max_pixels: int) -> tuple[Image.Image, str]:
    """The image, opened (header only) and checked: format and pixel count."""
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data))
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
    file_format = image.format or ""
    if file_format not in FORMATS:
        raise UploadRejectedError("Only JPEG, PNG and WebP photos are accepted.")
    width, height = image.size
    if width * height > max_pixels:
        raise _too_many_pixels(width, height, max_pixels)
    return image, file_format


def _prepare(image: Image.Image, file_format: str, plan: DecodePlan, *, keep_gps: bool | None) -> PreparedImage:
    keep_gps = settings.INJAAZ_UPLOAD_KEEP_GPS if keep_gps is None else keep_gps
    if plan.scale > 1:
        # Ask for w // scale: Pillow picks the scale from whole-number ratios.
        image.draft(None, (image.size[0] // plan.scale, image.size[1] // plan.scale))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with _strict_decoding():
                image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise UploadRejectedError(
                "The image has far too many pixels (it looks like a decompression bomb)."
            ) from error
        except (OSError, SyntaxError, ValueError) as error:
            raise UploadRejectedError("The image is damaged or incomplete and cannot be read.") from error

    exif = image.getexif()
    turn = TRANSPOSE.get(exif.get(ORIENTATION, 1))
    stored = _fitted(image.size, int(settings.INJAAZ_PHOTO_MAX_SIDE))
    # Resized before it is turned upright, so the turn copies the smaller image.
    upright = image.resize(stored, Image.Resampling.LANCZOS, reducing_gap=3.0) if stored != image.size else image
    if turn is not None:
        upright = upright.transpose(turn)
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
