"""Project-level views: health check."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from injaaz.health import health_check

logger = logging.getLogger(__name__)


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 otherwise; with the queue's length and oldest job's age.

    ``{"status": "ok", "database": "ok", "queued_jobs": 0, "oldest_queued_job_seconds": null}``
    """
    report = health_check()
    if not report.database_ok:
        logger.warning("Health check: the database does not answer: %s", report.detail)
    return JsonResponse(report.as_dict(), status=200 if report.database_ok else 503)
