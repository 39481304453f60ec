"""Maintenance mode: 503 + Retry-After for inspector pages and APIs, the admin still open, every change audited."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from audit.models import AuditLog
from submissions.maintenance.models import MaintenanceState


def run(*args: str) -> str:
    out = StringIO()
    call_command("maintenance", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_status_is_off_when_never_switched() -> None:
    assert run("status").strip() == "Maintenance mode is OFF"
    assert AuditLog.objects.count() == 0


@pytest.mark.django_db
def test_on_closes_inspector_pages_and_apis_with_retry_after(client: Client) -> None:
    assert client.get("/", HTTP_ACCEPT="text/html").status_code == 200

    output = run("on", "--retry-after", "120", "--message", "Moving to PostgreSQL")
    assert "Maintenance mode is ON since" in output
    assert "(Retry-After: 120 s)" in output

    page = client.get("/", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert page.status_code == 503
    assert page["Retry-After"] == "120"
    assert "Moving to PostgreSQL" in page.content.decode()

    api = client.post("/hvac-mep/submit-with-urls", data="{}", content_type="application/json")
    assert api.status_code == 503
    assert api["Retry-After"] == "120"
    assert api.json() == {"error": "maintenance", "detail": "Moving to PostgreSQL"}

    status = client.get("/cleaning/job-status/job_0123456789ab", HTTP_ACCEPT="application/json")
    assert (status.status_code, status["Retry-After"]) == (503, "120")


@pytest.mark.django_db
def test_staff_still_reach_the_admin_and_the_health_check_answers(client: Client, staff_user: Any) -> None:
    run("on")
    assert client.get("/health").status_code == 200
    login = client.get("/admin/login/", HTTP_ACCEPT="text/html")
    assert login.status_code == 200
    client.force_login(staff_user)
    admin_index = client.get("/admin/", HTTP_ACCEPT="text/html")
    assert admin_index.status_code == 200
    assert b"Injaaz administration" in admin_index.content
    assert client.get("/", HTTP_ACCEPT="text/html").status_code == 503


@pytest.mark.django_db
def test_off_reopens_the_site_and_each_change_is_audited(client: Client) -> None:
    run("on", "--retry-after", "60")
    assert client.get("/", HTTP_ACCEPT="text/html").status_code == 503
    assert run("off").strip() == "Maintenance mode is OFF"
    assert client.get("/", HTTP_ACCEPT="text/html").status_code == 200
    assert MaintenanceState.objects.get().enabled is False

    entries = list(AuditLog.objects.order_by("id"))
    assert [(e.action, e.resource_type) for e in entries] == [
        ("maintenance_on", "maintenance"),
        ("maintenance_off", "maintenance"),
    ]
    on_details, off_details = entries[0].details or {}, entries[1].details or {}
    assert (on_details["retry_after"], on_details["was_enabled"]) == (60, False)
    assert off_details["was_enabled"] is True


@pytest.mark.django_db
def test_a_bad_retry_after_is_refused_and_changes_nothing() -> None:
    with pytest.raises(CommandError, match="--retry-after must be at least 1 second"):
        run("on", "--retry-after", "0")
    assert not MaintenanceState.objects.exists()
    assert AuditLog.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_state_is_seen_by_another_process(tmp_path: Any) -> None:
    """The state lives in the database: a second process (another web worker) sees the change."""
    import os
    import subprocess
    import sys

    from django.db import connection

    run("on", "--retry-after", "30")
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="injaaz.settings_test")
    script = (
        "import django, sys; django.setup();"
        "from django.conf import settings; from django.db import connections;"
        f"settings.DATABASES['default']['NAME'] = {str(connection.settings_dict['NAME'])!r};"
        "connections['default'].settings_dict['NAME'] = settings.DATABASES['default']['NAME'];"
        "from django.test import Client; r = Client().get('/', HTTP_ACCEPT='text/html');"
        "print(r.status_code, r['Retry-After'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    # The last line: the log lines before it (the 503 is logged) go to stdout too.
    assert result.stdout.splitlines()[-1].split() == ["503", "30"]
