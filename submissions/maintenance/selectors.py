"""Reading maintenance mode's state: from the database, or from a few seconds' in-process cache.

The middleware asks on every request, so it reads ``maintenance_state_cached``: the row is read
at most once per ``INJAAZ_MAINTENANCE_CACHE_SECONDS`` in each process, and the services clear
the cache when they change the state in this process. Another process sees a change within
that lifetime (the price of not querying on every request; docs/MIGRATION_COMMANDS.md).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings

from submissions.maintenance.models import SINGLETON_ID, MaintenanceState


def maintenance_state_get() -> MaintenanceState:
    """The current state; an unsaved "off" state when it was never switched."""
    return MaintenanceState.objects.filter(id=SINGLETON_ID).first() or MaintenanceState(id=SINGLETON_ID)


@dataclass(frozen=True)
class _Cached:
    state: MaintenanceState
    expires: float  # time.monotonic()


_lock = threading.Lock()
_cached: _Cached | None = None


def maintenance_state_cached() -> MaintenanceState:
    """The state as read at most ``INJAAZ_MAINTENANCE_CACHE_SECONDS`` ago in this process."""
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now < cached.expires:
        return cached.state
    state = maintenance_state_get()
    with _lock:
        _cached = _Cached(state, now + settings.INJAAZ_MAINTENANCE_CACHE_SECONDS)
    return state


def maintenance_cache_clear() -> None:
    """Forget the cached state: the next request reads the row again."""
    global _cached
    with _lock:
        _cached = None
