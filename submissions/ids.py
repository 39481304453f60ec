"""Record ids in the legacy app's format: ``<prefix>_`` + 12 lowercase hex characters."""

from __future__ import annotations

import re
import uuid

from django.core.validators import RegexValidator

SUBMISSION_ID_RE = re.compile(r"^sub_[0-9a-f]{12}$")
JOB_ID_RE = re.compile(r"^job_[0-9a-f]{12}$")

validate_submission_id = RegexValidator(
    SUBMISSION_ID_RE, "A submission id is 'sub_' followed by 12 lowercase hex characters."
)
CLIENT_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
validate_client_key = RegexValidator(
    CLIENT_KEY_RE, "A client key is 8 to 64 letters, digits, '-' or '_' (a UUID is a good one)."
)
validate_job_id = RegexValidator(JOB_ID_RE, "A job id is 'job_' followed by 12 lowercase hex characters.")


def random_id(prefix: str) -> str:
    """The legacy ``common.utils.random_id``: prefix, underscore, 48 random bits in hex."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def new_submission_id() -> str:
    return random_id("sub")


def new_job_id() -> str:
    return random_id("job")
