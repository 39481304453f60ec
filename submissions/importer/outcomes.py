"""What the importer says about each legacy file: its kind and what became of it.

Django-free like ``direct`` and ``worker``: the importer's worker processes build these and send
them back.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class FileKind(StrEnum):
    SUBMISSION = "submission"
    JOB = "job"


class ImportOutcome(StrEnum):
    """What became of one file (the values are the ledger's ``outcome`` and the SQL's)."""

    IMPORTED = "imported"
    PRESENT = "present"  # the database already holds the same record
    UPDATED = "updated"  # held differently, overwritten (``--update``)
    CONFLICT = "conflict"  # held differently, left alone
    ORPHAN = "orphan"  # a job whose submission is nowhere
    FAILED = "failed"  # unreadable, or refused by the database


# After these the database agrees with the file: the ledger records it, and the importer only counts it.
KEPT_OUTCOMES = frozenset({ImportOutcome.IMPORTED, ImportOutcome.PRESENT, ImportOutcome.UPDATED})


class Outcome(NamedTuple):
    """What became of one file. A named tuple: workers send back thousands a second, and a slotted
    dataclass pickles several times slower."""

    kind: FileKind
    path: str
    record_id: str
    outcome: ImportOutcome
    module: str
    changed: bool  # the ledger held another hash for this file
    detail: str = ""  # an orphan job's submission id; why the database refused a file
