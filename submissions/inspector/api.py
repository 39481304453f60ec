"""``GET /api/modules/<module>/schema``: a module's declaration for clients (the offline app).

Logged-in users only (a JSON 401 otherwise, never a redirect to the login page); an unknown
module is a JSON 404. The body carries its ``version`` (a hash of its content), which is also
the ``ETag``: a client sending it back in ``If-None-Match`` gets ``304 Not Modified``.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.http import parse_etags, quote_etag
from django.views.decorators.http import require_GET

from submissions.inspector.selectors import hvac_taxonomy
from submissions.modules.registry import declaration_or_none
from submissions.modules.schema import UploadLimits, module_schema, uses_hvac_taxonomy
from submissions.uploads import FORMATS


@require_GET
def module_schema_view(request: HttpRequest, module: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Log in to read a module's schema."}, status=401)
    declared = declaration_or_none(module)
    if declared is None:
        return JsonResponse({"error": f"No module is called {module[:60]!r}."}, status=404)
    limits = UploadLimits(
        max_bytes=settings.INJAAZ_UPLOAD_MAX_BYTES,
        max_pixels=settings.INJAAZ_UPLOAD_MAX_PIXELS,
        content_types=tuple(content_type for _, content_type in FORMATS.values()),
        photos_per_item=settings.INJAAZ_PHOTOS_PER_ITEM,
    )
    schema = module_schema(declared, limits=limits, taxonomy=hvac_taxonomy() if uses_hvac_taxonomy(declared) else None)
    etag = quote_etag(schema["version"])
    wanted = parse_etags(request.headers.get("If-None-Match", ""))
    if "*" in wanted or etag in {tag.removeprefix("W/") for tag in wanted}:
        response = HttpResponse(status=304)
    else:
        body = json.dumps(schema, ensure_ascii=False, indent=1)
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    # A client may keep it, but asks again each time (a 304 is cheap): taxonomy edits show at once.
    response["Cache-Control"] = "private, no-cache"
    return response
