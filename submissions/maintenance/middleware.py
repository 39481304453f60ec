"""While maintenance mode is on, inspector pages and APIs answer 503 with ``Retry-After``.

The admin (so staff can watch the migration), the health check and static files stay open.
The state lives in the database, so every web process switches; each reads it at most once per
``INJAAZ_MAINTENANCE_CACHE_SECONDS`` (a few seconds), so a switch reaches every process within
that time and a request costs no query for it (``selectors.maintenance_state_cached``).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

from submissions.maintenance.models import MaintenanceState
from submissions.maintenance.selectors import maintenance_state_cached

logger = logging.getLogger(__name__)


def _open_prefixes() -> tuple[str, ...]:
    return _open_prefixes_for(
        get_urlconf() or settings.ROOT_URLCONF, str(settings.STATIC_URL or ""), get_script_prefix()
    )


@functools.lru_cache(maxsize=8)
def _open_prefixes_for(urlconf: str, static_url: str, script_prefix: str) -> tuple[str, ...]:
    # Computed once per URL configuration, not per request (``reverse`` is not free).
    prefixes = ["/health"]
    with contextlib.suppress(NoReverseMatch):  # the admin is always routed; be safe anyway
        prefixes.append(reverse("admin:index", urlconf=urlconf))
    if static_url:
        prefixes.append(static_url if static_url.startswith("/") else f"/{static_url}")
    return tuple(prefixes)


def unavailable_response(request: HttpRequest, state: MaintenanceState) -> HttpResponse:
    message = state.message or "Injaaz is down for maintenance. Please try again shortly."
    response: HttpResponse
    if "text/html" in request.headers.get("Accept", ""):
        response = HttpResponse(
            render_to_string("submissions/maintenance.html", {"message": message, "retry_after": state.retry_after}),
            status=503,
        )
    else:
        response = JsonResponse({"error": "maintenance", "detail": message}, status=503)
    response["Retry-After"] = str(state.retry_after)
    response["Cache-Control"] = "no-store"
    return response


class MaintenanceModeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(_open_prefixes()):
            try:
                state = maintenance_state_cached()
            except DatabaseError:
                # No answer from the database is not a reason to close the site: the view
                # will meet the same error and report it.
                logger.exception("maintenance mode: could not read the state; treating it as off")
            else:
                if state.enabled:
                    return unavailable_response(request, state)
        return self.get_response(request)
