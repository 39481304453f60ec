"""The plan's ``audit_logs`` table. Rows are only ever added (see ``audit.services``).

On PostgreSQL a trigger refuses UPDATE and DELETE (migration ``0003``), and every row is
chained to the previous one by hash (``audit.chain``; checked by ``manage.py verify_audit_chain``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class AuditLog(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # An audited user is deactivated, never deleted: the log must keep pointing at them.
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    action = models.CharField(max_length=100)
    resource_type = models.CharField(max_length=50, blank=True, default="", db_default="")
    resource_id = models.IntegerField(null=True, blank=True)
    details = models.JSONField(null=True, blank=True)
    ip_address = models.CharField(max_length=45, blank=True, default="", db_default="")
    user_agent = models.TextField(blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    # The hash chain (``audit.chain``): the previous row's ``row_hash`` and this row's own.
    prev_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    row_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    # The web request that wrote the row (``injaaz.request_id``; "" for commands and the worker):
    # the key into the logs. Outside the hash chain on purpose (docs/AUDIT.md).
    request_id = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        db_table = "audit_logs"
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["user"], name="idx_audit_logs_user_id"),
            models.Index(fields=["action"], name="idx_audit_logs_action"),
            models.Index(fields=["created_at"], name="idx_audit_logs_created_at"),
            models.Index(fields=["resource_type", "resource_id"], name="idx_audit_logs_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.resource_type}:{self.resource_id}"
