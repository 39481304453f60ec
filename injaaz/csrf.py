"""CSRF failures answered in the route's own language: JSON on JSON routes, Django's page elsewhere.

A JSON route says so with ``answers_json``; ``CSRF_FAILURE_VIEW`` looks the failing path up and
answers ``{"error": ...}`` with 403 there, so a script reads why instead of parsing an HTML page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import csrf

View = TypeVar("View", bound=Callable[..., Any])


def answers_json(view: View) -> View:
    """Mark ``view`` as a JSON route (``functools.wraps`` carries the mark through decorators)."""
    view.answers_json = True  # type: ignore[attr-defined]
    return view


def is_json_route(request: HttpRequest) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return bool(getattr(match.func, "answers_json", False))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if is_json_route(request):
        message = f"CSRF check failed: {reason.rstrip('.')}. Reload the page to get a new token and send it again."
        return JsonResponse({"error": message}, status=403)
    return csrf.csrf_failure(request, reason=reason)
