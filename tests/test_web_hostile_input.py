"""Hostile input on every route: NUL bytes, over-long values and out-of-range numbers answer 4xx, never 500.

The routes are not listed by hand: the URL resolver is walked, so a route added later is probed
too. Each path parameter, each query parameter a page reads (the known ones, and every one its
own links use, e.g. the admin's filters) and each field its forms post gets every hostile value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from jobs.models import Job
from submissions.services import submission_create
from tests.jobs_support import hvac_document

pytestmark = pytest.mark.django_db

HOSTILE = ["\x00", "a\x00b", "99999999999999999999", "-1", "x" * 3000, "../../etc/passwd"]
HOSTILE_QUERY = ["a\x00b", "9" * 3000]  # per parameter: a NUL, and a number both over-long and out of range
# Query parameters views read (ours and the admin's); more are taken from each page's own links.
KNOWN_PARAMETERS = {
    *("q", "module", "page", "next"),  # ours: my submissions, the login pages
    *("p", "o", "e", "all", "_facets", "_to_field", "_popup", "_changelist_filters"),  # the admin's ChangeList
}
STOPPING_PARAMETERS = {"e", "_to_field"}
GENERIC_FIELDS = {"site_name", "visit_date", "items_count", "email", "username", "password", "action"}
PARAMETER_RE = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
GROUP_RE = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


def routes(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[str]:
    """Every route of the project as a template: ``jobs/<str:job_id>/status``."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        text = str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + text)
        elif isinstance(pattern, URLPattern):
            yield prefix + text


def fill(route: str, value: str) -> str:
    """The route's URL with every parameter (route or regex group) set to ``value``."""
    encoded = quote(value, safe="")
    path = PARAMETER_RE.sub(lambda match: encoded, route)
    path = GROUP_RE.sub(lambda match: encoded, path).replace("^", "").replace("$", "")
    return "/" + path


def has_parameters(route: str) -> bool:
    return bool(PARAMETER_RE.search(route) or GROUP_RE.search(route))


class NamesParser(HTMLParser):
    """Field names of a page's forms and query parameter names of its links."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: set[str] = set()
        self.parameters: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in {"input", "select", "textarea"} and values.get("name"):
            self.fields.add(str(values["name"]))
        if tag == "a" and values.get("href") and "?" in str(values["href"]):
            self.parameters.update(name for name, _ in parse_qsl(urlsplit(str(values["href"])).query))


class Probe:
    """Sends requests and keeps every answer of 500 or more."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.failures: list[str] = []
        self.sent = 0

    def send(self, method: str, url: str, **kwargs: Any) -> Any:
        self.sent += 1
        # A savepoint per request: on PostgreSQL one failed statement would otherwise abort the
        # test's transaction and make every later request fail too.
        savepoint = transaction.savepoint()
        response = getattr(self.client, method)(url, **kwargs)
        if response.status_code >= 500:
            transaction.savepoint_rollback(savepoint)
            body = kwargs.get("data")
            self.failures.append(f"{method.upper()} {url[:120]!r} {str(body)[:80]} -> {response.status_code}")
        else:
            transaction.savepoint_commit(savepoint)
        return response


@pytest.fixture
def staff_client(staff_user: Any) -> Client:
    # raise_request_exception=False: a crash is a 500 answer to collect, not an exception that stops the walk.
    client = Client(raise_request_exception=False)
    client.force_login(staff_user)
    return client


@pytest.fixture
def known_records(inspector: Any) -> dict[str, str]:
    submission = submission_create(
        actor=inspector, module="hvac_mep", form_data=hvac_document("sub_0000000e0001", items=1, photos_per_item=0)
    )
    job = Job.objects.get(submission=submission)
    return {"submission": submission.submission_id, "job": job.job_id}


@pytest.mark.parametrize("method", ["get", "post"])
def test_hostile_path_parameters_never_answer_500(staff_client: Client, method: str) -> None:
    probe = Probe(staff_client)
    templates = [route for route in routes() if has_parameters(route)]
    assert len(templates) > 30  # the walk reached the admin, the jobs and the inspector routes
    for route in templates:
        for value in HOSTILE:
            probe.send(method, fill(route, value))
    assert not probe.failures, "\n".join(probe.failures)


def pages(known_records: dict[str, str]) -> list[str]:
    """Every route without parameters, and the pages of one real submission and job."""
    plain = ["/" + route for route in routes() if not has_parameters(route)]
    return [
        *plain,
        f"/submissions/{known_records['submission']}/",
        f"/jobs/{known_records['job']}/status",
        f"/hvac-mep/status/{known_records['job']}",
    ]


def test_hostile_query_parameters_never_answer_500(staff_client: Client, known_records: dict[str, str]) -> None:
    probe = Probe(staff_client)
    for page in pages(known_records):
        parser = NamesParser()
        first = probe.send("get", page)
        if first.get("Content-Type", "").startswith("text/html"):
            parser.feed(first.content.decode(errors="replace"))
        for value in HOSTILE_QUERY:
            probe.send("get", f"{page}?{urlencode(dict.fromkeys(sorted(KNOWN_PARAMETERS), value))}")
            # One at a time as well where one may hide the others: the admin stops at the first
            # parameter it refuses (an unknown filter, a bad _to_field, the error flag).
            for name in sorted(parser.parameters | STOPPING_PARAMETERS):
                probe.send("get", f"{page}?{urlencode({name: value})}")
    assert probe.sent > 400
    assert not probe.failures, "\n".join(probe.failures)


def test_hostile_form_fields_and_json_bodies_never_answer_500(
    staff_client: Client, known_records: dict[str, str]
) -> None:
    probe = Probe(staff_client)
    for page in pages(known_records):
        parser = NamesParser()
        first = staff_client.get(page)
        if first.get("Content-Type", "").startswith("text/html"):
            parser.feed(first.content.decode(errors="replace"))
        fields = sorted((parser.fields | GENERIC_FIELDS) - {"csrfmiddlewaretoken"})
        for value in HOSTILE:
            probe.send("post", page, data=dict.fromkeys(fields, value))
            probe.send("post", page, data=json.dumps(dict.fromkeys(fields, value)), content_type="application/json")
    assert not probe.failures, "\n".join(probe.failures)


def test_anonymous_hostile_logins_and_resets_never_answer_500() -> None:
    probe = Probe(Client(raise_request_exception=False))
    for value in HOSTILE:
        for path in ("/accounts/login/", "/admin/login/", "/accounts/password/reset/"):
            probe.send("post", path, data={"username": value, "password": value, "email": value})
            probe.send("get", f"{path}?{urlencode({'next': value})}")
    assert not probe.failures, "\n".join(probe.failures)


def test_a_nul_byte_in_the_session_cookie_is_a_400() -> None:
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    assert client.get("/submissions/").status_code == 400
    assert client.get("/jobs/job_000000000001/status").json() == {
        "error": "The request holds a NUL byte, which no value here may contain."
    }
