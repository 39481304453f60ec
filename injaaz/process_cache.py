"""A value a process keeps for a few seconds: what hot paths read on every request but staff
change rarely (maintenance state, the HVAC taxonomy, the review stages).

Each process reads the value at most once per lifetime (a setting, read at call time); a change
made in this process clears it at once (``clear``), other processes see it within the lifetime.
Tests clear every cache between tests (``conftest.py``), as a new process would start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings

T = TypeVar("T")

_every: list[ProcessCache[object]] = []


class ProcessCache(Generic[T]):
    def __init__(self, *, load: Callable[[], T], seconds_setting: str) -> None:
        self._load = load
        self._seconds_setting = seconds_setting
        self._lock = threading.Lock()
        self._value: tuple[float, T] | None = None  # (expires, value), time.monotonic()
        _every.append(self)  # type: ignore[arg-type]

    def get(self) -> T:
        now = time.monotonic()
        cached = self._value
        if cached is not None and now < cached[0]:
            return cached[1]
        value = self._load()
        with self._lock:
            self._value = (now + getattr(settings, self._seconds_setting), value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._value = None


def process_caches_clear() -> None:
    """Forget every cached value (tests: each starts as a new process would)."""
    for cache in _every:
        cache.clear()
