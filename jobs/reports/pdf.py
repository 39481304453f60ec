"""The PDF report of a submission: WeasyPrint from ``templates/reports/report.html``.

Images reach WeasyPrint only through ``injaaz-asset:`` URLs served from memory by
``AssetFetcher``, which refuses every other URL: a report never makes a network request, so
nothing a user typed can make the worker fetch anything. Fonts come from the system's
fontconfig (Noto Sans and Noto Sans Arabic / Naskh Arabic; installed by ``bin/system-packages``), so Arabic and
other non-Latin text is shaped by Pango/HarfBuzz.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from jobs.reports.content import PhotoView, ReportContent, SignatureView
from jobs.reports.images import PreparedImage, prepare_image

ASSET_SCHEME = "injaaz-asset:"


class AssetFetcher(URLFetcher):
    """Serves the report's prepared images from memory; every other URL is refused."""

    def __init__(self, assets: dict[str, PreparedImage]) -> None:
        super().__init__(allowed_protocols=[])
        self.assets = assets

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith(ASSET_SCHEME):
            asset = self.assets.get(url[len(ASSET_SCHEME) :])
            if asset is not None:
                return URLFetcherResponse(url, asset.data, {"Content-Type": asset.mime_type})
        raise ValueError("reports load no external resources")


@dataclass(frozen=True)
class _Figure:
    src: str
    number: int
    caption: str


def _figures(photos: list[PhotoView], assets: dict[str, PreparedImage]) -> list[_Figure]:
    figures = []
    for photo in photos:
        src = ""
        if photo.image is not None:
            key = f"p{photo.number}"
            assets[key] = photo.image
            src = ASSET_SCHEME + key
        figures.append(_Figure(src, photo.number, f"Photo {photo.number}"))
    return figures


def _signature(signature: SignatureView, index: int, assets: dict[str, PreparedImage]) -> dict[str, Any]:
    src = ""
    if signature.image is not None:
        key = f"s{index}"
        assets[key] = signature.image
        src = ASSET_SCHEME + key
    return {"label": signature.label, "person": signature.person, "present": signature.present, "src": src}


def _approvals(
    approvals: Any, open_file: Callable[[str], bytes | None] | None, assets: dict[str, PreparedImage]
) -> dict[str, Any] | None:
    """The approval page's rows (``review.selectors.ReportApprovals``), signatures as assets."""
    if approvals is None:
        return None
    rows = []
    for index, entry in enumerate(approvals.entries):
        src = ""
        raw = open_file(entry.signature_name) if entry.signature_name and open_file is not None else None
        image = prepare_image(raw, signature=True) if raw else None
        if image is not None:
            assets[f"a{index}"] = image
            src = f"{ASSET_SCHEME}a{index}"
        rows.append({"entry": entry, "src": src, "time": entry.decided_at.strftime("%Y-%m-%d %H:%M UTC")})
    return {"version": approvals.version, "state": approvals.state_label, "rows": rows}


def build_pdf(
    content: ReportContent, *, approvals: Any = None, open_file: Callable[[str], bytes | None] | None = None
) -> bytes:
    """The PDF's bytes (A4). ``approvals`` (a ``review.selectors.ReportApprovals``) adds the
    approval page and the version; ``open_file`` reads a signature from storage by name."""
    assets: dict[str, PreparedImage] = {}
    items = [
        {"title": item.title, "rows": item.rows, "figures": _figures(item.photos, assets)} for item in content.items
    ]
    context = {
        "content": content,
        "layout": content.layout,
        "items": items,
        "general_figures": _figures(content.general_photos, assets),
        "signatures": [_signature(signature, index, assets) for index, signature in enumerate(content.signatures)],
        "generated": content.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "approvals": _approvals(approvals, open_file, assets),
    }
    html = render_to_string("reports/report.html", context)
    document = HTML(string=html, url_fetcher=AssetFetcher(assets))
    pdf = document.write_pdf()
    assert pdf is not None
    return bytes(pdf)
