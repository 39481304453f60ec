"""Reads of submissions shared by views, admin and commands."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from submissions.models import Submission


def submission_list(*, user: Any) -> QuerySet[Submission]:
    """The submissions ``user`` may see: all for supervisors and staff, their own otherwise."""
    queryset = Submission.objects.select_related("user")
    if user is None or not user.is_authenticated:
        return queryset.none()
    if user.sees_all_submissions:
        return queryset
    return queryset.filter(user=user)


def can_view_submission(user: Any, submission: Submission) -> bool:
    """The one permission rule for reading or downloading a submission."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.sees_all_submissions or submission.user_id == user.pk)
