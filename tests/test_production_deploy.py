"""docs/DEPLOY.md's steps, run in order on a fresh PostgreSQL with production settings.

DEBUG=0, a secret key made by the documented command, INJAAZ_BEHIND_PROXY=1: ``migrate``,
``collectstatic``, ``createsuperuser`` (at a terminal, as an operator types it), gunicorn with
``deploy/gunicorn.conf.py`` on a free loopback port and ``run_worker`` as a separate process. Then,
over HTTP as the proxy forwards it (``X-Forwarded-Proto: https``): the pages' CSS and JavaScript,
an inspector's report and its PDF, the health check, the daily jobs, a worker stopped mid-job, and
the health check once the database is stopped. The tests of this module run in order, on one site.
"""

from __future__ import annotations

import base64
import json
import os
import pty
import re
import select
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.jobs_support import jpeg_bytes, signature_data_url
from tests.production_support import (
    BIN,
    MAKE_SECRET_KEY,
    ROOT,
    Browser,
    Site,
    ThrowawayPostgres,
    deploy_commands,
    documented,
    free_port,
    wait_for,
)
from tests.system_requirements import require_program

# Only where the suite runs on PostgreSQL: this module brings up a cluster of its own.
pytestmark = [pytest.mark.postgres]

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Tq7-long-admin-passphrase-2026"
INSPECTOR_EMAIL = "inspector@example.com"
INSPECTOR_PASSWORD = "Zk4-inspector-passphrase-2026"

HASHED = re.compile(r"\.[0-9a-f]{12}\.(css|js)$")
YEAR = 365 * 24 * 3600


def create_superuser_at_a_terminal(site: Site) -> str:
    """``python manage.py createsuperuser --email …`` as an operator runs it: password typed twice."""
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the command, with the terminal as its controlling tty
        os.chdir(ROOT)
        command = documented(f"python manage.py createsuperuser --email {ADMIN_EMAIL}")
        os.execvpe("bash", ["bash", "-c", command], site.env)  # noqa: S606
    transcript = b""
    answered = 0
    while True:
        ready, _, _ = select.select([terminal], [], [], 60)
        assert ready, f"createsuperuser stopped answering: {transcript!r}"
        try:
            chunk = os.read(terminal, 1024)
        except OSError:  # the child closed the terminal: done
            break
        if not chunk:
            break
        transcript += chunk
        if transcript.count(b"Password") > answered:
            answered += 1
            os.write(terminal, ADMIN_PASSWORD.encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, transcript.decode(errors="replace")
    return transcript.decode(errors="replace")


@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="module")
def site(cluster: ThrowawayPostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    cluster.psql("postgres", "CREATE DATABASE injaaz")
    key = subprocess.run(
        ["bash", "-c", MAKE_SECRET_KEY],
        env={"PATH": f"{BIN}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert len(key) >= 50
    port = free_port()
    installed = Site.make(
        tmp_path_factory.mktemp("site"), database_url=cluster.url("injaaz"), secret_key=key, port=port
    )

    # The documented steps, in order.
    migrated = installed.run("python manage.py migrate --noinput")
    assert "Applying audit.0004_audit_logs_request_id... OK" in migrated.stdout
    collected = installed.run("python manage.py collectstatic --noinput")
    assert re.search(r"\d+ static files copied to '.*static', \d+ post-processed", collected.stdout), collected.stdout
    static = Path(installed.env["STATIC_ROOT"])
    assert list(static.rglob("injaaz.*.css.br")) and list(static.rglob("injaaz.*.css.gz"))
    transcript = create_superuser_at_a_terminal(installed)
    assert "Superuser created successfully." in transcript
    # Test data, not a documented step: an inspector's login (staff add them in the admin).
    installed.manage(
        "shell",
        "-c",
        "from accounts.models import User; "
        f"User.objects.create_user({INSPECTOR_EMAIL!r}, {INSPECTOR_PASSWORD!r}, role='inspector')",
    )
    installed.run_in_background("web", "gunicorn -c deploy/gunicorn.conf.py injaaz.wsgi")
    installed.run_in_background("worker", "python manage.py run_worker")
    browser = Browser(port)
    wait_for(lambda: _answers(browser), timeout=60, what="gunicorn to answer")
    try:
        yield installed
    finally:
        installed.stop_all()


def _answers(browser: Browser) -> bool:
    try:
        return browser.get("/health").status == 200
    except OSError:
        return False


@pytest.fixture
def browser(site: Site) -> Browser:
    return Browser(site.port)


def assets_of(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page)


def assert_served_for_a_year(browser: Browser, path: str) -> None:
    assert HASHED.search(path), f"{path} has no content hash in its name"
    plain = browser.get(path)
    assert plain.status == 200 and plain.body, path
    cache = plain.headers["Cache-Control"]
    max_age = int(re.search(r"max-age=(\d+)", cache).group(1))  # type: ignore[union-attr]
    assert max_age >= YEAR and "immutable" in cache, cache
    squeezed = browser.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert squeezed.status == 200
    encoding = squeezed.headers["Content-Encoding"]
    assert encoding in {"br", "gzip"}, path
    assert len(squeezed.body) < len(plain.body)
    gzipped = browser.get(path, headers={"Accept-Encoding": "gzip"})
    if len(plain.body) > 1024:
        assert gzipped.headers["Content-Encoding"] == "gzip"


def test_the_login_page_loads_its_css_hashed_compressed_and_cached_for_a_year(browser: Browser) -> None:
    page = browser.get("/accounts/login/")
    assert page.status == 200
    assets = assets_of(page.text)
    assert any(path.startswith("/static/css/injaaz.") for path in assets), assets
    for path in assets:
        assert_served_for_a_year(browser, path)
    # Without the proxy's header the app insists on HTTPS, as production must.
    redirected = browser.get("/accounts/login/", proxy=False)
    assert redirected.status == 301 and redirected.headers["Location"].startswith("https://")


def test_the_admin_loads_its_css_and_javascript(browser: Browser) -> None:
    login = browser.get("/admin/login/")
    assert login.status == 200
    browser.log_in(ADMIN_EMAIL, ADMIN_PASSWORD)
    index = browser.get("/admin/")
    assert index.status == 200 and "Injaaz administration" in index.text
    assets = sorted(set(assets_of(login.text) + assets_of(index.text)))
    assert any(path.endswith(".js") for path in assets) and any(path.endswith(".css") for path in assets), assets
    for path in assets:
        assert_served_for_a_year(browser, path)


def report_body(photos: int) -> dict[str, Any]:
    return {
        "client_name": "Emaar",
        "project_name": "Creek Tower",
        "site_address": "Creek Harbour",
        "date_of_visit": "2026-03-03",
        "scope_offices": "True",
        "assessor_name": "Ali",
        "contact_name": "Sara",
        "tech_signature": signature_data_url(),
        "contact_signature": "",
        "photos": [
            "data:image/jpeg;base64," + base64.b64encode(jpeg_bytes(seed=index)).decode() for index in range(photos)
        ],
    }


def submit_report(browser: Browser, *, photos: int = 1) -> tuple[str, str]:
    """Submit a cleaning report as the inspector; its job id and the submit's request id."""
    answer = browser.post_json("/cleaning/submit", report_body(photos))
    assert answer.status == 202, answer.text[:2000]
    return answer.json()["job_id"], answer.headers["X-Request-ID"]


def job_status(browser: Browser, job_id: str) -> dict[str, Any]:
    answer = browser.get(f"/jobs/{job_id}/status")
    assert answer.status == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


@pytest.fixture
def inspector(browser: Browser) -> Browser:
    browser.log_in(INSPECTOR_EMAIL, INSPECTOR_PASSWORD)
    return browser


def test_an_inspectors_report_is_built_by_the_worker_and_its_pdf_downloads(
    inspector: Browser, site: Site, cluster: ThrowawayPostgres
) -> None:
    form = inspector.get("/cleaning/form")
    assert form.status == 200
    for path in assets_of(form.text):
        assert_served_for_a_year(inspector, path)

    job_id, request_id = submit_report(inspector)
    wait_for(lambda: job_status(inspector, job_id)["status"] == "done", timeout=120, what="the report")
    status = job_status(inspector, job_id)
    pdf = inspector.get(status["pdf_url"])
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.body.startswith(b"%PDF-")
    excel = inspector.get(status["excel_url"])
    assert excel.status == 200 and excel.body.startswith(b"PK")

    # The submit's request id is on its audit row and on the web server's log lines.
    audited = cluster.psql("injaaz", "SELECT request_id FROM audit_logs WHERE action = 'submit_form'")
    assert audited == request_id
    lines = [json.loads(line) for line in site.log("web").splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "gunicorn.access" and line.get("request_id") == request_id]
    assert [(line["method"], line["path"], line["status"]) for line in access] == [("POST", "/cleaning/submit", 202)]
    assert all(line["level"] in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"} for line in lines)


def test_health_answers_200_with_the_queue_even_over_plain_http(browser: Browser) -> None:
    for proxy in (True, False):  # the load balancer's probe may not say https
        answer = browser.get("/health", proxy=proxy)
        assert answer.status == 200
        assert answer.json() == {"status": "ok", "database": "ok", "queued_jobs": 0, "oldest_queued_job_seconds": None}


def test_the_daily_jobs_and_check_health_run(site: Site) -> None:
    assert site.run("python manage.py check_health").stdout == "Healthy: the database answers; no job queued.\n"
    site.run("python manage.py cleanup_jobs --older-than 7d")
    pruned = site.run("python manage.py prune_db_task_results --min-age-days 7 --failed-min-age-days 30")
    assert "Deleted 0 task result(s)" in pruned.stdout


def test_sigterm_to_the_worker_mid_job_leaves_no_job_running(inspector: Browser, site: Site) -> None:
    worker = site.processes["worker"]

    # Stopped as systemd stops it (SIGTERM): the job in progress is finished first.
    job_id, _ = submit_report(inspector, photos=6)
    wait_for(lambda: job_status(inspector, job_id)["status"] == "running", timeout=60, what="the job to run")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=120) == 0
    assert job_status(inspector, job_id)["status"] == "done"

    # With no grace period the job is given back to the queue, and the next worker finishes it.
    impatient = site.run_in_background(
        "worker-impatient", "python manage.py run_worker", INJAAZ_WORKER_STOP_SECONDS="0"
    )
    job_id, _ = submit_report(inspector, photos=6)
    wait_for(lambda: job_status(inspector, job_id)["status"] == "running", timeout=60, what="the job to run")
    impatient.send_signal(signal.SIGTERM)
    assert impatient.wait(timeout=60) == 0
    assert job_status(inspector, job_id)["status"] in {"started", "done"}  # never left "running"
    if "given back to the queue" in site.log("worker-impatient"):
        assert job_status(inspector, job_id)["status"] == "started"

    site.run_in_background("worker-2", "python manage.py run_worker")
    wait_for(lambda: job_status(inspector, job_id)["status"] == "done", timeout=120, what="the given-back job")


def test_health_answers_503_while_the_database_is_stopped(
    browser: Browser, site: Site, cluster: ThrowawayPostgres
) -> None:
    cluster.stop()
    try:
        answer = browser.get("/health")
        assert answer.status == 503
        body = answer.json()
        assert (body["status"], body["queued_jobs"]) == ("unhealthy", None)
        assert body["database"].startswith("error: ")
        probe = site.run("python manage.py check_health", check=False)
        assert probe.returncode == 1
        assert probe.stderr.startswith("CommandError: Unhealthy: the database does not answer (")
        assert probe.stdout == "" and len(probe.stderr.strip().splitlines()) == 1
    finally:
        cluster.start()
    wait_for(lambda: browser.get("/health").status == 200, timeout=30, what="health to recover")


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    analyze = "/usr/bin/systemd-analyze"
    if not Path(analyze).exists():
        pytest.skip("systemd-analyze is not on this machine (no systemd): the unit files are not verified here")
    units = sorted((ROOT / "deploy" / "systemd").iterdir())
    for unit in units:
        # The units name /opt/injaaz, where DEPLOY.md installs Injaaz; here it is this checkout.
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/injaaz", str(ROOT)))
    (tmp_path / "injaaz-worker@1.service").write_text((tmp_path / "injaaz-worker@.service").read_text())
    names = [unit.name for unit in units if "@." not in unit.name] + ["injaaz-worker@1.service"]
    result = subprocess.run(
        [analyze, "verify", "--man=no", *names], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr


def nginx_in_front(site: Site, folder: Path) -> tuple[subprocess.Popen[bytes], int]:
    """deploy/nginx/injaaz.conf as shipped, on free ports, with a self-signed certificate, in front
    of the site's gunicorn. The returned port is its HTTPS one."""
    nginx = require_program("nginx", package="nginx-light")
    openssl = require_program("openssl", package="openssl")
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", folder / "key.pem", "-out", folder / "cert.pem"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    https, plain = free_port(), free_port()
    sample = (ROOT / "deploy" / "nginx" / "injaaz.conf").read_text()
    replaced = (
        sample.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
        .replace("listen [::]:443 ssl http2;", "")
        .replace("listen 80;", f"listen 127.0.0.1:{plain};")
        .replace("listen [::]:80;", "")
        .replace("/etc/letsencrypt/live/injaaz.example.com/fullchain.pem", str(folder / "cert.pem"))
        .replace("/etc/letsencrypt/live/injaaz.example.com/privkey.pem", str(folder / "key.pem"))
        .replace("server 127.0.0.1:8000;", f"server {site.env['GUNICORN_BIND']};")
    )
    assert replaced.count(str(folder)) == 2 and str(https) in replaced
    (folder / "injaaz.conf").write_text(replaced)
    (folder / "nginx.conf").write_text(
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log {folder}/access.log;\n  client_body_temp_path {folder}/body;\n"
        f"  proxy_temp_path {folder}/proxy;\n  include {folder}/injaaz.conf;\n}}\n"
        + ("user root;\n" if os.geteuid() == 0 else "")
    )
    tested = subprocess.run(
        [nginx, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")], capture_output=True, text=True, timeout=60
    )
    assert tested.returncode == 0 and "test is successful" in tested.stderr, tested.stderr
    process = site.start("nginx", [nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"])
    return process, https


def test_the_nginx_sample_passes_nginx_t_and_serves_the_app_over_tls(site: Site, tmp_path: Path) -> None:
    import http.client
    import ssl

    process, port = nginx_in_front(site, tmp_path)

    def fetch(method: str, path: str, body: bytes | None = None) -> http.client.HTTPResponse:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=60, context=ssl.create_default_context(cafile=tmp_path / "cert.pem")
        )
        connection.request(method, path, body=body, headers={"Host": "127.0.0.1"})
        answer = connection.getresponse()
        answer.read()
        connection.close()
        return answer

    wait_for(lambda: _tls_answers(fetch), timeout=30, what="nginx to answer")
    # The app saw https (no redirect to it) and nginx's request id.
    login = fetch("GET", "/accounts/login/")
    assert login.status == 200
    assert re.fullmatch(r"[0-9a-f]{32}", login.headers["X-Request-ID"])
    wait_for(lambda: "GET /accounts/login/" in (tmp_path / "access.log").read_text(), what="nginx's access log")
    # Bodies over the limit (one photo, INJAAZ_UPLOAD_MAX_BYTES, plus its form) stop at nginx.
    limit = int(re.search(r"client_max_body_size (\d+)m;", (tmp_path / "injaaz.conf").read_text()).group(1))  # type: ignore[union-attr]
    assert limit * 1024 * 1024 >= 10 * 1024 * 1024 + 512 * 1024
    assert fetch("POST", "/cleaning/submit", b"x" * (limit * 1024 * 1024 + 1)).status == 413
    process.terminate()
    assert process.wait(timeout=30) == 0


def _tls_answers(fetch: Any) -> bool:
    try:
        return bool(fetch("GET", "/health").status == 200)
    except OSError:
        return False


def test_every_command_deploy_md_gives_is_one_these_tests_run() -> None:
    """Each ``sh`` box line of DEPLOY.md is a string these tests pass to ``documented`` (by way of
    ``Site.run``/``run_in_background``): a command added to the page without a test fails here."""
    import ast

    sources = [ROOT / "tests" / name for name in ("test_production_deploy.py", "test_production_backup.py")]
    sources.append(ROOT / "tests" / "production_support.py")
    strings: set[str] = set()
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
            elif isinstance(node, ast.JoinedStr):  # f-strings: the createsuperuser line
                strings.add(
                    "".join(str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values)
                )
    untested = [
        command
        for command in deploy_commands()
        if command not in strings and command.replace(ADMIN_EMAIL, "{}") not in strings
    ]
    assert untested == []
