"""The session engine (``SESSION_ENGINE = "accounts.sessions"``): Django's database sessions,
stored in ``user_sessions`` with the user's id as a column, so loading a session loads its user
in the same query.

``accounts.middleware.AuthenticationMiddleware`` hands that user to Django's own ``get_user``
(through ``accounts.backends``), which still checks everything it checks today: the backend,
the account being active, and the session's auth hash against the user's password.
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._loaded_user: Any = None

    @classmethod
    def get_model_class(cls) -> type[AbstractBaseSession]:
        # By name: accounts.models names this store as its own (``get_session_store_class``).
        model: type[AbstractBaseSession] = apps.get_model("accounts", "UserSession")
        return model

    def _get_session_from_db(self) -> Any:
        # Django's own query (and handling) with the user joined in: LEFT JOIN, a session may
        # have no user.
        row: Any = None
        try:
            row = self.model.objects.select_related("user").get(  # type: ignore[misc]
                session_key=self.session_key, expire_date__gt=timezone.now()
            )
        except (self.model.DoesNotExist, SuspiciousOperation) as error:
            if isinstance(error, SuspiciousOperation):
                logging.getLogger(f"django.security.{error.__class__.__name__}").warning(str(error))
            self._session_key = None
        self._loaded_user = row.user if row is not None else None
        return row

    def loaded_user(self) -> Any:
        """The user the session row names, read with it (``None`` when none); loads the session."""
        self._get_session()  # type: ignore[attr-defined]
        return self._loaded_user

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        instance: Any = super().create_model_instance(data)
        instance.user_id = _user_id(data.get(SESSION_KEY))
        return instance

    def clear(self) -> None:
        super().clear()
        self._loaded_user = None

    def cycle_key(self) -> None:
        super().cycle_key()
        self._loaded_user = None


def _user_id(value: Any) -> Any:
    if value is None:
        return None
    try:
        return get_user_model()._meta.pk.to_python(value)
    except ValidationError:
        return None
