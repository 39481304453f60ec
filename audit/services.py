"""The one entry point for writing the audit log: ``audit_record``."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from audit import chain, context
from audit.models import AuditLog
from injaaz import request_id


class Action:
    """Action names written to ``audit_logs.action``."""

    SUBMIT_FORM = "submit_form"
    GENERATE_REPORT = "generate_report"
    DOWNLOAD_FILE = "download_file"
    UPLOAD_FILE = "upload_file"
    LOGIN = "login"
    LOGOUT = "logout"
    LOGIN_FAILED = "login_failed"
    ADMIN_ADD = "admin_add"
    ADMIN_CHANGE = "admin_change"
    ADMIN_DELETE = "admin_delete"
    EXPORT_SUBMISSIONS = "export_submissions"
    MAINTENANCE_ON = "maintenance_on"
    MAINTENANCE_OFF = "maintenance_off"
    # Migration operations (submissions.importer): one entry per run, details = its summary.
    IMPORT_JSON = "import_json"
    VERIFY_MIGRATION = "verify_migration"
    ARCHIVE_JSON = "archive_json"
    EXPORT_JSON = "export_json"
    CLEANUP_JOBS = "cleanup_jobs"
    # Review (review.services): a report put into review, a decision, an edit (new version).
    REVIEW_START = "review_start"
    REVIEW_DECISION = "review_decision"
    REVIEW_EDIT = "review_edit"


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
    set by the middleware unless given (commands and the worker have no request); the request
    id comes from ``injaaz.request_id``.
    """
    request_context = context.current()
    if actor is None and request_context is not None:
        actor = request_context.user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if resource is not None:
        resource_type = resource_type or resource._meta.model_name or ""
        resource_id = resource.pk
    entry = AuditLog(
        user=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        # Through JSON once, so dates and decimals become strings and the hash is computed over
        # the same values the database will hand back.
        details=json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder)),
        ip_address=ip_address if ip_address is not None else (request_context.ip_address if request_context else ""),
        user_agent=user_agent if user_agent is not None else (request_context.user_agent if request_context else ""),
        created_at=timezone.now(),
        request_id=request_id.current(),
    )
    _append(entry)
    return entry


def _append(entry: AuditLog) -> None:
    """Chain ``entry`` to the newest row and insert it, one appender at a time.

    On PostgreSQL a transaction-level advisory lock serialises appenders until their transaction
    ends, so the row read as the head is the newest committed one and ids follow chain order (the
    lock is taken before the insert draws its id). On SQLite the write transaction itself is the
    lock (``transaction_mode=IMMEDIATE``). The lock is held to the end of the caller's
    transaction: keep audited transactions short.
    """
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [chain.ADVISORY_LOCK_KEY])
        head = AuditLog.objects.order_by("-id").values_list("row_hash", flat=True).first()
        entry.prev_hash = head if head is not None else chain.GENESIS_HASH
        entry.row_hash = chain.digest_of(entry, prev_hash=entry.prev_hash)
        entry.save(force_insert=True)
