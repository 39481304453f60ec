"""Refuse requests carrying a NUL byte in the path, the query string or a cookie: 400, not 500.

No form, file name or database text can hold a NUL (PostgreSQL refuses it outright, so a lookup
with one answered 500). Django's form fields already refuse it in posted fields; this catches the
values that reach queries without a form: URL parts (``/jobs/%00/status``), query parameters
(``?q=%00``, the admin's filters) and the session cookie. No database work: it reads the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from injaaz.csrf import is_json_route

NUL = "\x00"
MESSAGE = "The request holds a NUL byte, which no value here may contain."


def _has_nul(values: Iterable[str]) -> bool:
    return any(NUL in value for value in values)


class NulByteMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = [text for key, values in request.GET.lists() for text in (key, *values)]
        cookies = [text for pair in request.COOKIES.items() for text in pair]
        if NUL in request.path or _has_nul(query) or _has_nul(cookies):
            if is_json_route(request):
                return JsonResponse({"error": MESSAGE}, status=400)
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
