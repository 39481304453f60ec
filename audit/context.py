"""The current request's client (IP, user agent, user), set by ``AuditContextMiddleware``.

Services record audit rows without being handed the request: the middleware puts the
client facts in a context variable for the duration of the request. The user is resolved
only when something reads it (an audit row being written): most requests, a status poll
among them, never audit, and resolving ``request.user`` costs the session and user look-up.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest


def _nobody() -> Any:
    return None


@dataclass(frozen=True)
class RequestContext:
    ip_address: str = ""
    user_agent: str = ""
    # Called (at most once per audit row) to learn who is acting; see ``user``.
    user_resolver: Callable[[], Any] = field(default=_nobody, repr=False, compare=False)

    @property
    def user(self) -> Any:
        """The request's authenticated user, or ``None`` (looked up now, not when the request began)."""
        return self.user_resolver()


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("injaaz_request_context", default=None)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind our reverse proxy the address it saw.

    gunicorn does not rewrite REMOTE_ADDR (behind nginx it is always 127.0.0.1), so with
    ``INJAAZ_BEHIND_PROXY`` the last X-Forwarded-For entry is taken: the one our proxy wrote
    (deploy/nginx/injaaz.conf sets it to ``$remote_addr``). Entries before it are the client's own
    claims. Without a proxy the header is the client's to forge and is ignored.
    """
    if settings.INJAAZ_BEHIND_PROXY:
        forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "")).rsplit(",", 1)[-1].strip()
        if forwarded:
            return forwarded[:45]
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


def context_from_request(request: HttpRequest) -> RequestContext:
    def authenticated_user() -> Any:
        # ``request.user`` is the auth middleware's lazy object: touching it loads the session.
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None

    return RequestContext(
        ip_address=client_ip(request),
        user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:1000],
        user_resolver=authenticated_user,
    )


def current() -> RequestContext | None:
    return _current.get()


def set_current(context: RequestContext | None) -> contextvars.Token[RequestContext | None]:
    return _current.set(context)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)
