"""The request id: one short string that ties a request's log lines, its response and its audit rows.

``RequestIdMiddleware`` (first in ``MIDDLEWARE``) takes the id the reverse proxy sent in
``X-Request-ID`` (nginx: ``proxy_set_header X-Request-ID $request_id``) when the app is behind one
(``INJAAZ_BEHIND_PROXY=1``) and the id is a plain token, or makes one; keeps it in a context
variable while the request runs, and answers with it in ``X-Request-ID`` (gunicorn's access log
prints that header). ``injaaz.logs`` adds it to every log line; ``audit_record`` writes it on every
audit row.
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
MAX_LENGTH = 64
# What a proxy's id looks like (nginx: 32 hex digits; others: UUIDs, ULIDs). Anything else, and
# anything longer, is replaced: the id lands in log lines and audit rows, so it must be harmless.
_ACCEPTED = re.compile(r"[A-Za-z0-9._-]{8,64}")

_current: contextvars.ContextVar[str] = contextvars.ContextVar("injaaz_request_id", default="")


def current() -> str:
    """The id of the request being served ("" outside a request: commands, the worker)."""
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str | None:
    """``value`` when it is a request id we keep as it is, otherwise ``None``."""
    if value and _ACCEPTED.fullmatch(value):
        return value
    return None


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only a proxy we put in front may name the request; a client could otherwise make its
        # requests share another's id in the logs.
        given = accepted_request_id(request.headers.get(HEADER)) if settings.INJAAZ_BEHIND_PROXY else None
        request_id = given or new_request_id()
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response
