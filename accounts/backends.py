"""The authentication backend: Django's ``ModelBackend``, told the user a session row was read with.

``get_user`` is what Django's ``auth.get_user`` calls with the id the session names; when the
session engine already loaded that user (``accounts.sessions``, one query for both), it is used
instead of a second query. Every check stays Django's: ``user_can_authenticate`` here, the
backend and the session auth hash in ``auth.get_user``.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.backends import ModelBackend

_session_user: contextvars.ContextVar[Any] = contextvars.ContextVar("injaaz_session_user", default=None)


@contextlib.contextmanager
def session_user_loaded(user: Any) -> Iterator[None]:
    """While inside, ``get_user`` answers with ``user`` when asked for its id."""
    token = _session_user.set(user)
    try:
        yield
    finally:
        _session_user.reset(token)


class SessionUserBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        loaded = _session_user.get()
        if loaded is not None and loaded.pk == user_id:
            return loaded if self.user_can_authenticate(loaded) else None
        return super().get_user(user_id)
