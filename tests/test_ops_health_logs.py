"""Health (``/health``, ``manage.py check_health``), the request id and the log format.

The database-down cases run against a real stopped PostgreSQL in ``test_production_deploy``;
here the database answers and the queue's state is made with real task rows.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditLog
from audit.selectors import audit_chain_check
from injaaz import logs, request_id
from jobs.tasks import generate_reports

ROOT = Path(__file__).resolve().parent.parent


def queue_task(*, age: dt.timedelta, run_after: dt.datetime | None = None) -> None:
    generate_reports.enqueue("job_000000000000", 1)
    row = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert row is not None
    changes: dict[str, Any] = {"enqueued_at": timezone.now() - age}
    if run_after is not None:
        changes["run_after"] = run_after
    DBTaskResult.objects.filter(pk=row.pk).update(**changes)


@pytest.mark.django_db
def test_health_reports_the_queue_and_its_oldest_job(client: Client) -> None:
    queue_task(age=dt.timedelta(minutes=5))
    queue_task(age=dt.timedelta(minutes=1))
    # A retry waiting out its back-off is not late, however long ago it was queued.
    queue_task(age=dt.timedelta(hours=2), run_after=timezone.now() + dt.timedelta(minutes=1))

    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["database"], body["queued_jobs"]) == ("ok", "ok", 2)
    assert 299 <= body["oldest_queued_job_seconds"] <= 330
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_check_health_prints_one_line_and_fails_on_a_stuck_queue() -> None:
    out = io.StringIO()
    call_command("check_health", stdout=out)
    assert out.getvalue() == "Healthy: the database answers; no job queued.\n"

    queue_task(age=dt.timedelta(minutes=5))
    out = io.StringIO()
    call_command("check_health", "--max-queue-age", "600", stdout=out)
    assert out.getvalue().startswith("Healthy: the database answers; 1 job(s) queued, the oldest for 30")

    with pytest.raises(
        CommandError, match=r"^Unhealthy: 1 job\(s\) queued, the oldest for 30\d s, over 60 s: is a worker running\?$"
    ):
        call_command("check_health", "--max-queue-age", "60")


@pytest.mark.django_db
def test_each_response_has_a_request_id_and_its_audit_rows_carry_it(client: Client, inspector: Any) -> None:
    response = client.post("/accounts/login/", {"username": inspector.email, "password": inspector.raw_password})
    assert response.status_code == 302
    given = response["X-Request-ID"]
    assert len(given) == 32 and given != client.get("/health")["X-Request-ID"]
    login = AuditLog.objects.get(action="login")
    assert login.request_id == given
    # The id is outside the hash chain: the chain still verifies.
    assert audit_chain_check().broken is None


@pytest.mark.django_db
def test_a_proxys_request_id_is_kept_only_behind_a_proxy_and_only_when_plain(settings: Any, client: Client) -> None:
    nginx_id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert client.get("/health", HTTP_X_REQUEST_ID=nginx_id)["X-Request-ID"] != nginx_id  # not trusted by default

    settings.INJAAZ_BEHIND_PROXY = True
    assert client.get("/health", HTTP_X_REQUEST_ID=nginx_id)["X-Request-ID"] == nginx_id
    for hostile in ("a b\nINFO forged line", "x" * 65, "short", "<script>"):
        assert client.get("/health", HTTP_X_REQUEST_ID=hostile)["X-Request-ID"] != hostile


def record(message: str, *, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("bad\nvalue")
        except ValueError:
            exc_info = sys.exc_info()
    made = logging.LogRecord("jobs.worker", logging.ERROR, __file__, 1, message, None, exc_info)
    logs.RequestIdFilter().filter(made)
    return made


def test_json_lines_carry_the_request_id_and_keep_a_traceback_on_one_line() -> None:
    token = request_id._current.set("abc123def456")
    try:
        line = logs.JsonFormatter().format(record("report\nfailed", exc=True))
    finally:
        request_id._current.reset(token)
    assert "\n" not in line
    document = json.loads(line)
    assert (document["level"], document["logger"], document["message"]) == ("ERROR", "jobs.worker", "report\nfailed")
    assert document["request_id"] == "abc123def456"
    assert "ValueError: bad\nvalue" in document["exception"]
    assert document["time"].endswith("+00:00")


def test_plain_lines_are_one_line_too() -> None:
    line = logs.PlainFormatter().format(record("report\nfailed", exc=True))
    assert "\n" not in line and "[-] report\\nfailed" in line and "ValueError: bad\\nvalue" in line


def test_log_format_json_is_what_the_processes_write_to_stdout() -> None:
    script = "import logging, django; django.setup(); logging.getLogger('injaaz.test').warning('hello')"
    environment = {"DJANGO_SETTINGS_MODULE": "injaaz.settings_test", "LOG_FORMAT": "json", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    [line] = result.stdout.splitlines()
    assert json.loads(line)["message"] == "hello"

    refused = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**environment, "LOG_FORMAT": "xml"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "LOG_FORMAT must be one of plain, json, not 'xml'" in refused.stderr


@pytest.mark.django_db
def test_behind_the_proxy_the_audited_address_is_the_one_the_proxy_saw(settings: Any, inspector: Any) -> None:
    def login_ip(**headers: Any) -> str:
        Client().post("/accounts/login/", {"username": inspector.email, "password": "wrong-password"}, **headers)
        return AuditLog.objects.filter(action="login_failed").latest("id").ip_address

    assert (
        login_ip(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6") == "127.0.0.1"
    )  # no proxy: the header is the client's to forge
    settings.INJAAZ_BEHIND_PROXY = True
    assert login_ip(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9") == "203.0.113.9"
    # A client's own X-Forwarded-For comes before the entry the proxy appended.
    assert login_ip(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7") == "203.0.113.7"
