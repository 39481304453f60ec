"""Throttles for logins and password resets: an attempt is counted before it is made.

Each e-mail and each address has a counter per action (``throttle_counters``). An attempt first
reserves one unit on every counter it is subject to, in one short transaction that locks those
rows (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises writers);
only then is the password checked or the mail sent. However many requests arrive at once, no more
than the limit get through in a window: the (N+1)th finds the count already raised and is refused.
The window is fixed: it starts at the first attempt and lasts ``INJAAZ_LOGIN_WINDOW_SECONDS``.

A successful login gives its units back (the account's count starts afresh, the address's loses
the one unit), so an office behind one address is not locked out by its own good logins. The
audit log still records every failure and every refusal (``login_failed``, ``reason``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import ThrottleCounter

BAD_CREDENTIALS = "bad_credentials"
THROTTLED = "throttled"
IP_FACTOR = 10  # one address may fail for this many accounts' worth before it is stopped
SWEEP_AFTER = dt.timedelta(days=1)  # counters whose window ended this long ago are removed
SWEEP_BATCH = 100


class Limit(NamedTuple):
    key: str
    allowed: int


def normalise_email(value: str) -> str:
    return (value or "").strip().lower()[:255]


def _locked_counters(keys: list[str], *, now: dt.datetime, window: dt.timedelta) -> dict[str, ThrottleCounter]:
    """The counters of ``keys``, created when missing and locked until the transaction ends."""
    for _ in range(3):  # a sweep by another request may remove a row between insert and lock
        ThrottleCounter.objects.bulk_create(
            [ThrottleCounter(key=key, count=0, window_ends_at=now + window) for key in keys], ignore_conflicts=True
        )
        rows = {
            row.key: row for row in ThrottleCounter.objects.select_for_update().filter(key__in=keys).order_by("key")
        }
        if len(rows) == len(keys):
            return rows
    raise RuntimeError(f"throttle counters {keys} vanished three times")  # pragma: no cover


def _sweep(now: dt.datetime) -> None:
    """Remove a batch of long-dead counters; rows another request holds are skipped, never awaited."""
    stale = ThrottleCounter.objects.select_for_update(skip_locked=True).filter(window_ends_at__lt=now - SWEEP_AFTER)
    ids = list(stale.values_list("id", flat=True)[:SWEEP_BATCH])
    if ids:
        ThrottleCounter.objects.filter(id__in=ids).delete()


def throttle_reserve(*, limits: Sequence[Limit], window: dt.timedelta, now: dt.datetime | None = None) -> int:
    """Count one attempt against every limit, or against none: 0 when the attempt may go ahead,
    otherwise the seconds until the longest-blocked counter's window ends."""
    now = now or timezone.now()
    keys = sorted({limit.key for limit in limits})  # one locking order everywhere: no deadlocks
    with transaction.atomic():
        rows = _locked_counters(keys, now=now, window=window)
        for row in rows.values():
            if row.window_ends_at <= now:
                row.count, row.window_ends_at = 0, now + window
        blocked = [rows[limit.key].window_ends_at for limit in limits if rows[limit.key].count >= limit.allowed]
        if blocked:
            return max(1, math.ceil((max(blocked) - now).total_seconds()))
        for row in rows.values():
            row.count += 1
            row.save(update_fields=["count", "window_ends_at"])
        _sweep(now)
    return 0


def _login_limits(email: str, ip_address: str) -> list[Limit]:
    allowed = settings.INJAAZ_LOGIN_MAX_FAILURES
    limits = [Limit(f"login:email:{normalise_email(email)}", allowed)]
    if ip_address:
        limits.append(Limit(f"login:ip:{ip_address}", allowed * IP_FACTOR))
    return limits


def login_attempt_reserve(*, email: str, ip_address: str = "", now: dt.datetime | None = None) -> int:
    """Reserve one password check for ``email`` from ``ip_address``; seconds to wait if refused."""
    window = dt.timedelta(seconds=settings.INJAAZ_LOGIN_WINDOW_SECONDS)
    return throttle_reserve(limits=_login_limits(email, ip_address), window=window, now=now)


def login_attempt_succeeded(*, email: str, ip_address: str = "") -> None:
    """The password was right: the account starts afresh and the address gets its unit back."""
    account, *address = _login_limits(email, ip_address)
    ThrottleCounter.objects.filter(key=account.key).update(count=0)
    for limit in address:
        ThrottleCounter.objects.filter(key=limit.key, count__gt=0).update(count=F("count") - 1)


def password_reset_reserve(*, email: str, ip_address: str = "", now: dt.datetime | None = None) -> int:
    """Reserve one reset mail for ``email`` requested from ``ip_address``; seconds to wait if refused."""
    limits = [Limit(f"reset:email:{normalise_email(email)}", settings.INJAAZ_PASSWORD_RESET_MAX_PER_EMAIL)]
    if ip_address:
        limits.append(Limit(f"reset:ip:{ip_address}", settings.INJAAZ_PASSWORD_RESET_MAX_PER_IP))
    window = dt.timedelta(seconds=settings.INJAAZ_PASSWORD_RESET_WINDOW_SECONDS)
    return throttle_reserve(limits=limits, window=window, now=now)
