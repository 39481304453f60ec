"""The two hot paths over HTTP, against their floors, in one run (issue 17).

Usage: DATABASE_URL=postgres://…/a_throwaway_database .venv/bin/python bench/web_bench.py [--seconds 20] [--runs 3]

Needs ``wrk`` (Debian: ``apt-get install -y wrk``). The database must be one the bench may fill:
it migrates it, creates a user and a job, and every submit case adds rows (audit rows cannot be
deleted). Two gunicorn servers of the same shape (``-w 2 -k gthread --threads 4``, ``DEBUG=0``)
serve the database: Injaaz with its full middleware, and the same project with no middleware at
all (the floor server). Both route the bench's floor views (``bench/web_floor.py``) beside the app.

Cases, logged in as the job's owner (session cookie; CSRF cookie and header for the POSTs):

- ``floor status``: no middleware, one indexed SELECT of the job row (concurrency 20);
- ``floor status + mw``: the same view behind Injaaz's middleware;
- ``/jobs/<id>/status`` and ``/hvac-mep/status/<id>``: the two status routes (200 answers);
- ``/jobs/<id>/status 304``: the same poll sending the ETag back;
- ``floor submit``: the four rows a submit writes, hand-written SQL, one transaction (concurrency 10);
- ``POST /hvac-mep/submit-with-urls``: the JSON submit, two items, no photos.

Each case runs ``--runs`` times for ``--seconds`` (interleaved: run 1 of every case, then run 2…,
so a noisy neighbour spreads over all cases). Printed per run and as the median: requests/s,
p50 and p99 latency, errors (connect, read, write, timeout, non-2xx/3xx); then the ratios the
issue's targets are stated in.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-web"  # noqa: S105 - a bench database only
CSRF_SECRET = "b" * 32  # an unmasked CSRF secret: the cookie and the header carry the same value
SERVER_ENV = {
    "SECRET_KEY": SECRET,
    "DEBUG": "0",
    "INJAAZ_HTTPS": "0",
    "ALLOWED_HOSTS": "127.0.0.1",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "bench.web_settings",
}
os.environ.update({key: value for key, value in SERVER_ENV.items() if key != "DJANGO_SETTINGS_MODULE"})
os.environ["DJANGO_SETTINGS_MODULE"] = "injaaz.settings"
MEDIA = Path(tempfile.mkdtemp(prefix="injaaz-web-bench-media-"))
LEGACY = Path(tempfile.mkdtemp(prefix="injaaz-web-bench-generated-"))
os.environ["MEDIA_ROOT"] = str(MEDIA)
os.environ["INJAAZ_LEGACY_DIR"] = str(LEGACY)


def _signature() -> str:
    """A small drawn signature (the technician's is required on every submit)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (200, 60), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 40), (60, 15), (110, 45), (190, 20)], fill=(0, 0, 0, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


SUBMIT_BODY: dict[str, Any] = {
    "site_name": "Bench Tower",
    "visit_date": "2026-01-15",
    "tech_signature": _signature(),
    "items": [
        {"asset": "HVAC", "system": "Chiller Evaporator", "description": "Chiller", "photo_urls": []},
        {"asset": "HVAC", "system": "Chiller Condenser", "description": "Condenser Pump", "photo_urls": []},
    ],
}

REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout + e.status))
end
"""


@dataclass(frozen=True)
class Case:
    name: str
    server: str  # "app" or "bare"
    path: str
    connections: int
    headers: tuple[str, ...] = ()
    body: str | None = None


@dataclass(frozen=True)
class Result:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(*, bare: bool, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    environment = {**os.environ, **SERVER_ENV, "INJAAZ_BENCH_BARE": "1" if bare else "0"}
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-k",
            "gthread",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--chdir",
            str(ROOT),
            "injaaz.wsgi:application",
        ],
        env=environment,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib3.request("GET", base + "/health", timeout=2, retries=False)
            return process, base
        except urllib3.exceptions.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"gunicorn did not start:\n{log.read_text()}") from None
            time.sleep(0.3)


def prepare() -> tuple[str, int, str]:
    """Migrate, and create the owner, their session and a queued job: (job_id, user id, cookie)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import User
    from jobs.models import Job
    from submissions.services import submission_create

    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(email="web-bench@example.com", defaults={"role": "inspector"})
    submission = submission_create(
        actor=user,
        module="hvac_mep",
        form_data={
            **SUBMIT_BODY,
            "items": [{**item, "photo_urls": None, "photos": []} for item in SUBMIT_BODY["items"]],
        },
    )
    job = Job.objects.get(submission=submission)
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    return job.job_id, user.pk, f"sessionid={session}; csrftoken={CSRF_SECRET}"


def run_wrk(case: Case, base: str, seconds: int, scripts: Path) -> Result:
    script = scripts / "report.lua"
    if case.body is not None:
        script = scripts / f"{case.name.replace(' ', '_').replace('/', '_')}.lua"
        script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(case.body)}\n{REPORT_LUA}')
    command = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(case.connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    for header in case.headers:
        command += ["-H", header]
    output = subprocess.run([*command, base + case.path], capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    requests, duration_us, p50_us, p99_us, errors = (int(value) for value in line.split()[1:])
    return Result(requests / (duration_us / 1e6), p50_us / 1000, p99_us / 1000, errors)


def median(results: list[Result]) -> Result:
    return Result(
        statistics.median(r.rate for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        int(statistics.median(r.errors for r in results)),
    )


def show(name: str, result: Result, suffix: str = "") -> None:
    print(
        f"{name:34} {result.rate:8.1f} req/s  p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms"
        f"  errors {result.errors}{suffix}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20, help="length of each wrk run")
    parser.add_argument("--runs", type=int, default=3, help="runs of each case (the median is reported)")
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database the bench may fill")

    job_id, user_id, cookies = prepare()
    from tests.inspection_helpers import signature_data_url

    SUBMIT_BODY["tech_signature"] = signature_data_url()  # the technician's signature is required
    from django.db import connections

    connections.close_all()
    scripts = Path(tempfile.mkdtemp(prefix="injaaz-web-bench-"))
    (scripts / "report.lua").write_text(REPORT_LUA)
    session = (f"Cookie: {cookies}", "Accept: application/json")
    post = (*session, "Content-Type: application/json", f"X-CSRFToken: {CSRF_SECRET}", f"X-Bench-User: {user_id}")
    body = json.dumps(SUBMIT_BODY)
    etag = f'"{job_id}.started.0.1"'
    cases = [
        Case("floor status", "bare", f"/bench/floor/status/{job_id}", 20, session),
        Case("floor status + mw", "app", f"/bench/floor/status/{job_id}", 20, session),
        Case("/jobs/<id>/status", "app", f"/jobs/{job_id}/status", 20, session),
        Case("/jobs/<id>/status 304", "app", f"/jobs/{job_id}/status", 20, (*session, f"If-None-Match: {etag}")),
        Case("/hvac-mep/status/<id>", "app", f"/hvac-mep/status/{job_id}", 20, session),
        Case("floor submit", "bare", "/bench/floor/submit", 10, post, body),
        Case("POST /hvac-mep/submit-with-urls", "app", "/hvac-mep/submit-with-urls", 10, post, body),
    ]
    app, app_base = start_server(bare=False, log=scripts / "app.log")
    bare, bare_base = start_server(bare=True, log=scripts / "bare.log")
    bases = {"app": app_base, "bare": bare_base}
    try:
        checks = {
            case.name: urllib3.request(
                "POST" if case.body else "GET",
                bases[case.server] + case.path,
                body=case.body,
                headers=dict(header.split(": ", 1) for header in case.headers),
                retries=False,
                redirect=False,
            ).status
            for case in cases
        }
        print(f"database {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]}; job {job_id}; first answers {checks}")
        results: dict[str, list[Result]] = {case.name: [] for case in cases}
        for run in range(1, arguments.runs + 1):
            for case in cases:
                result = run_wrk(case, bases[case.server], arguments.seconds, scripts)
                results[case.name].append(result)
                show(case.name, result, f"  (run {run})")
    finally:
        for process in (app, bare):
            process.terminate()
            process.wait(timeout=30)

    print(f"\nmedians of {arguments.runs} runs of {arguments.seconds} s")
    medians = {name: median(values) for name, values in results.items()}
    for name, result in medians.items():
        show(name, result)
    floor, submit_floor = medians["floor status"], medians["floor submit"]
    print("\nratios (targets: status >= 0.7x the floor's req/s and p99 <= 2x; submit >= 0.4x)")
    for name in ("floor status + mw", "/jobs/<id>/status", "/jobs/<id>/status 304", "/hvac-mep/status/<id>"):
        result = medians[name]
        print(f"{name:34} req/s {result.rate / floor.rate:5.2f}x the floor   p99 {result.p99_ms / floor.p99_ms:5.2f}x")
    submit = medians["POST /hvac-mep/submit-with-urls"]
    print(
        f"{'POST /hvac-mep/submit-with-urls':34} req/s {submit.rate / submit_floor.rate:5.2f}x the submit floor"
        f"   p99 {submit.p99_ms / submit_floor.p99_ms:5.2f}x"
    )
    full, conditional = medians["/jobs/<id>/status"], medians["/jobs/<id>/status 304"]
    print(
        f"{'304 against 200':34} req/s {conditional.rate / full.rate:5.2f}x   p50 {conditional.p50_ms / full.p50_ms:5.2f}x"
    )
    shutil.rmtree(MEDIA, ignore_errors=True)
    shutil.rmtree(LEGACY, ignore_errors=True)


if __name__ == "__main__":
    main()
