"""Throttling of repeated failed logins, counted from the audit log's ``login_failed`` rows.

The audit log is in the database every web process shares, so the count holds across
processes and machines, and the evidence for a lockout is the same rows staff read.
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.utils import timezone

from accounts.models import User
from audit.models import AuditLog
from audit.services import Action

BAD_CREDENTIALS = "bad_credentials"
THROTTLED = "throttled"
IP_FACTOR = 10  # one address may fail for this many accounts' worth before it is stopped


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()[:255]


def _wait(times: list[dt.datetime], limit: int, window: dt.timedelta, now: dt.datetime) -> int:
    if len(times) < limit:
        return 0
    return max(1, math.ceil((times[limit - 1] + window - now).total_seconds()))


def login_wait_seconds(*, email: str, ip_address: str = "", now: dt.datetime | None = None) -> int:
    """Seconds before ``email`` (or this address) may try again; 0 when not throttled."""
    limit = settings.INJAAZ_LOGIN_MAX_FAILURES
    window = dt.timedelta(seconds=settings.INJAAZ_LOGIN_WINDOW_SECONDS)
    now = now or timezone.now()
    failures = AuditLog.objects.filter(
        action=Action.LOGIN_FAILED, created_at__gte=now - window, details__reason=BAD_CREDENTIALS
    ).order_by("-created_at")
    by_email = failures.filter(details__email=normalise_email(email))
    last_login = User.objects.filter(email=normalise_email(email)).values_list("last_login", flat=True).first()
    if last_login is not None:
        by_email = by_email.filter(created_at__gt=last_login)  # a successful login starts afresh
    wait = _wait(list(by_email.values_list("created_at", flat=True)[:limit]), limit, window, now)
    if not wait and ip_address:
        ip_limit = limit * IP_FACTOR
        by_ip = failures.filter(ip_address=ip_address).values_list("created_at", flat=True)[:ip_limit]
        wait = _wait(list(by_ip), ip_limit, window, now)
    return wait
