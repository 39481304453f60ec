"""What the production tests share: a throwaway PostgreSQL, the documented commands, an HTTP client.

The production tests run the commands docs/DEPLOY.md gives, as separate processes with production
settings (``injaaz.settings``, DEBUG=0), against a PostgreSQL cluster of their own (``initdb`` in a
temporary folder, on a free port): they can stop it, dump it and restore it without touching the
server other tests share.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv's bin/: python, gunicorn

DEPLOY_MD = ROOT / "docs" / "DEPLOY.md"


def deploy_commands() -> list[str]:
    """Every command line in DEPLOY.md's ```sh blocks, comments removed, in the order given."""
    commands: list[str] = []
    in_block = False
    for line in DEPLOY_MD.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("```"):
            in_block = stripped == "```sh" and not in_block
            continue
        if in_block:
            command = re.sub(r"\s+#\s.*$", "", stripped)
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def documented(command: str) -> str:
    """``command``, which must be one DEPLOY.md gives word for word: the tests run only those."""
    assert command in deploy_commands(), f"not a command docs/DEPLOY.md gives: {command}"
    return command


MAKE_SECRET_KEY = documented('python -c "import secrets; print(secrets.token_urlsafe(50))"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if not found:
        from tests.system_requirements import install_message

        raise AssertionError(
            f"PostgreSQL's server programs (initdb, pg_ctl) are missing.\n{install_message('postgresql')}"
        )
    return Path(found[-1]).parent


def wait_for(condition: Callable[[], bool], *, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class ThrowawayPostgres:
    """A PostgreSQL cluster of the test's own: ``initdb`` in a temporary folder, on a free port.

    As root the server runs as the ``postgres`` system user (PostgreSQL refuses to run as root).
    """

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="injaaz-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        # Quick and throwaway: no fsync; sockets in our folder, not /var/run/postgresql. Never the
        # default port: that is the server everyone else's tests use.
        self.options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.start()

    def _run(self, *arguments: Any) -> subprocess.CompletedProcess[str]:
        command = [str(argument) for argument in arguments]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        return result

    def pg_ctl(self, action: str, *arguments: Any) -> None:
        self._run(self.bin / "pg_ctl", action, "-D", self.data, *arguments)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}?connect_timeout=3"

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "fast", "-w")

    def start(self) -> None:
        self.pg_ctl("start", "-w", "-t", "60", "-o", self.options, "-l", self.folder / "server.log")

    def destroy(self) -> None:
        with contextlib.suppress(AssertionError):
            self.pg_ctl("stop", "-m", "immediate", "-w")
        shutil.rmtree(self.folder, ignore_errors=True)

    def psql(self, database: str, sql: str) -> str:
        result = subprocess.run(
            ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", self.url(database), "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


@dataclass
class Site:
    """One installation: its environment (as /etc/injaaz/injaaz.env would hold it) and folders."""

    folder: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return int(self.env["GUNICORN_BIND"].rsplit(":", 1)[1])

    @classmethod
    def make(cls, folder: Path, *, database_url: str, secret_key: str, port: int) -> Site:
        env = {
            "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(folder),
            "DJANGO_SETTINGS_MODULE": "injaaz.settings",
            "DEBUG": "0",
            "SECRET_KEY": secret_key,
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port}",
            "INJAAZ_BEHIND_PROXY": "1",
            "STATIC_ROOT": str(folder / "static"),
            "MEDIA_ROOT": str(folder / "media"),
            "INJAAZ_LEGACY_DIR": str(folder / "generated"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            "LOG_FORMAT": "json",
        }
        return cls(folder=folder, env=env)

    def run(self, command: str, *, check: bool = True, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """A command line DEPLOY.md gives, run by bash in the project folder with the site's environment."""
        result = subprocess.run(
            ["bash", "-c", documented(command)],
            cwd=ROOT,
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
        return result

    def run_in_background(self, name: str, command: str, **extra_env: str) -> subprocess.Popen[bytes]:
        """A long-running command DEPLOY.md gives (gunicorn, a worker), as its own process."""
        return self.start(name, ["bash", "-c", f"exec {documented(command)}"], **extra_env)

    def manage(self, *arguments: str, check: bool = True, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """``python manage.py ARGUMENTS``: test set-up and checks that are not DEPLOY.md's steps."""
        result = subprocess.run(
            ["python", "manage.py", *arguments],
            cwd=ROOT,
            env={**self.env, **extra_env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert result.returncode == 0, f"manage.py {' '.join(arguments)}: {result.stdout}{result.stderr}"
        return result

    def start(self, name: str, command: list[str], **extra_env: str) -> subprocess.Popen[bytes]:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command, cwd=ROOT, env={**self.env, **extra_env}, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class Browser:
    """A client that talks plain HTTP to gunicorn the way a TLS-terminating proxy would: with
    ``X-Forwarded-Proto: https``, keeping cookies (Secure ones too) and sending the CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        proxy: bool = True,
    ) -> Response:
        sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if proxy:
            sent["X-Forwarded-Proto"] = "https"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if method != "GET":
            sent.setdefault("Origin", self.origin)
            if "csrftoken" in self.cookies:
                sent.setdefault("X-CSRFToken", self.cookies["csrftoken"])
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Response(answer.status, answer.headers, data)

    def get(self, path: str, **options: Any) -> Response:
        return self.request("GET", path, **options)

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        from urllib.parse import urlencode

        return self.request(
            "POST",
            path,
            body=urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": self.origin + path},
        )

    def post_json(self, path: str, document: Any) -> Response:
        return self.request(
            "POST", path, body=json.dumps(document).encode(), headers={"Content-Type": "application/json"}
        )

    def log_in(self, email: str, password: str) -> None:
        self.get("/accounts/login/")
        answer = self.post_form(
            "/accounts/login/",
            {"username": email, "password": password, "csrfmiddlewaretoken": self.cookies["csrftoken"]},
        )
        assert answer.status == 302, answer.text[:2000]
