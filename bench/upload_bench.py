"""What checking and normalising an inspector's photo costs (``submissions.uploads.image_prepare``).

Usage: .venv/bin/python bench/upload_bench.py [N]
Phone-sized photos (12 MP JPEG, upright and rotated by EXIF with GPS; a 50 MP JPEG, decoded at half
size; a 3 MP PNG; a 10 MP WebP, and a detailed 12 MP one over the default decoding budget) and the
refusals (a decompression bomb, a text file): median time of N runs each, input and output
sizes, and how much the resident memory rises while one photo is prepared (peak RSS over the level
before, Linux, each case in a fresh interpreter).
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "injaaz.settings_test")

import django

django.setup()

from PIL import ExifTags, Image  # noqa: E402

from submissions.uploads import UploadRejectedError, image_prepare  # noqa: E402


def photo(fmt: str, size: tuple[int, int], *, orientation: int = 1, quality: int = 90) -> bytes:
    """A photo-like image: smooth gradients plus sensor-like noise (compresses like a real photo)."""
    gradient = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 24)
    image = Image.merge("RGB", (gradient, noise, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneCam"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (25.0, 12.0, 0.0), 3: "E", 4: (55.0, 17.0, 0.0)}
    buffer = io.BytesIO()
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    image.save(buffer, fmt, exif=exif.tobytes(), **options)
    return buffer.getvalue()


def bomb() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def peak_in_this_process(data: bytes) -> int:
    """How far the resident set rises above its level before the call (Linux: the peak RSS is
    reset through /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    with contextlib.suppress(UploadRejectedError):
        image_prepare(data)
    return (_status_kb("VmHWM") - before) * 1024


def peak_growth(data: bytes) -> int:
    """``peak_in_this_process`` in a fresh interpreter, so no buffer cached by an earlier case
    (Pillow keeps freed blocks for reuse) hides the cost."""
    with tempfile.NamedTemporaryFile(suffix=".img") as file:
        file.write(data)
        file.flush()
        result = subprocess.run(
            [sys.executable, __file__, "--peak", file.name], capture_output=True, text=True, check=True, timeout=300
        )
    return int(result.stdout.strip().splitlines()[-1])


def measure(label: str, data: bytes, runs: int) -> None:
    times = []
    output = b""
    outcome = ""
    for _ in range(runs):
        start = time.perf_counter()
        try:
            output = image_prepare(data).data
            outcome = "stored"
        except UploadRejectedError as error:
            outcome = f"refused: {str(error)[:40]}"
        times.append(time.perf_counter() - start)
    peak = peak_growth(data)
    print(
        f"{label:<34} {statistics.median(times) * 1000:8.1f} ms  in {len(data) / 1e6:6.2f} MB"
        f"  out {len(output) / 1e6:6.2f} MB  peak +{peak / 1e6:5.1f} MB  {outcome}"
    )


def main() -> None:
    if sys.argv[1:2] == ["--peak"]:
        print(peak_in_this_process(Path(sys.argv[2]).read_bytes()))
        return
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(f"image_prepare, median of {runs} runs, Pillow {Image.__version__}")
    measure("JPEG 4032x3024 upright (keep)", photo("JPEG", (4032, 3024)), runs)
    measure("JPEG 4032x3024 EXIF-rotated", photo("JPEG", (4032, 3024), orientation=6), runs)
    measure("JPEG 8160x6120 (50 MP, decoded 1/2)", photo("JPEG", (8160, 6120), quality=50), runs)
    measure("PNG 2000x1500", photo("PNG", (2000, 1500)), runs)
    measure("WebP 3600x2700", photo("WEBP", (3600, 2700)), runs)
    measure("WebP 4032x3024 (over the budget)", photo("WEBP", (4032, 3024)), runs)
    measure("decompression bomb (3.6 GP PNG)", bomb(), runs)
    measure("text file named .jpg", b"not an image\n" * 1000, runs)


if __name__ == "__main__":
    main()
