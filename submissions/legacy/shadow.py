"""Shadow comparison (``INJAAZ_SHADOW_COMPARE``): the database row against the legacy file.

In the phases that read both stores, the phase router reads the side it does not serve from as
well and hands both here. Every difference is logged on the ``injaaz.shadow`` logger, one line
each, naming the submission id, the database row's id and the file (with the id written inside
it): a record present on one side only at INFO, a content difference at WARNING.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from submissions.legacy.store import SubmissionFile
    from submissions.models import Submission

logger = logging.getLogger("injaaz.shadow")


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Difference:
    field: str
    database: Any
    file: Any


def document_differences(database: Any, file: Any, path: str = "form_data") -> list[Difference]:
    """Every place two JSON values differ, as paths like ``form_data.items[0].photos[1].url``."""
    if isinstance(database, dict) and isinstance(file, dict):
        found = []
        for key in sorted(set(database) | set(file), key=str):
            if key in database and key in file:
                found.extend(document_differences(database[key], file[key], f"{path}.{key}"))
            else:
                found.append(Difference(f"{path}.{key}", database.get(key, MISSING), file.get(key, MISSING)))
        return found
    if isinstance(database, list) and isinstance(file, list):
        found = []
        for index in range(max(len(database), len(file))):
            left = database[index] if index < len(database) else MISSING
            right = file[index] if index < len(file) else MISSING
            if left is MISSING or right is MISSING:
                found.append(Difference(f"{path}[{index}]", left, right))
            else:
                found.extend(document_differences(left, right, f"{path}[{index}]"))
        return found
    if type(database) is not type(file) or database != file:
        return [Difference(path, database, file)]
    return []


def submission_differences(row: Submission, file: SubmissionFile) -> list[Difference]:
    """The row's document and derived columns against the file's document and its normalised reading."""
    found = document_differences(row.form_data, file.document)
    record = file.record
    for column, file_value in (
        ("module", record.module),
        ("site_name", record.site_name[:200]),
        ("visit_date", record.visit_date),
    ):
        database_value = getattr(row, column)
        if database_value != file_value:
            found.append(Difference(column, database_value, file_value))
    return found


def shadow_compare(
    *, submission_id: str, phase: str, row: Submission | None, file: SubmissionFile | None, file_path: Any
) -> list[Difference]:
    """Compare and log. ``file_path`` is where the file is (or would be)."""
    db_id = row.pk if row is not None else None
    file_id = file.record.submission_id if file is not None else None
    if row is None and file is None:
        return []
    if row is None or file is None:
        side = "file" if row is None else "database"
        logger.info(
            "shadow-compare phase=%s submission_id=%s db_id=%s file=%s file_id=%s: only in the %s",
            phase,
            submission_id,
            db_id,
            file_path,
            file_id,
            side,
        )
        return [Difference("record", MISSING if row is None else db_id, MISSING if file is None else file_id)]
    differences = submission_differences(row, file)
    for difference in differences:
        logger.warning(
            "shadow-compare phase=%s submission_id=%s db_id=%s file=%s file_id=%s: %s differs: database=%r file=%r",
            phase,
            submission_id,
            db_id,
            file_path,
            file_id,
            difference.field,
            difference.database,
            difference.file,
        )
    return differences
