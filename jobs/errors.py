"""Which failures of a report job are worth retrying.

A transient error is one a later attempt may not meet: the storage unreachable, a timeout, a
throttled or failing S3 endpoint, a disk momentarily full. Everything else (a document no shape
matches, a template bug, a file that does not exist) fails the job at once with its message.
"""

from __future__ import annotations

from typing import Any


class TransientStorageError(Exception):
    """Storage could not be reached or answered with a temporary failure; worth retrying."""


class WorkerStopping(BaseException):
    """Raised inside a running job when its worker must stop now (``manage.py run_worker``).

    A ``BaseException`` so that the job's own ``except Exception`` does not record it as the
    job's failure: the job is given back to the queue instead (``jobs.services``).
    """


# OSErrors that no amount of waiting repairs.
_PERMANENT_OS_ERRORS: tuple[type[OSError], ...] = (
    FileNotFoundError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
    FileExistsError,
)

_RETRYABLE_S3_CODES = {
    "InternalError",
    "ServiceUnavailable",
    "SlowDown",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "Throttling",
    "ThrottlingException",
    "503",
    "500",
}


def _botocore_transient(error: BaseException) -> bool:
    # Imported when an error is classified, not with this module: botocore takes ~70 ms to load.
    from botocore import exceptions as boto

    if isinstance(error, boto.ConnectionError | boto.HTTPClientError):
        return True
    if isinstance(error, boto.ClientError):
        response: Any = error.response or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return code in _RETRYABLE_S3_CODES or status >= 500
    return False


def is_transient(error: BaseException) -> bool:
    """True when ``error`` (or the error it was explicitly raised from) is worth another attempt.

    Image decoding errors (Pillow raises ``OSError`` subclasses) never reach this: a photo that
    cannot be decoded is shown as "image not available" instead.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TransientStorageError | ConnectionError | TimeoutError):
            return True
        if isinstance(current, OSError) and not isinstance(current, _PERMANENT_OS_ERRORS):
            return True
        if _botocore_transient(current):
            return True
        current = current.__cause__
    return False
