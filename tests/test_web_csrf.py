"""A failed CSRF check answers JSON on JSON routes and Django's HTML page everywhere else."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from submissions.models import Submission

pytestmark = pytest.mark.django_db

JSON_ROUTES = [
    "/hvac-mep/upload-photo",
    "/hvac-mep/submit",
    "/hvac-mep/submit-with-urls",
    "/hvac-mep/status/job_000000000001",
    "/civil/upload-photo",
    "/civil/submit",
    "/civil/submit-with-urls",
    "/cleaning/upload-photo",
    "/cleaning/submit",
    "/cleaning/submit-with-urls",
    "/cleaning/job-status/job_000000000001",
    "/jobs/job_000000000001/status",
]
HTML_ROUTES = ["/hvac-mep/form", "/civil/form", "/cleaning/form", "/accounts/login/", "/accounts/logout/", "/admin/"]


@pytest.fixture
def strict_client(inspector: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(inspector)
    return client


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_a_json_route_answers_a_missing_or_wrong_token_with_json(strict_client: Client, path: str) -> None:
    for headers in ({}, {"X-CSRFToken": "x" * 32}):
        response = strict_client.post(path, {"site_name": "x"}, content_type="application/json", headers=headers)
        assert response.status_code == 403
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"].startswith("CSRF check failed: ")
    assert Submission.objects.count() == 0


@pytest.mark.parametrize("path", HTML_ROUTES)
def test_other_routes_answer_djangos_html_page(strict_client: Client, path: str) -> None:
    response = strict_client.post(path, {"site_name": "x"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")
    assert "CSRF verification failed" in response.content.decode()


def test_the_multipart_legacy_submit_answers_json_too(strict_client: Client) -> None:
    response = strict_client.post("/civil/submit", {"project_name": "x"})  # multipart, as the old UI sent it
    assert (response.status_code, response["Content-Type"]) == (403, "application/json")
    assert response.json()["error"].startswith("CSRF check failed: CSRF cookie not set.")
