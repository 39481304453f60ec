"""Memory of the web processes while photos at the pixel limit are uploaded at once (issue 14 item 14).

Usage: .venv/bin/python bench/upload_memory_bench.py [--uploads 10] [--formats jpeg,png,webp]

For each case it starts the web server as production runs it (gunicorn with
``deploy/gunicorn.conf.py`` when the project has one, else the same shape on the command line:
gthread, one process per core plus one, four threads each) on a free 127.0.0.1 port, against a
throwaway SQLite database, media and static folder; logs in over HTTP; warms every process with small
uploads; then measures the combined resident memory of the master and its workers (``/proc``,
every 5 ms): the **baseline** (idle, after warm-up) and the **peak** while ``--uploads`` photos
just under ``INJAAZ_UPLOAD_MAX_PIXELS`` are posted to ``/hvac-mep/upload-photo`` at once.

JPEG (the phones' format) is sent just under ``INJAAZ_UPLOAD_MAX_PIXELS``; PNG and WebP, which
cannot be decoded at reduced size, at the largest size the default decoding budget
(``INJAAZ_UPLOAD_DECODE_MEMORY_MB``) accepts (larger ones are refused before they are decoded).
Each is run twice in the same run: ``unbounded`` (``INJAAZ_PHOTO_MAX_SIDE=0`` and
``INJAAZ_UPLOAD_DECODE_MEMORY_MB=0``: the server as it was, every upload decoded at full size at
once) and ``defaults`` (the settings as shipped). Every upload must answer 200; the figures are
the peak against the baseline and against 1 GiB.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import urllib3
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BUDGET = 1024**3
EMAIL, PASSWORD = "bench@example.com", "bench-password-1234"
CONFIGS = {
    "unbounded": {"INJAAZ_PHOTO_MAX_SIDE": "0", "INJAAZ_UPLOAD_DECODE_MEMORY_MB": "0"},
    "defaults": {},
}


# --- photos -----------------------------------------------------------------------------------


def limit_size(max_pixels: int) -> tuple[int, int]:
    """The largest 4:3 photo that is still under the limit (8160 x 6120 for 50 MP)."""
    width = int((max_pixels * 4 / 3) ** 0.5) // 16 * 16
    height = width * 3 // 4
    while width * height > max_pixels:
        width, height = width - 16, (width - 16) * 3 // 4
    return width, height


def accepted_size(fmt: str, max_pixels: int) -> tuple[int, int]:
    """The largest 4:3 photo of ``fmt`` the default settings accept (the decoding budget's plan)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "injaaz.settings_test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from submissions.uploads import decode_plan

    budget = settings.INJAAZ_UPLOAD_DECODE_MEMORY_MB * 1024 * 1024
    width, height = limit_size(max_pixels)
    while width > 16:
        plan = decode_plan(
            file_format=fmt,
            mode="RGB",
            size=(width, height),
            data_size=2_000_000,
            rotated=fmt == "PNG",  # a PNG's orientation is unknown until decoded: planned as turned
            max_side=settings.INJAAZ_PHOTO_MAX_SIDE,
        )
        if budget <= 0 or plan.cost <= budget:
            return width, height
        width -= 16
        height = width * 3 // 4
    raise RuntimeError(f"no {fmt} size fits the decoding budget")


def photo_at_limit(fmt: str, size: tuple[int, int], folder: Path) -> bytes:
    """A photo-like image at ``size`` in ``fmt``, under the 10 MB upload limit (cached per run)."""
    path = folder / f"{size[0]}x{size[1]}.{fmt.lower()}"
    if path.exists():
        return path.read_bytes()
    gradient = Image.linear_gradient("L").resize(size)
    if fmt == "JPEG":
        # Sensor-like noise in one channel: compresses like a phone photo (~7.6 MB at 50 MP).
        middle = Image.effect_noise(size, 8)
        options: dict[str, object] = {"quality": 85}
    else:
        # Lossless and WebP encoders are slow on noise; smooth channels keep the file small.
        middle = gradient.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        options = {"quality": 80, "method": 0} if fmt == "WEBP" else {"compress_level": 1}
    image = Image.merge("RGB", (gradient, middle, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def small_photo() -> bytes:
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((320, 240)).convert("RGB").save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(work: Path, overrides: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("INJAAZ_", "GUNICORN_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "injaaz.settings",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "127.0.0.1",
            "INJAAZ_HTTPS": "0",
            "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
            "MEDIA_ROOT": str(work / "media"),
            "STATIC_ROOT": str(work / "static"),
            "INJAAZ_LEGACY_DIR": str(work / "generated"),
            "LOG_LEVEL": "WARNING",
            **overrides,
        }
    )
    return env


def prepare_database(work: Path) -> None:
    env = server_env(work, {})
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    # Production serves hashed static names from STATIC_ROOT: pages need the manifest.
    subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    create = (
        "from accounts.models import User; "
        f"User.objects.filter(email={EMAIL!r}).exists() or "
        f"User.objects.create_user({EMAIL!r}, {PASSWORD!r}, role='inspector')"
    )
    subprocess.run([*manage, "shell", "-c", create], env=env, check=True, cwd=ROOT)


def gunicorn_command(port: int) -> tuple[list[str], dict[str, str], str]:
    gunicorn = str(Path(PYTHON).parent / "gunicorn")
    conf = ROOT / "deploy" / "gunicorn.conf.py"
    if conf.exists():
        return [gunicorn, "-c", str(conf), "injaaz.wsgi"], {"GUNICORN_BIND": f"127.0.0.1:{port}"}, str(conf)
    workers = (os.cpu_count() or 1) + 1
    command = [gunicorn, "injaaz.wsgi", "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread"]
    command += ["--workers", str(workers), "--threads", "4", "--timeout", "300"]
    return command, {}, f"gthread, {workers} workers x 4 threads (command line)"


@contextlib.contextmanager
def server(work: Path, overrides: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    command, extra, _ = gunicorn_command(port)
    process = subprocess.Popen(
        command,
        env=server_env(work, {**overrides, **extra}),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"gunicorn did not start: {process.stderr.read().decode() if process.stderr else ''}"
                )
            time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=60)


def process_tree(root_pid: int) -> list[int]:
    pids = [root_pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == root_pid:
                    pids.append(int(entry.name))
    return pids


def resident_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


class PeakSampler(threading.Thread):
    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids, self.peak, self.done = pids, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, resident_bytes(self.pids))
            time.sleep(0.005)


# --- HTTP -------------------------------------------------------------------------------------


@dataclass
class Session:
    base: str
    cookies: dict[str, str]
    pool: urllib3.PoolManager

    def headers(self) -> dict[str, str]:
        return {
            "Cookie": "; ".join(f"{key}={value}" for key, value in self.cookies.items()),
            "X-CSRFToken": self.cookies.get("csrftoken", ""),
            "Referer": self.base + "/",
        }

    def remember(self, response: urllib3.BaseHTTPResponse) -> None:
        for header in response.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]

    def upload(self, data: bytes, name: str) -> int:
        response = self.pool.request(
            "POST",
            self.base + "/hvac-mep/upload-photo",
            fields={"photo": (name, data, "application/octet-stream")},
            headers={**self.headers(), "Connection": "close"},  # no idle keep-alive the server may drop
            timeout=urllib3.Timeout(total=600),
            retries=False,
        )
        if response.status != 200:
            print(f"    upload answered {response.status}: {response.data[:200]!r}", file=sys.stderr)
        return response.status


def log_in(base: str) -> Session:
    session = Session(base, {}, urllib3.PoolManager(maxsize=32))
    page = session.pool.request("GET", base + "/accounts/login/")
    session.remember(page)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.data)
    assert token is not None, "no CSRF token on the login page"
    answer = session.pool.request(
        "POST",
        base + "/accounts/login/",
        fields={"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()},
        encode_multipart=False,
        headers=session.headers(),
        redirect=False,
    )
    session.remember(answer)
    assert answer.status == 302 and "sessionid" in session.cookies, f"login failed: {answer.status}"
    return session


def burst(session: Session, data: bytes, name: str, count: int) -> list[int]:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: session.upload(data, name), range(count)))


# --- main -------------------------------------------------------------------------------------


def run_case(work: Path, config: str, label: str, data: bytes, uploads: int) -> dict[str, object]:
    with server(work, CONFIGS[config]) as (base, process):
        session = log_in(base)
        warm = small_photo()
        for _ in range(3):  # every process and thread has served an upload: imports and caches are in
            assert set(burst(session, warm, "warm.jpg", 12)) == {200}
        time.sleep(1)
        pids = process_tree(process.pid)
        baseline = max(resident_bytes(pids) for _ in range(20))
        sampler = PeakSampler(pids)
        sampler.start()
        started = time.perf_counter()
        statuses = burst(session, data, f"limit.{label.lower()}", uploads)
        seconds = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
    return {
        "config": config,
        "format": label,
        "processes": len(pids),
        "baseline": baseline,
        "peak": sampler.peak,
        "seconds": seconds,
        "ok": statuses.count(200),
        "uploads": uploads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uploads", type=int, default=10, help="uploads at once (default 10)")
    parser.add_argument("--formats", default="jpeg,png,webp", help="comma-separated: jpeg, png, webp")
    parser.add_argument("--configs", default="unbounded,defaults", help="comma-separated: unbounded, defaults")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    arguments = parser.parse_args()
    max_pixels = int(os.environ.get("INJAAZ_UPLOAD_MAX_PIXELS", "50000000"))
    _, _, shape = gunicorn_command(0)
    print(f"{arguments.uploads} uploads at once; gunicorn: {shape}; Pillow {Image.__version__}; {os.cpu_count()} cores")
    results = []
    with tempfile.TemporaryDirectory(prefix="injaaz-upload-memory-") as folder:
        work = Path(folder)
        prepare_database(work)
        for label in arguments.formats.upper().split(","):
            size = limit_size(max_pixels) if label == "JPEG" else accepted_size(label, max_pixels)
            data = photo_at_limit(label, size, work)
            for config in arguments.configs.split(","):
                result = run_case(work, config, label, data, arguments.uploads)
                results.append(result)
                baseline, peak = int(result["baseline"]), int(result["peak"])  # type: ignore[call-overload]
                print(
                    f"{label:<5} {size[0]}x{size[1]} {len(data) / 1e6:4.1f} MB  {config:<10} baseline {baseline / 2**20:6.0f} MiB"
                    f"  peak {peak / 2**20:6.0f} MiB  (+{(peak - baseline) / 2**20:5.0f} MiB,"
                    f" {peak / baseline:4.1f}x baseline, {peak / BUDGET:4.0%} of 1 GiB)"
                    f"  {result['ok']}/{result['uploads']} stored in {result['seconds']:.1f} s"
                )
    if arguments.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
