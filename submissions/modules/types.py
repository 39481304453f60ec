"""The types a module declaration is made of (docs/MODULES.md).

Plain frozen dataclasses and enums, with no Django model or form import: the forms, document
builders, legacy routes, normaliser, reports, admin and exports all read these, so this package
imports none of them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class FieldType(enum.StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    DATE = "date"  # YYYY-MM-DD
    NUMBER = "number"  # a whole number, zero or more
    DECIMAL = "decimal"  # a number, zero or more (``decimal_places`` limits the fraction)
    YES_NO = "yes_no"  # a checkbox; stored "True"/"False" (the old cleaning shape)
    CHOICE = "choice"  # one of ``choices``, or of a reference-data source


class ReferenceData(enum.StrEnum):
    """Reference data a field's choices come from (kept in the database, not in the declaration)."""

    HVAC_ASSET = "hvac_asset"  # an asset of the HVAC taxonomy
    HVAC_SYSTEM = "hvac_system"  # a system of the item's asset
    HVAC_DESCRIPTION = "hvac_description"  # one of the system's descriptions, free text if it lists none


@dataclass(frozen=True)
class Field:
    """One value the inspector gives, stored as a string in ``form_data`` under ``key``.

    ``read_keys``: every key a historical document or request carried this value under, in the
    order they are read (the first non-empty wins); by default just ``key``.
    ``report_label``: the (shorter) label the reports print, when it differs from ``label``.
    ``rows``: for long text, the text area's height.
    """

    key: str
    label: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    max_length: int = 200
    choices: tuple[str, ...] = ()
    choices_from: ReferenceData | None = None
    default: str = ""
    help_text: str = ""
    allow_future: bool = True
    decimal_places: int | None = None
    input_type: str = ""  # an HTML input type hint, e.g. "tel"
    rows: int | None = None
    report_label: str = ""
    read_keys: tuple[str, ...] = ()

    @property
    def short_label(self) -> str:
        return self.report_label or self.label

    @property
    def keys(self) -> tuple[str, ...]:
        return self.read_keys or (self.key,)

    def read(self, mapping: Mapping[str, Any]) -> Any:
        """The value of this field in a document or request (``read_keys`` in order)."""
        for key in self.keys:
            value = mapping.get(key)
            if value not in (None, ""):
                return value
        return None


@dataclass(frozen=True)
class Section:
    """Fields shown together, in form order. ``tab``: the form page (tab) it sits on, if the form has tabs."""

    title: str
    fields: tuple[Field, ...]
    tab: str = ""


@dataclass(frozen=True)
class Photos:
    """Photos of an item or of the whole form. ``max_count`` ``None``: ``INJAAZ_PHOTOS_PER_ITEM``.

    ``key``: the document's list of photo references. ``read_keys``: the keys the old clients
    sent them under (a list each; ``photo_url_<n>`` keys are read too when ``numbered_keys``).
    ``indexed``: each reference carries its position as ``"index"`` (the cleaning shape).
    ``tab``: for a form's own photos on a tabbed form, the tab they sit on.
    """

    key: str = "photos"
    label: str = "Photos"
    min_count: int = 0
    max_count: int | None = None
    report_title: str = "Photos"
    read_keys: tuple[str, ...] = ("photo_urls", "photos")
    numbered_keys: bool = False
    indexed: bool = False
    tab: str = ""


@dataclass(frozen=True)
class Items:
    """The repeating items of a form (HVAC items, Civil work rows).

    ``key``: the document's list. ``prefix``: the browser formset's prefix. ``number_key``: a
    1-based position the document stores in each item (Civil's ``item_number``), else "".
    ``legacy_arrays``: field key → the multipart array name an old client sent (``work_desc[]``).
    ``legacy_numbered``: the multipart pattern ``item_{index}_{key}`` of the old HVAC client.
    """

    key: str
    prefix: str
    label: str
    item_label: str
    report_title: str
    fields: tuple[Field, ...]
    title_field: str
    min_count: int = 0
    max_count: int = 200
    number_key: str = ""
    photos: Photos | None = None
    legacy_arrays: Mapping[str, str] = field(default_factory=dict)
    legacy_numbered: str = ""


@dataclass(frozen=True)
class Signature:
    """A drawn signature. ``key``: the document's key; ``field``: the browser form's field (default
    ``key``); ``read_keys``: request/document keys of old clients, in order. ``role``: the name the
    normalised record and the reports use. ``signer_field``: the field holding the signer's name.
    ``empty``: what the document holds when nothing was drawn (``None``; ``""`` in the cleaning shape).
    """

    key: str
    label: str
    role: str
    required: bool = False
    signer_field: str = ""
    field: str = ""
    read_keys: tuple[str, ...] = ()
    report_label: str = ""
    empty: Any = None

    @property
    def form_field(self) -> str:
        return self.field or self.key

    @property
    def keys(self) -> tuple[str, ...]:
        return self.read_keys or (self.key,)

    @property
    def short_label(self) -> str:
        return self.report_label or self.label


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    sheet_title: str


class JobResults(enum.StrEnum):
    """How the old app's job file for the module wrote its ``results`` once done (FORMAT.md §2)."""

    URLS = "urls"  # {"excel_url", "pdf_url"} (HVAC's, and what Injaaz's job files hold)
    FILES = "files"  # [{"filename", "url"}, ...] (Civil's)
    KEYS = "keys"  # {"excel", "pdf"} (Cleaning's)


@dataclass(frozen=True)
class DocumentShape:
    """How Injaaz writes the module's ``form_data`` (one shape per module) and what else it reads.

    ``id_key``/``time_key``: where the submission id and the (naive UTC ISO) time go.
    ``job_key``: a key holding the report job's id (the old ``/cleaning/submit`` shape), else "".
    ``wrapper_keys``: keys of older shapes that wrap the fields in an object (``data``, ``fields``).
    ``written``/``read``: the historical shape names (``submissions.legacy.normalize.SHAPES``).
    ``job_results``/``unknown_job``: the old status route's results shape and its answer for an
    unknown job.
    """

    id_key: str
    time_key: str
    written: str
    read: tuple[str, ...] = ()
    job_key: str = ""
    wrapper_keys: tuple[str, ...] = ()
    job_results: JobResults = JobResults.URLS
    unknown_job: str = "unknown job"


# Keys a document carries for the machinery (ids, times, the report job, the server's URL), not
# for the reader: never shown as fields.
DOCUMENT_MACHINERY_KEYS = frozenset({"base_url", "timestamp", "created_at", "submission_id", "id", "job_id"})

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ModuleDeclaration:
    """Everything Injaaz knows about one inspection module (docs/MODULES.md).

    ``site_name_keys``: the ``site_name`` column is the first non-empty of these fields;
    ``visit_date_key``: the ``visit_date`` column is that field when it is a YYYY-MM-DD date.
    One rule for the service, the importer and the legacy routes (``columns``).
    ``url_prefix``: the module's URLs (``/<url_prefix>/form``, ``/<url_prefix>/submit`` ...).
    """

    module: str
    name: str
    title: str
    url_prefix: str
    sections: tuple[Section, ...]
    signatures: tuple[Signature, ...]
    site_name_keys: tuple[str, ...]
    visit_date_key: str
    report: Report
    document: DocumentShape
    items: Items | None = None
    photos: Photos | None = None
    submit_label: str = "Submit"
    template: str = ""

    # --- reading -------------------------------------------------------------------------

    @property
    def title_in_sentence(self) -> str:
        """The title inside a sentence ("New civil works report"): an initial capital is lowered,
        unless the first word is an acronym ("New HVAC & MEP inspection")."""
        first_word = self.title.split(" ", 1)[0]
        return self.title if first_word.isupper() else self.title[:1].lower() + self.title[1:]

    @property
    def fields(self) -> tuple[Field, ...]:
        """The header fields (not the items'), in form order."""
        return tuple(f for section in self.sections for f in section.fields)

    def field(self, key: str) -> Field:
        for candidate in self.fields:
            if candidate.key == key:
                return candidate
        raise KeyError(f"{self.module} declares no field {key!r}")

    def signature(self, key: str) -> Signature:
        for candidate in self.signatures:
            if key in (candidate.key, candidate.form_field, candidate.role):
                return candidate
        raise KeyError(f"{self.module} declares no signature {key!r}")

    @property
    def tabs(self) -> tuple[tuple[str, tuple[Section, ...]], ...]:
        """Sections grouped by ``tab`` in order (one untitled tab when the form has none)."""
        grouped: dict[str, list[Section]] = {}
        for section in self.sections:
            grouped.setdefault(section.tab, []).append(section)
        return tuple((title, tuple(sections)) for title, sections in grouped.items())

    def labels(self) -> dict[str, str]:
        """Every key a document of this module holds a value under → its label (items' included)."""
        labels = {f.key: f.label for f in self.fields}
        for f in self.fields:
            for key in f.keys:
                labels.setdefault(key, f.label)
        if self.items is not None:
            for f in self.items.fields:
                labels.setdefault(f.key, f.label)
        for signature in self.signatures:
            for key in (signature.key, signature.form_field, *signature.keys):
                labels.setdefault(key, signature.label)
        return labels

    # --- the one rule for the derived columns ---------------------------------------------

    def columns(
        self, fields: Mapping[str, Any], *, warnings: list[str] | None = None, where: str = ""
    ) -> tuple[str, dt.date | None]:
        """``(site_name, visit_date)`` of a document's header fields (read with each field's
        ``read_keys``). A visit date that is not YYYY-MM-DD is left empty (and said in ``warnings``)."""
        site_name = ""
        for key in self.site_name_keys:
            value = form_text(self._read(fields, key))
            if value:
                site_name = value
                break
        raw = form_text(self._read(fields, self.visit_date_key))
        visit_date = None
        if raw:
            if _DATE_RE.fullmatch(raw):
                with contextlib.suppress(ValueError):  # 2025-02-30
                    visit_date = dt.date.fromisoformat(raw)
            if visit_date is None and warnings is not None:
                warnings.append(
                    f"{where}{self._date_source(fields)} {raw!r} is not a YYYY-MM-DD date; visit date left empty"
                )
        return site_name, visit_date

    def header(self, document: Mapping[str, Any]) -> Mapping[str, Any]:
        """The mapping holding a document's header fields: the document, or the object an older
        shape wrapped them in (``DocumentShape.wrapper_keys``: cleaning's ``data``, civil's ``fields``)."""
        for key in self.document.wrapper_keys:
            wrapped = document.get(key)
            if isinstance(wrapped, Mapping):
                return wrapped
        return document

    def document_columns(self, document: Mapping[str, Any]) -> tuple[str, dt.date | None]:
        """``columns`` of a whole document, in any shape the module was written in."""
        return self.columns(self.header(document))

    def _read(self, fields: Mapping[str, Any], key: str) -> Any:
        try:
            return self.field(key).read(fields)
        except KeyError:
            return fields.get(key)

    def _date_source(self, fields: Mapping[str, Any]) -> str:
        try:
            declared = self.field(self.visit_date_key)
        except KeyError:
            return self.visit_date_key
        return next((key for key in declared.keys if fields.get(key) not in (None, "")), self.visit_date_key)


def form_text(value: Any) -> str:
    """A form value as the string it was typed (the old app stored values as strings)."""
    if isinstance(value, str):  # first: nearly every value is one
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float):
        return str(value)
    return ""
