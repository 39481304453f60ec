"""Reads of submissions shared by views, admin and commands."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from review.selectors import reviewer_can_view
from submissions.legacy.normalize import normalize_submission
from submissions.legacy.records import LegacyFormatError, NormalizedSubmission
from submissions.models import FileType, Submission, UploadedFile


def submission_list(*, user: Any) -> QuerySet[Submission]:
    """The submissions ``user`` may see: all for supervisors and staff, their own otherwise."""
    queryset = Submission.objects.select_related("user")
    if user is None or not user.is_authenticated:
        return queryset.none()
    if user.sees_all_submissions:
        return queryset
    return queryset.filter(user=user)


def can_view_submission(user: Any, submission: Submission) -> bool:
    """The one permission rule for reading or downloading a submission: staff and supervisors see
    every one, an inspector their own, a reviewer those at or past their review stages."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.sees_all_submissions or (submission.user_id is not None and submission.user_id == user.pk):
        return True
    return reviewer_can_view(user, submission)


def submission_for_client_key(client_key: str) -> Submission | None:
    """The submission created with this idempotency key, if any."""
    return Submission.objects.select_related("user").filter(client_key=client_key).first()


def _photos_usable(user: Any, replay_of: Submission | None) -> QuerySet[UploadedFile]:
    usable = Q(uploaded_by=user, submission__isnull=True)
    if replay_of is not None and replay_of.pk is not None and replay_of.user_id == user.pk:
        # A replayed submit names the photos its first request claimed.
        usable |= Q(submission=replay_of)
    return UploadedFile.objects.filter(usable, file_type=FileType.PHOTO)


def photos_waiting(*, user: Any, ids: Iterable[int], replay_of: Submission | None = None) -> dict[int, UploadedFile]:
    """``user``'s uploaded photos with these ids that no submission has claimed yet, by id
    (and those of ``replay_of``, the submission a replayed request already created)."""
    wanted = {int(pk) for pk in ids}
    if not wanted or user is None or not user.is_authenticated:
        return {}
    return {row.pk: row for row in _photos_usable(user, replay_of).filter(pk__in=wanted)}


def photo_waiting_by_url(*, user: Any, url: str, replay_of: Submission | None = None) -> UploadedFile | None:
    """One of ``user``'s waiting photos by the URL the upload route answered (legacy clients)."""
    if user is None or not user.is_authenticated:
        return None
    return _photos_usable(user, replay_of).filter(cloudinary_url=url).order_by("id").first()


def stored_file_get(*, user: Any, name: str) -> UploadedFile | None:
    """The stored file ``name`` if ``user`` may see it (its submission's rule; a waiting photo: its uploader)."""
    row = UploadedFile.objects.select_related("submission__user").filter(storage_name=name).first()
    if row is None or user is None or not user.is_authenticated or not user.is_active:
        return None
    if row.submission is not None:
        return row if can_view_submission(user, row.submission) else None
    return row if (row.uploaded_by_id == user.pk or user.sees_all_submissions) else None


def submission_record(submission: Submission) -> NormalizedSubmission:
    """The submission's document as the legacy parser reads it, whatever shape it has (the reports
    and the submission pages read this).

    Injaaz's own id is the truth: a document without an id, or one whose inner id differs (the
    old app's database era wrote such rows, FORMAT.md §8), is read with the row's id put in.
    """
    document = submission.form_data
    if not isinstance(document, dict):
        raise LegacyFormatError("the submission's form_data is not a JSON object")
    try:
        return normalize_submission(document, stem=submission.submission_id, module_hint=submission.module)
    except LegacyFormatError as error:
        patched = dict(document)
        for key in ("id", "submission_id"):
            if key in patched or key == _id_key(document):
                patched[key] = submission.submission_id
        try:
            record = normalize_submission(patched, stem=submission.submission_id, module_hint=submission.module)
        except LegacyFormatError:
            raise error from None
        record.warnings.append(f"read with the submission's own id: {error}")
        return record


def _id_key(document: dict[str, Any]) -> str:
    if isinstance(document.get("fields"), dict) or isinstance(document.get("work_items"), list):
        return "id"
    return "submission_id"
