"""Twenty wrong passwords for one account at the same moment, against a real multi-threaded server:
no more than ``INJAAZ_LOGIN_MAX_FAILURES`` of them reach the password check.

The server is gunicorn (2 processes of 10 threads) on the test database (PostgreSQL) or on a
SQLite file made for the test (SQLite's in-memory test database cannot be shared with another
process). The account's password is hashed with Django's default, slow hasher, so the checks
overlap as they do in production.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection

from tests.import_helpers import database_url

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "racer@example.com"
PASSWORD = "the-right-Password-42"
ATTEMPTS = 20
LIMIT = 5


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _manage(environment: dict[str, str], *arguments: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A gunicorn server with one account, ``EMAIL``; yields its base URL."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.server_settings",
        "INJAAZ_LOGIN_MAX_FAILURES": str(LIMIT),
    }
    password_hash = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())
    if connection.vendor == "postgresql":
        environment["DATABASE_URL"] = database_url()
        from accounts.models import User

        User.objects.create(email=EMAIL, password=password_hash, role="inspector")
    else:
        environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        _manage(environment, "migrate", "--noinput", "-v0")
        create = f"from accounts.models import User; User.objects.create(email={EMAIL!r}, password={password_hash!r})"
        _manage(environment, "shell", "-c", create)
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    threads = ["--workers", "2", "--threads", "10", "--worker-class", "gthread", "--timeout", "120"]
    process = subprocess.Popen(
        # --no-control-socket: its default path is shared by every gunicorn on the machine.
        [
            sys.executable,
            "-m",
            "gunicorn",
            "injaaz.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            *threads,
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=30):  # noqa: S310 - loopback
                    break
            except OSError:  # refused while booting
                assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not answer within 60 s"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _login_form(base: str) -> tuple[str, str]:
    """The CSRF cookie and form token the login page hands out (any number of posts may reuse them)."""
    with urllib.request.urlopen(f"{base}/accounts/login/", timeout=30) as page:  # noqa: S310 - loopback
        cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())
    assert cookie and token
    return cookie.group(1), token.group(1)


def test_parallel_wrong_passwords_get_at_most_the_limit_of_password_checks(server: str) -> None:
    cookie, token = _login_form(server)
    body = urlencode({"username": EMAIL, "password": "wrong", "csrfmiddlewaretoken": token}).encode()
    barrier = threading.Barrier(ATTEMPTS)
    statuses: list[int] = []

    def attempt() -> None:
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{server}/accounts/login/", data=body, headers={"Cookie": f"csrftoken={cookie}"}
        )
        barrier.wait(timeout=60)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - loopback
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    # 200: the password was checked and was wrong; 429: refused before any check.
    assert sorted(statuses) == [200] * LIMIT + [429] * (ATTEMPTS - LIMIT)

    if connection.vendor == "postgresql":  # the server's audit rows are in the test database
        from audit.models import AuditLog

        failures = AuditLog.objects.filter(action="login_failed", details__email=EMAIL)
        assert failures.filter(details__reason="bad_credentials").count() == LIMIT
        assert failures.filter(details__reason="throttled").count() == ATTEMPTS - LIMIT
