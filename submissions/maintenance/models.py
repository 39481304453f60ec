"""Maintenance mode's one row: kept in the database so every web process sees the same state."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

SINGLETON_ID = 1
DEFAULT_RETRY_AFTER = 300


class MaintenanceState(models.Model):
    """Whether inspector pages and APIs are closed (the plan's big-bang migration window).

    There is at most one row (``id = 1``); no row means maintenance mode is off.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    enabled = models.BooleanField(default=False)
    message = models.TextField(blank=True, default="")
    retry_after = models.PositiveIntegerField(default=DEFAULT_RETRY_AFTER)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "maintenance_state"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=SINGLETON_ID), name="maintenance_state_singleton"),
        ]

    def __str__(self) -> str:
        return "on" if self.enabled else "off"
