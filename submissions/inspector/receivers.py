"""Clears the cached HVAC taxonomy whenever one of its rows is saved or deleted in this process
(the admin, ``load_hvac_descriptions``, the shell), so an edit shows on the next form here."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from submissions.inspector.models import HvacAsset, HvacDescription, HvacSystem
from submissions.inspector.selectors import hvac_taxonomy_cache_clear


@receiver([post_save, post_delete], sender=HvacAsset, dispatch_uid="inspector.taxonomy_asset_changed")
@receiver([post_save, post_delete], sender=HvacSystem, dispatch_uid="inspector.taxonomy_system_changed")
@receiver([post_save, post_delete], sender=HvacDescription, dispatch_uid="inspector.taxonomy_description_changed")
def taxonomy_changed(sender: Any, **kwargs: Any) -> None:
    hvac_taxonomy_cache_clear()
