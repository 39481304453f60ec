"""The one entry point for writing the audit log: ``audit_record``."""

from __future__ import annotations

from typing import Any

from django.db import models

from audit import context
from audit.models import AuditLog


class Action:
    """Action names written to ``audit_logs.action``."""

    SUBMIT_FORM = "submit_form"
    GENERATE_REPORT = "generate_report"
    DOWNLOAD_FILE = "download_file"
    LOGIN = "login"
    LOGOUT = "logout"
    LOGIN_FAILED = "login_failed"
    MAINTENANCE_ON = "maintenance_on"
    MAINTENANCE_OFF = "maintenance_off"


def audit_record(
    *,
    actor: Any = None,
    action: str,
    resource: models.Model | None = None,
    resource_type: str = "",
    resource_id: int | None = None,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> AuditLog:
    """Append one audit row. Call it inside the business action's transaction.

    ``actor`` defaults to the request's user; IP and user agent come from the request context
    set by the middleware unless given (commands and the worker have no request).
    """
    request_context = context.current()
    if actor is None and request_context is not None:
        actor = request_context.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if resource is not None:
        resource_type = resource_type or resource._meta.model_name or ""
        resource_id = resource.pk
    return AuditLog.objects.create(
        user=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        details=details or {},
        ip_address=ip_address if ip_address is not None else (request_context.ip_address if request_context else ""),
        user_agent=user_agent if user_agent is not None else (request_context.user_agent if request_context else ""),
    )
