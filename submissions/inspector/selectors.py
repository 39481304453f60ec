"""Reads for the inspector forms: the HVAC taxonomy, in the old ``dropdown_data.json`` shape.

Every HVAC form, submit and schema request needs the taxonomy, and staff edit it rarely, so each
process keeps it for up to ``INJAAZ_TAXONOMY_CACHE_SECONDS``. An edit clears this process's copy
at once (``submissions.inspector.receivers``); other processes read it again within that time.
"""

from __future__ import annotations

from injaaz.process_cache import ProcessCache
from submissions.inspector.models import HvacDescription, HvacSystem

Taxonomy = dict[str, dict[str, list[str]]]


def hvac_taxonomy() -> Taxonomy:
    """``{asset: {system: [description, ...]}}`` of the active entries, in display order.

    Two queries when it is not cached. The answer is shared by every caller: read it, never change it.
    """
    return _cached.get()


def hvac_taxonomy_cache_clear() -> None:
    """Forget the cached taxonomy: the next reader reads the tables."""
    _cached.clear()


def _hvac_taxonomy_read() -> Taxonomy:
    taxonomy: Taxonomy = {}
    systems = HvacSystem.objects.filter(is_active=True, asset__is_active=True).select_related("asset")
    by_id: dict[int, list[str]] = {}
    for system in systems.order_by("asset__position", "asset__name", "position", "name"):
        descriptions: list[str] = []
        taxonomy.setdefault(system.asset.name, {})[system.name] = descriptions
        by_id[system.pk] = descriptions
    rows = (
        HvacDescription.objects.filter(is_active=True, system_id__in=by_id)
        .order_by("position", "text")
        .values_list("system_id", "text")
    )
    for system_id, text in rows:
        by_id[system_id].append(text)
    return taxonomy


_cached = ProcessCache(load=_hvac_taxonomy_read, seconds_setting="INJAAZ_TAXONOMY_CACHE_SECONDS")
