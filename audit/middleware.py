"""Puts the request's client facts where ``audit_record`` finds them."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit import context


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.set_current(context.context_from_request(request))
        try:
            return self.get_response(request)
        finally:
            context.reset(token)
