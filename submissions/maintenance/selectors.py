"""Reading maintenance mode's state."""

from __future__ import annotations

from submissions.maintenance.models import SINGLETON_ID, MaintenanceState


def maintenance_state_get() -> MaintenanceState:
    """The current state; an unsaved "off" state when it was never switched."""
    return MaintenanceState.objects.filter(id=SINGLETON_ID).first() or MaintenanceState(id=SINGLETON_ID)
