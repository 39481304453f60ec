"""Uploads bounded in memory (issue 14 item 14): photos stored at most INJAAZ_PHOTO_MAX_SIDE on
their long side, JPEGs decoded at reduced size, each process decoding within
INJAAZ_UPLOAD_DECODE_MEMORY_MB (more waits, in order; an image that alone needs more is refused
before it is decoded) — and every check a full decode made still made.

The memory itself is measured by bench/upload_memory_bench.py (docs/BENCHMARKS.md), not here.
"""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from submissions.models import UploadedFile
from submissions.uploads import UploadRejectedError, _DecodeMemory, _webp_header, decode_plan, image_prepare
from tests.inspection_helpers import gps_exif

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def photo(fmt: str, size: tuple[int, int], **options: Any) -> bytes:
    """Not one colour: a resize or a draft decode must keep the picture, not just the size."""
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gradient))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def stored(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(image_prepare(data).data))


def test_a_photo_larger_than_the_max_side_is_stored_that_large(settings: Any) -> None:
    settings.INJAAZ_PHOTO_MAX_SIDE = 512
    for fmt in ("JPEG", "PNG", "WEBP"):
        image = stored(photo(fmt, (2000, 1500)))
        assert (image.format, image.size) == (fmt, (512, 384))
    assert stored(photo("JPEG", (500, 300))).size == (500, 300)  # smaller ones keep their size
    settings.INJAAZ_PHOTO_MAX_SIDE = 0
    assert stored(photo("JPEG", (2000, 1500))).size == (2000, 1500)  # 0: every photo as it came


def test_a_large_jpeg_is_decoded_at_reduced_size() -> None:
    # 8160 x 6120 (just under 50 MP): decoded at half size, already within 4096 px: no resize.
    plan = decode_plan(file_format="JPEG", mode="RGB", size=(8160, 6120), data_size=8 * MB, rotated=True, max_side=4096)
    assert (plan.scale, plan.decoded, plan.stored) == (2, (4080, 3060), (4080, 3060))
    assert plan.cost < 200 * MB  # a full-size decode of the pixels alone is 200 MB
    # 16000 x 3000: a quarter still covers 4096 x 768.
    wide = decode_plan(file_format="JPEG", mode="RGB", size=(16000, 3000), data_size=MB, rotated=False, max_side=4096)
    assert (wide.scale, wide.stored) == (2, (4096, 768))
    # PNG and WebP have no reduced decode.
    png = decode_plan(file_format="PNG", mode="RGB", size=(8160, 6120), data_size=MB, rotated=False, max_side=4096)
    assert (png.scale, png.decoded) == (1, (8160, 6120))


def test_a_jpeg_whose_full_decode_would_not_fit_is_decoded_smaller(settings: Any) -> None:
    settings.INJAAZ_UPLOAD_DECODE_MEMORY_MB = 192
    plan = decode_plan(file_format="JPEG", mode="RGB", size=(6000, 4500), data_size=MB, rotated=True, max_side=4096)
    assert plan.cost <= 192 * MB
    assert (plan.scale, plan.stored) == (2, (3000, 2250))


def test_reduced_decoding_still_finds_damage(settings: Any) -> None:
    settings.INJAAZ_PHOTO_MAX_SIDE = 512
    jpeg = photo("JPEG", (2000, 1500), quality=90)
    assert (
        decode_plan(
            file_format="JPEG", mode="RGB", size=(2000, 1500), data_size=len(jpeg), rotated=False, max_side=512
        ).scale
        == 2
    )
    with pytest.raises(UploadRejectedError, match="damaged or incomplete"):
        image_prepare(jpeg[: len(jpeg) * 3 // 4])


def test_orientation_and_gps_with_a_resize(settings: Any) -> None:
    settings.INJAAZ_PHOTO_MAX_SIDE = 512
    image = Image.new("RGB", (2000, 1000), "red")
    image.paste("blue", (0, 0, 1000, 1000))  # the left half blue
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=gps_exif(orientation=6).tobytes(), quality=95)
    result = stored(buffer.getvalue())
    assert result.size == (256, 512)  # turned upright (90° clockwise), then at most 512 px
    exif = result.getexif()
    assert 0x0112 not in exif and 0x8825 not in exif and exif[0x010F] == "InspectorCam"
    rgb = result.convert("RGB")
    top, bottom = rgb.getpixel((128, 40)), rgb.getpixel((128, 470))
    assert isinstance(top, tuple) and isinstance(bottom, tuple)
    assert top[2] > 200 > top[0] and bottom[0] > 200 > bottom[2]  # blue was left: now on top


def test_an_image_that_alone_exceeds_the_budget_is_refused_before_decoding(
    client: Client, inspector: Any, settings: Any
) -> None:
    settings.INJAAZ_UPLOAD_DECODE_MEMORY_MB = 16
    client.force_login(inspector)
    file = io.BytesIO(photo("PNG", (2400, 1800)))
    file.name = "big.png"
    response = client.post("/hvac-mep/upload-photo", {"photo": file})
    assert response.status_code == 400
    error = response.json()["error"]
    assert "2400 x 1800 pixels" in error and "Send it as a JPEG" in error
    assert UploadedFile.objects.count() == 0
    # A JPEG of that size is decoded smaller instead, and stored.
    assert stored(photo("JPEG", (2400, 1800))).size == (1200, 900)


@pytest.mark.parametrize(
    ("options", "rotated"),
    [
        ({"lossless": False}, False),
        ({"lossless": True}, False),
        ({"exif": gps_exif(1).tobytes()}, False),
        ({"exif": gps_exif(6).tobytes(), "icc_profile": b"\0" * 131}, True),  # an odd-sized chunk before EXIF
    ],
    ids=["lossy", "lossless", "extended", "extended-rotated"],
)
def test_webp_size_is_read_from_its_header(options: dict[str, Any], rotated: bool) -> None:
    data = photo("WEBP", (1234, 567), **options)
    header = _webp_header(data)
    assert header is not None
    assert (header.size, header.rotated) == (Image.open(io.BytesIO(data)).size, rotated)
    assert _webp_header(photo("PNG", (10, 10))) is None


def test_a_webp_over_the_pixel_limit_is_refused_before_it_is_opened(settings: Any) -> None:
    settings.INJAAZ_UPLOAD_MAX_PIXELS = 1000
    with pytest.raises(UploadRejectedError, match="1234 x 567 pixels, more than the 1,000 allowed"):
        image_prepare(photo("WEBP", (1234, 567)))


def test_decoding_waits_for_the_budget_in_arrival_order() -> None:
    memory = _DecodeMemory()
    order: list[str] = []
    first = memory.reserve(60, 100)
    first.__enter__()

    def take(name: str, cost: int, started: threading.Event) -> None:
        started.set()
        with memory.reserve(cost, 100):
            order.append(name)

    big_started, small_started = threading.Event(), threading.Event()
    big = threading.Thread(target=take, args=("big", 70, big_started))
    big.start()
    big_started.wait()
    small = threading.Thread(target=take, args=("small", 10, small_started))
    small.start()
    small_started.wait()
    big.join(0.3)
    small.join(0.3)
    # 10 would fit beside the 60 held, but the 70 that came first waits for it and is not overtaken.
    assert order == [] and big.is_alive() and small.is_alive()
    first.__exit__(None, None, None)
    big.join(10)
    small.join(10)
    assert order == ["big", "small"]
    with memory.reserve(100, 0):  # a budget of 0: no bound
        pass
