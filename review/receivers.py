"""Clears the cached review stages whenever a stage is saved or deleted in this process (the
admin, a data migration run here), so new submits here start at the stage as it now is."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from review.models import ReviewStage
from review.selectors import review_stages_cache_clear


@receiver([post_save, post_delete], sender=ReviewStage, dispatch_uid="review.stages_changed")
def stages_changed(sender: Any, **kwargs: Any) -> None:
    review_stages_cache_clear()
