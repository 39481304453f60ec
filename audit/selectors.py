"""Reads of the audit log: the chain check shared by ``verify_audit_chain`` and the tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from audit import chain
from audit.models import AuditLog


@dataclass(frozen=True)
class BrokenLink:
    row_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    rows: int
    head_id: int | None
    head_hash: str
    broken: BrokenLink | None
    seen_hashes: frozenset[str] = frozenset()


def _rows(chunk_size: int) -> Iterator[AuditLog]:
    return AuditLog.objects.order_by("id").iterator(chunk_size=chunk_size)


def audit_chain_check(*, expect_hashes: frozenset[str] = frozenset(), chunk_size: int = 5000) -> ChainReport:
    """Walk the log in id order, recomputing each link; stop at the first broken one.

    A row whose contents no longer match its ``row_hash`` was altered; a row whose
    ``prev_hash`` is not the previous row's ``row_hash`` follows a removed or inserted row.
    ``expect_hashes`` are heads recorded earlier elsewhere: the report says which were seen
    (a log truncated and restarted is otherwise a valid chain).
    """
    count = 0
    previous_hash = chain.GENESIS_HASH
    previous_id: int | None = None
    seen: set[str] = set()
    for row in _rows(chunk_size):
        count += 1
        if row.prev_hash != previous_hash:
            where = f"row {previous_id}" if previous_id is not None else "the start of the log"
            reason = f"prev_hash does not match {where}: a row was removed, inserted or reordered before it"
            return ChainReport(count, previous_id, previous_hash, BrokenLink(row.id, reason), frozenset(seen))
        if chain.digest_of(row, prev_hash=row.prev_hash) != row.row_hash:
            reason = "row_hash does not match the row's contents: the row was altered"
            return ChainReport(count, previous_id, previous_hash, BrokenLink(row.id, reason), frozenset(seen))
        if row.row_hash in expect_hashes:
            seen.add(row.row_hash)
        previous_hash = row.row_hash
        previous_id = row.id
    return ChainReport(count, previous_id, previous_hash, None, frozenset(seen))
