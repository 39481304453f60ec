"""Canonical content of a JSON document: what "the same record" means on both sides.

A legacy file and the ``form_data`` the database holds for it differ in ways that do not
matter: key order and whitespace (``jsonb`` reorders keys and drops formatting), ``\\uXXXX``
escapes, and how numbers are spelled (``jsonb`` keeps ``1.50`` but prints ``1.5e3`` as
``1500``). ``canonical_json`` removes exactly those differences: sorted keys, no whitespace,
UTF-8 text, numbers normalised (integral floats become integers). ``content_hash`` is its
SHA-256. ``verify_migration`` compares these hashes; ``import_json`` on SQLite uses them to
tell "already present" from "conflict" (PostgreSQL compares ``jsonb`` values directly).
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

_MAX_EXACT_INT = 2**53


def _number(value: float) -> int | float:
    if math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _parse_float(literal: str) -> int | float:
    return _number(float(literal))


def _parse_int(literal: str) -> int | float:
    value = int(literal)
    # Beyond 2**53 jsonb and the file may print the same number differently; compare as floats.
    return value if -_MAX_EXACT_INT < value < _MAX_EXACT_INT else _number(float(value))


def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalise(item) for item in value]
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, int) and not isinstance(value, bool) and not -_MAX_EXACT_INT < value < _MAX_EXACT_INT:
        return _number(float(value))
    return value


def canonical_loads(text: str | bytes) -> Any:
    """Parse JSON text with numbers already normalised (faster than ``_normalise`` afterwards)."""
    return json.loads(text, parse_float=_parse_float, parse_int=_parse_int)


def canonical_json(document: Any, *, normalised: bool = False) -> bytes:
    """The canonical UTF-8 bytes of ``document`` (pass ``normalised=True`` for ``canonical_loads`` output)."""
    value = document if normalised else _normalise(document)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=True).encode(
        "utf-8", "surrogatepass"
    )


def content_hash(document: Any, *, normalised: bool = False) -> str:
    return hashlib.sha256(canonical_json(document, normalised=normalised)).hexdigest()


def text_content_hash(text: str | bytes) -> str:
    """``content_hash`` of a JSON text (a file's bytes, or ``form_data::text`` from the database)."""
    return content_hash(canonical_loads(text), normalised=True)


def job_digest(*, status: str, progress: int, excel_url: str, pdf_url: str, error_message: str) -> str:
    """Hash of the job fields the ``jobs`` table keeps, as the legacy parser reads a job file."""
    text = "\x1f".join((status, str(progress), excel_url or "", pdf_url or "", error_message or ""))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
