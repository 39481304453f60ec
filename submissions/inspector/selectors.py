"""Reads for the inspector forms: the HVAC taxonomy, in the old ``dropdown_data.json`` shape."""

from __future__ import annotations

from submissions.inspector.models import HvacDescription, HvacSystem

Taxonomy = dict[str, dict[str, list[str]]]


def hvac_taxonomy() -> Taxonomy:
    """``{asset: {system: [description, ...]}}`` of the active entries, in display order (2 queries)."""
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
