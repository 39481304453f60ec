"""The hot paths (issue 17): a status poll costs its session-and-user query and its job query,
``ETag``/``304`` answers build no body, the login page costs no query, the session engine keeps
Django's checks, maintenance mode reaches another process within the cache's lifetime.

Query counts are asserted with the maintenance state already cached (one request made first), as
in a running process; the cache's own behaviour is tested on its own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import UserSession
from jobs.models import Job, JobStatus
from submissions.maintenance.services import maintenance_disable, maintenance_enable
from submissions.services import submission_create
from tests.jobs_support import hvac_document

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued_job(inspector: Any) -> Job:
    submission = submission_create(
        actor=inspector, module="hvac_mep", form_data=hvac_document("sub_00000017a001", items=1, photos_per_item=0)
    )
    return Job.objects.get(submission=submission)


def owner_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    client.get("/health")  # not a query-free path, but the maintenance check below is warm after any request
    client.get("/accounts/login/")
    return client


STATUS_URLS = ("/jobs/{}/status", "/hvac-mep/status/{}")


@pytest.mark.parametrize("pattern", STATUS_URLS)
def test_a_status_poll_by_its_owner_costs_two_queries(
    queued_job: Job, inspector: Any, pattern: str, django_assert_max_num_queries: Any
) -> None:
    client = owner_client(inspector)
    with django_assert_max_num_queries(2) as captured:
        response = client.get(pattern.format(queued_job.job_id))
    assert response.status_code == 200
    assert response["ETag"] == f'"{queued_job.job_id}.started.0.1"'
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    assert "user_sessions" in sql and '"users"' in sql  # session and user: one query
    assert "form_data" not in sql  # the status reads only the columns it answers with


@pytest.mark.parametrize("pattern", STATUS_URLS)
def test_a_matching_if_none_match_gets_304_without_a_body_until_the_job_moves(
    queued_job: Job, inspector: Any, pattern: str, django_assert_max_num_queries: Any
) -> None:
    client = owner_client(inspector)
    url = pattern.format(queued_job.job_id)
    first = client.get(url)
    etag = first["ETag"]
    with django_assert_max_num_queries(2):
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)

    Job.objects.filter(pk=queued_job.pk).update(status=JobStatus.RUNNING, progress=30)
    moved = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert moved.status_code == 200 and moved["ETag"] == f'"{queued_job.job_id}.running.30.1"'
    assert (moved.json().get("status") or moved.json().get("state")) == "running"
    # A re-queue back to "started", 0 is a change too (the attempt is in the tag).
    Job.objects.filter(pk=queued_job.pk).update(status=JobStatus.STARTED, progress=0, attempts=2)
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200


@pytest.mark.parametrize("pattern", STATUS_URLS)
def test_another_inspector_cannot_read_the_job_even_with_its_etag(
    queued_job: Job, make_user: Any, pattern: str
) -> None:
    url = pattern.format(queued_job.job_id)
    etag = f'"{queued_job.job_id}.started.0.1"'
    other = owner_client(make_user("inspector"))
    for headers in ({}, {"If-None-Match": etag}):
        response = other.get(url, headers=headers)
        assert response.status_code == 404
        assert "ETag" not in response and "progress" not in response.content.decode()
    assert Client().get(url, HTTP_IF_NONE_MATCH=etag).status_code == 401


def test_the_anonymous_login_page_costs_no_query(client: Client) -> None:
    client.get("/accounts/login/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert captured.captured_queries == []


def test_a_request_that_audits_nothing_never_looks_the_user_up(inspector: Any) -> None:
    client = owner_client(inspector)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/health").status_code == 200
    # One query, the health check's own (the task queue's length and age): none about the user.
    [query] = [query["sql"] for query in captured.captured_queries]
    assert "django_tasks_database_dbtaskresult" in query and "users" not in query and "session" not in query


def test_the_session_row_names_its_user_and_django_checks_still_apply(inspector: Any, make_user: Any) -> None:
    client = Client()
    assert (
        client.post("/accounts/login/", {"username": inspector.email, "password": inspector.raw_password}).status_code
        == 302
    )
    row = UserSession.objects.get(session_key=client.session.session_key)
    assert row.user_id == inspector.pk and row.get_decoded()[SESSION_KEY] == str(inspector.pk)
    assert client.get("/submissions/").status_code == 200

    # A password change elsewhere invalidates the session (the auth hash is still checked).
    inspector.set_password("another-pass-1234")
    inspector.save()
    assert client.get("/submissions/").status_code == 302

    # A deactivated account is logged out at its next request.
    other = make_user("inspector")
    other_client = Client()
    other_client.force_login(other)
    assert other_client.get("/submissions/").status_code == 200
    type(other).objects.filter(pk=other.pk).update(is_active=False)
    assert other_client.get("/submissions/").status_code == 302

    # Logging out deletes the row; deleting a user deletes their sessions.
    third = make_user("inspector")
    third_client = Client()
    third_client.force_login(third)
    third_client.post("/accounts/logout/")
    assert not UserSession.objects.filter(user=third).exists()
    fourth = make_user("inspector")  # (a user with audit rows cannot be deleted)
    Client().force_login(fourth)
    assert UserSession.objects.filter(user=fourth).exists()
    fourth_pk = fourth.pk
    fourth.delete()
    assert not UserSession.objects.filter(user_id=fourth_pk).exists()


def test_maintenance_is_read_once_per_cache_lifetime_and_a_switch_here_is_seen_at_once(
    client: Client, settings: Any
) -> None:
    settings.INJAAZ_MAINTENANCE_CACHE_SECONDS = 60
    client.get("/accounts/login/")
    with CaptureQueriesContext(connection) as captured:
        for _ in range(3):
            client.get("/accounts/login/")
    assert captured.captured_queries == []
    maintenance_enable(retry_after=30)
    assert client.get("/accounts/login/").status_code == 503
    maintenance_disable()
    assert client.get("/accounts/login/").status_code == 200


# --- another process -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _status_of(url: str) -> int:
    reply = urllib3.request("GET", url, headers={"Accept": "text/html"}, timeout=10, retries=False, redirect=False)
    return int(reply.status)


CACHE_SECONDS = 2


@pytest.fixture
def web_process(tmp_path: Path) -> Iterator[str]:
    """gunicorn serving the test database, with a ``CACHE_SECONDS`` maintenance cache."""
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    port = _free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "DJANGO_SETTINGS_MODULE": "injaaz.settings_test",
        "INJAAZ_MAINTENANCE_CACHE_SECONDS": str(CACHE_SECONDS),
    }
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "1",
            "-k",
            "gthread",
            "--threads",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "injaaz.wsgi:application",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            _status_of(base + "/health")
            break
        except urllib3.exceptions.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError((tmp_path / "gunicorn.log").read_text()) from None
            time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _seconds_until(url: str, status: int, *, limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if _status_of(url) == status:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer {status} within {limit} s")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_maintenance_reaches_another_process_within_the_cache_lifetime(web_process: str) -> None:
    login = web_process + "/accounts/login/"
    assert _status_of(login) == 200  # the other process has now cached "off"
    maintenance_enable(retry_after=30)
    # Within the lifetime, plus a request's time: never longer.
    assert _seconds_until(login, 503, limit=CACHE_SECONDS + 1.5) <= CACHE_SECONDS + 1.5
    maintenance_disable()
    assert _seconds_until(login, 200, limit=CACHE_SECONDS + 1.5) <= CACHE_SECONDS + 1.5
