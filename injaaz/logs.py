"""Logging: to stdout, one line per event, plain or JSON (``LOG_FORMAT``), with the request id.

``logging_config`` is the one dictConfig both Django (``settings.LOGGING``) and gunicorn
(``deploy/gunicorn.conf.py``) use, so the web server's own lines (start, worker boot, access log)
look like the app's. Pure Python: gunicorn's master imports it before Django is set up.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any

from injaaz import request_id

LOG_FORMATS = ("plain", "json")

# gunicorn access-log atoms copied into a JSON line as fields (see deploy/gunicorn.conf.py).
ACCESS_FIELDS = {
    "remote_addr": "h",
    "method": "m",
    "path": "U",
    "query": "q",
    "status": "s",
    "bytes": "B",
    "duration_ms": "M",
    "user_agent": "a",
    "request_id": "{x-request-id}o",
}


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on the record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = request_id.current() or "-"
        return True


class PlainFormatter(logging.Formatter):
    """``time level logger [request id] message``; a traceback stays on the same line."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", "\\n")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "process": record.process,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, Mapping):
            document.update(_access_fields(record.args))
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return json.dumps(document, ensure_ascii=False, default=str)


def _access_fields(atoms: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, atom in ACCESS_FIELDS.items():
        value = atoms[atom]
        if value in ("-", "", None):
            continue
        fields[name] = int(value) if name in {"status", "bytes", "duration_ms"} and str(value).isdigit() else value
    return fields


def logging_config(*, log_format: str, level: str, extra_loggers: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The dictConfig for ``log_format`` (``plain`` or ``json``) at ``level``."""
    formatter = JsonFormatter if log_format == "json" else PlainFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "default",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # WeasyPrint logs every layout step at INFO; only its warnings matter.
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
            **(extra_loggers or {}),
        },
    }
