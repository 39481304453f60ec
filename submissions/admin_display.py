"""HTML for the submission admin: ``form_data`` as a readable tree, photo thumbnails, signatures.

Everything a user typed is escaped (``format_html`` / ``format_html_join``); nothing from
``form_data`` is ever marked safe as it is. Images are shown only for http(s) URLs, site-relative
paths and base64 data URLs of raster images (PNG, JPEG, GIF, WebP), so no ``javascript:`` or
SVG document gets into an attribute.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

MAX_DEPTH = 12
DATA_URL_RE = re.compile(r"data:image/(?:png|jpe?g|gif|webp);base64,[A-Za-z0-9+/=\s]+")
IMAGE_KEY_WORDS = ("photo", "signature", "image")
FILE_REF_KEYS = {"url", "is_cloud", "saved", "path"}


def safe_link_url(url: str) -> bool:
    """An http(s) URL or a path on this site; nothing that could run script."""
    if not isinstance(url, str) or not url or any(character in url for character in "\r\n\t"):
        return False
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc)
    return not parts.scheme and url.startswith("/") and not url.startswith("//")


def image(url: str, label: str = "") -> SafeString:
    """A thumbnail linking to the full image; plain escaped text when the URL is not safe to show."""
    if DATA_URL_RE.fullmatch(url):
        return format_html(
            '<img src="{}" alt="{}" class="injaaz-thumb" style="max-height:90px;background:#fff">', url, label
        )
    if safe_link_url(url):
        return format_html(
            '<a href="{}" target="_blank" rel="noopener noreferrer">'
            '<img src="{}" alt="{}" loading="lazy" class="injaaz-thumb" style="max-height:90px"></a>',
            url,
            url,
            label,
        )
    return format_html("<code>{}</code>", url)


def _is_file_ref(value: dict[str, Any]) -> bool:
    return isinstance(value.get("url"), str) and len(FILE_REF_KEYS & value.keys()) >= 2


def _looks_like_image(key: str, value: str) -> bool:
    if DATA_URL_RE.fullmatch(value):
        return True
    return any(word in key.lower() for word in IMAGE_KEY_WORDS) and safe_link_url(value)


def render_tree(value: Any, key: str = "", depth: int = 0) -> SafeString:
    """``value`` (a JSON document) as nested tables and lists, every text escaped."""
    if depth > MAX_DEPTH:
        return format_html("<code>{}</code>", json.dumps(value, ensure_ascii=False)[:2000])
    if isinstance(value, dict):
        if _is_file_ref(value):
            return image(value["url"], key)
        if not value:
            return format_html("<em>{}</em>", "(empty)")
        rows = format_html_join(
            "",
            '<tr><th style="white-space:nowrap">{}</th><td>{}</td></tr>',
            ((name, render_tree(item, str(name), depth + 1)) for name, item in value.items()),
        )
        return format_html('<table class="injaaz-form-data">{}</table>', rows)
    if isinstance(value, list):
        if not value:
            return format_html("<em>{}</em>", "(none)")
        items = format_html_join("", "<li>{}</li>", ((render_tree(item, key, depth + 1),) for item in value))
        return format_html('<ol class="injaaz-form-data">{}</ol>', items)
    if value is None or value == "":
        return format_html("<em>{}</em>", "—")
    if isinstance(value, bool):
        return format_html("{}", "yes" if value else "no")
    if isinstance(value, str) and _looks_like_image(key, value):
        return image(value, key)
    return format_html('<span style="white-space:pre-wrap">{}</span>', value)
