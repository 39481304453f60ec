"""Shared fixtures: users of each role, and PostgreSQL-only marking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    # Decided from the configured engine, before any connection is opened.
    from django.conf import settings

    if str(settings.DATABASES["default"]["ENGINE"]).endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="PostgreSQL-only feature: set DATABASE_URL to a PostgreSQL database to run it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def make_user(db: Any) -> Any:
    from accounts.models import User

    counter = {"n": 0}

    def make(
        role: str = "inspector", *, email: str | None = None, password: str = "pass-1234-word", **extra: Any
    ) -> User:
        counter["n"] += 1
        user = User.objects.create_user(email or f"{role}{counter['n']}@example.com", password, role=role, **extra)
        user.raw_password = password  # type: ignore[attr-defined]
        return user

    return make


@pytest.fixture
def inspector(make_user: Any) -> Any:
    return make_user("inspector")


@pytest.fixture
def staff_user(make_user: Any) -> Any:
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    """Each test starts as a new process would: nothing cached (``injaaz.process_cache``) from
    another test, whose transaction was rolled back under it."""
    from injaaz.process_cache import process_caches_clear

    process_caches_clear()
    yield
    process_caches_clear()
