"""The current request's client (IP, user agent, user), set by ``AuditContextMiddleware``.

Services record audit rows without being handed the request: the middleware puts the
client facts in a context variable for the duration of the request.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest


@dataclass(frozen=True)
class RequestContext:
    ip_address: str = ""
    user_agent: str = ""
    user: Any = None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("injaaz_request_context", default=None)


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites
    # REMOTE_ADDR (gunicorn --forwarded-allow-ips does that for us in production).
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


def context_from_request(request: HttpRequest) -> RequestContext:
    user = getattr(request, "user", None)
    return RequestContext(
        ip_address=client_ip(request),
        user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:1000],
        user=user if user is not None and user.is_authenticated else None,
    )


def current() -> RequestContext | None:
    return _current.get()


def set_current(context: RequestContext | None) -> contextvars.Token[RequestContext | None]:
    return _current.set(context)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)
