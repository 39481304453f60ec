"""The audit log's hash chain: each row carries the previous row's hash and its own.

``row_digest`` is a pure function of a row's recorded facts and the previous row's hash, so
``verify_audit_chain`` can recompute every link from what the database returns. A row altered,
removed or inserted out of order behind the application's back breaks the chain at that row.

Format version 1: SHA-256 over compact, key-sorted JSON of
``[1, prev_hash, user_id, action, resource_type, resource_id, details, ip_address, user_agent,
created_at]`` with ``created_at`` as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ``. Numbers inside ``details``
are hashed as floats, because JSONB gives back ``1e+100`` as an integer and ``-0.0`` as ``0``: the
same value must hash the same before and after the database round trip.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

CHAIN_VERSION = 1
GENESIS_HASH = ""

# The key of the transaction-level advisory lock that serialises appends on PostgreSQL
# (any constant works; this one spells "audit" in ASCII).
ADVISORY_LOCK_KEY = 0x6175646974


def canonical(value: Any) -> Any:
    """``value`` with numbers as floats and keys as strings, for hashing (see the module docstring)."""
    if isinstance(value, dict):
        return {str(key): canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value) + 0.0
    raise TypeError(f"audit details must be JSON values, not {type(value).__name__}")


def timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_digest(
    *,
    prev_hash: str,
    user_id: int | None,
    action: str,
    resource_type: str,
    resource_id: int | None,
    details: Any,
    ip_address: str,
    user_agent: str,
    created_at: dt.datetime,
) -> str:
    """The hex SHA-256 of one row's facts chained to ``prev_hash``."""
    document = [
        CHAIN_VERSION,
        prev_hash,
        user_id,
        action,
        resource_type,
        resource_id,
        canonical(details),
        ip_address,
        user_agent,
        timestamp(created_at),
    ]
    payload = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def digest_of(row: Any, *, prev_hash: str) -> str:
    """``row_digest`` of an ``AuditLog`` (or anything with its attributes)."""
    return row_digest(
        prev_hash=prev_hash,
        user_id=row.user_id,
        action=row.action,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        details=row.details,
        ip_address=row.ip_address,
        user_agent=row.user_agent,
        created_at=row.created_at,
    )
