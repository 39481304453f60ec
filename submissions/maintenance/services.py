"""Switching maintenance mode on and off, each change with its audit row.

Each change clears this process's cached state at once and again when it commits (so this
process never serves the old state from the cache after the switch); other processes see it
within ``INJAAZ_MAINTENANCE_CACHE_SECONDS``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import Action, audit_record
from submissions.maintenance.models import DEFAULT_RETRY_AFTER, SINGLETON_ID, MaintenanceState
from submissions.maintenance.selectors import maintenance_cache_clear


def _locked_state() -> MaintenanceState:
    state, _ = MaintenanceState.objects.select_for_update().get_or_create(id=SINGLETON_ID)
    return state


def _forget_cached_state() -> None:
    # Now, for reads inside this transaction, and on commit, for reads that cached the old
    # state while it was being changed.
    maintenance_cache_clear()
    transaction.on_commit(maintenance_cache_clear)


@transaction.atomic
def maintenance_enable(
    *, actor: Any = None, message: str = "", retry_after: int = DEFAULT_RETRY_AFTER, by: str = ""
) -> MaintenanceState:
    """Close inspector pages and APIs (503 + ``Retry-After``); the admin stays open."""
    if retry_after < 1:
        raise ValueError("retry_after must be at least 1 second")
    state = _locked_state()
    was_enabled = state.enabled
    state.enabled = True
    state.message = message
    state.retry_after = retry_after
    state.changed_at = timezone.now()
    state.full_clean()
    state.save()
    _forget_cached_state()
    audit_record(
        actor=actor,
        action=Action.MAINTENANCE_ON,
        resource_type="maintenance",
        details={"retry_after": retry_after, "message": message, "was_enabled": was_enabled, "by": by},
    )
    return state


@transaction.atomic
def maintenance_disable(*, actor: Any = None, by: str = "") -> MaintenanceState:
    """Open the site again."""
    state = _locked_state()
    was_enabled = state.enabled
    state.enabled = False
    state.changed_at = timezone.now()
    state.save()
    _forget_cached_state()
    audit_record(
        actor=actor,
        action=Action.MAINTENANCE_OFF,
        resource_type="maintenance",
        details={"was_enabled": was_enabled, "by": by},
    )
    return state
