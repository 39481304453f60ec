"""Switching maintenance mode on and off, each change with its audit row."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import Action, audit_record
from submissions.maintenance.models import DEFAULT_RETRY_AFTER, SINGLETON_ID, MaintenanceState


def _locked_state() -> MaintenanceState:
    state, _ = MaintenanceState.objects.select_for_update().get_or_create(id=SINGLETON_ID)
    return state


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
    audit_record(
        actor=actor,
        action=Action.MAINTENANCE_OFF,
        resource_type="maintenance",
        details={"was_enabled": was_enabled, "by": by},
    )
    return state
