"""Plain records the legacy parser turns every historical document into.

One normaliser per historical shape (``submissions.legacy.normalize``) produces a
``NormalizedSubmission``; job files become a ``NormalizedJob``. The importer, the phase
router's fallback reads, ``verify_migration``, ``export_json`` and the report generators
all work from these, so a shape is understood in exactly one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class LegacyFormatError(ValueError):
    """A legacy file that cannot be read: the message says why (path is added by the reader)."""


# The two references are named tuples, not frozen dataclasses: the importer builds several per file,
# hundreds of thousands per run, and a named tuple is built several times faster.
class PhotoRef(NamedTuple):
    """A photo reference found in a document. ``item`` is the index of its item/work row, if any."""

    url: str
    item: int | None = None
    source: str = ""  # where it was found, e.g. "items[0].photos[1]" or "fields.photo_url_0"


class SignatureRef(NamedTuple):
    """A signature: a stored file's URL, or an embedded ``data:image/png;base64,...`` URL."""

    role: str  # "technician", "manager", "inspector", "client"
    value: str  # URL or data URL
    source: str = ""  # the key it came from, e.g. "opMan_signature"

    @property
    def is_data_url(self) -> bool:
        return self.value.startswith("data:")


@dataclass
class NormalizedItem:
    """One HVAC item or Civil work row: its fields (display strings) and its photos' URLs."""

    fields: dict[str, Any]
    photos: list[str] = field(default_factory=list)


@dataclass
class NormalizedSubmission:
    """What every shape means, whatever keys it used.

    ``shape`` names the historical shape (see ``normalize.SHAPES``). ``fields`` holds the
    module's header fields under Injaaz's names (``site_name``, ``visit_date`` as the string
    typed, ``location``, ``client_name``, the cleaning fields ...). ``items`` are HVAC items
    or Civil work rows; ``photos`` every photo reference (item photos included, ``item`` set).
    """

    submission_id: str
    module: str
    shape: str
    site_name: str = ""
    visit_date: dt.date | None = None
    created_at: dt.datetime | None = None  # aware, UTC; None when the document has no timestamp
    submitted_by_ip: str = ""
    job_id: str | None = None  # only the Cleaning /submit shape records it
    fields: dict[str, Any] = field(default_factory=dict)
    items: list[NormalizedItem] = field(default_factory=list)
    photos: list[PhotoRef] = field(default_factory=list)
    signatures: list[SignatureRef] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # odd but readable content, e.g. a bad date


@dataclass
class NormalizedJob:
    """A legacy job file: state mapped onto the ``jobs`` table's vocabulary."""

    job_id: str
    submission_id: str | None  # meta.submission_id; None for an orphan
    module: str | None  # meta.module
    status: str  # started, running, done, failed (HVAC "done" with results.error is failed)
    progress: int
    excel_url: str = ""
    pdf_url: str = ""
    error_message: str = ""
    created_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)
