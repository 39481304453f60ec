"""Reading maintenance mode's state: from the database, or from a few seconds' in-process cache.

The middleware asks on every request, so it reads ``maintenance_state_cached``: the row is read
at most once per ``INJAAZ_MAINTENANCE_CACHE_SECONDS`` in each process, and the services clear
the cache when they change the state in this process. Another process sees a change within
that lifetime (the price of not querying on every request; docs/LEGACY_STORE.md).
"""

from __future__ import annotations

from injaaz.process_cache import ProcessCache
from submissions.maintenance.models import SINGLETON_ID, MaintenanceState


def maintenance_state_get() -> MaintenanceState:
    """The current state; an unsaved "off" state when it was never switched."""
    return MaintenanceState.objects.filter(id=SINGLETON_ID).first() or MaintenanceState(id=SINGLETON_ID)


_cached = ProcessCache(load=maintenance_state_get, seconds_setting="INJAAZ_MAINTENANCE_CACHE_SECONDS")


def maintenance_state_cached() -> MaintenanceState:
    """The state as read at most ``INJAAZ_MAINTENANCE_CACHE_SECONDS`` ago in this process."""
    return _cached.get()


def maintenance_cache_clear() -> None:
    """Forget the cached state: the next request reads the row again."""
    _cached.clear()
