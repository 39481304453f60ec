"""``request.user`` from one query: the session and its user together (see ``accounts.sessions``).

A drop-in for Django's ``AuthenticationMiddleware``: ``request.user`` stays lazy (a request
that never looks at it, like a static file, costs nothing) and is Django's ``auth.get_user``,
with the user the session row brought along offered to the backend.
"""

from __future__ import annotations

from typing import Any

from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.backends import session_user_loaded
from accounts.sessions import SessionStore


def _user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        session = request.session
        loaded = session.loaded_user() if isinstance(session, SessionStore) else None
        with session_user_loaded(loaded):
            request._cached_user = auth.get_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user(request))  # type: ignore[assignment]
