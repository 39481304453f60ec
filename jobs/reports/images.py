"""Decoding and downscaling a report's photos and signatures, once for both reports.

A 1600 px phone JPEG costs ~30 ms to decode in full; Pillow's ``draft()`` lets libjpeg decode
straight to 1/2, 1/4 or 1/8 scale for a fraction of that, and embedding full-size photos makes
an 11 MB PDF. Every photo is therefore decoded at reduced scale, thumbnailed to what the PDF
grid can show, and re-encoded as a modest JPEG; the workbook gets a smaller thumbnail of that.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

# The PDF grid is three photos across A4 (about 57 mm each): 400 px is ~180 dpi there, and a
# 1600 px phone photo then decodes straight to size at 1/4 scale (no resampling at all).
PDF_PHOTO_PX = 400
PDF_PHOTO_QUALITY = 72
XLSX_THUMB_PX = 120
SIGNATURE_PX = 600
# Refuse decompression bombs outright (Pillow only warns below twice its limit).
MAX_PIXELS = 60_000_000


@dataclass(frozen=True)
class PreparedImage:
    """An image ready to embed: ``data`` for the PDF, ``thumbnail`` (JPEG/PNG) for the workbook."""

    data: bytes
    mime_type: str
    width: int
    height: int
    thumbnail: bytes
    thumbnail_width: int
    thumbnail_height: int


@dataclass
class ReportImages:
    """Prepared images keyed by the reference they came from; ``None`` means not available."""

    by_reference: dict[str, PreparedImage | None] = field(default_factory=dict)

    def get(self, reference: str) -> PreparedImage | None:
        return self.by_reference.get(reference)


def _encode(image: Image.Image, *, keep_alpha: bool, quality: int) -> tuple[bytes, str]:
    buffer = io.BytesIO()
    if keep_alpha:
        image.save(buffer, format="PNG", optimize=False, compress_level=6)
        return buffer.getvalue(), "image/png"
    if image.mode != "RGB":
        image = image.convert("RGB")
    image.save(buffer, format="JPEG", quality=quality, optimize=False, progressive=False)
    return buffer.getvalue(), "image/jpeg"


def prepare_image(
    raw: bytes,
    *,
    max_px: int = PDF_PHOTO_PX,
    thumb_px: int = XLSX_THUMB_PX,
    signature: bool = False,
) -> PreparedImage | None:
    """Decode ``raw`` cheaply and downscale it; ``None`` if it is not a decodable image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(raw))
            if image.width * image.height > MAX_PIXELS:
                return None
            if image.format == "JPEG" and max(image.size) > max_px:
                # Let libjpeg decode at the smallest 1/2^n scale still at least max_px on the long side.
                ratio = max_px / max(image.size)
                image.draft("RGB", (max(1, int(image.width * ratio)), max(1, int(image.height * ratio))))
            image.load()
            if not signature:
                image = ImageOps.exif_transpose(image) or image
            has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
            keep_alpha = signature or has_alpha
            if signature:
                image = image.convert("RGBA")
                box = image.getbbox()
                if box is not None:
                    image = image.crop(box)
            elif keep_alpha:
                # Photos with transparency are flattened on white: JPEG keeps the PDF small.
                background = Image.new("RGB", image.size, "white")
                background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
                image, keep_alpha = background, False
            elif image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            image.thumbnail((max_px, max_px), Image.Resampling.BILINEAR, reducing_gap=2.0)
            data, mime_type = _encode(image, keep_alpha=keep_alpha, quality=PDF_PHOTO_QUALITY)
            width, height = image.size
            thumb = image.copy()
            thumb.thumbnail((thumb_px, thumb_px), Image.Resampling.BILINEAR)
            thumbnail, _ = _encode(thumb, keep_alpha=keep_alpha, quality=70)
            return PreparedImage(data, mime_type, width, height, thumbnail, thumb.width, thumb.height)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        logger.info("Image could not be decoded for a report: %s", error)
        return None


def prepare_report_images(
    *,
    photos: Iterable[str],
    signatures: Iterable[str],
    open_file: Callable[[str], bytes | None],
) -> ReportImages:
    """Open and prepare every distinct reference once. ``open_file`` may raise transient errors."""
    images = ReportImages()
    for reference, is_signature in [*((p, False) for p in photos), *((s, True) for s in signatures)]:
        if reference in images.by_reference:
            continue
        raw = open_file(reference)
        images.by_reference[reference] = (
            None
            if raw is None
            else prepare_image(raw, max_px=SIGNATURE_PX if is_signature else PDF_PHOTO_PX, signature=is_signature)
        )
    return images
