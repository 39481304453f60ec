"""Submitting an inspection: from validated forms to one ``submission_create`` call.

Both the browser forms and the legacy JSON routes end here, so they share idempotency and
the storage failure handling:

1. Signatures are put in storage (photos are already there, waiting). If the storage fails,
   ``StorageFailedError`` is raised and nothing is written: the inspector submits again.
2. ``submission_create`` writes the submission, claims the photos, writes the signature rows and
   the audit row in one transaction. If it fails, the signatures just stored are removed again.
3. The client key is unique in the database, so a key used before makes that transaction fail
   (nothing is written) and only then is it looked up: the same key with the same content is a
   replay (the existing submission is answered again); with other content, or from another
   user, a ``SubmissionConflictError`` (HTTP 409). A new key, the common case, costs no look-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError

from submissions.ids import new_submission_id
from submissions.inspector.documents import Draft, Item, content_hash
from submissions.inspector.forms import InspectionForm, kept_items
from submissions.models import FileType, Submission, UploadedFile
from submissions.selectors import submission_for_client_key
from submissions.services import submission_create
from submissions.uploads import file_store, stored_files_discard, uploaded_file_build


class SubmissionConflictError(Exception):
    """The client key was already used for different content (or by someone else)."""

    def __init__(self, existing: Submission | None) -> None:
        super().__init__("This form's key was already used for a different submission.")
        self.existing = existing


@dataclass(frozen=True)
class SubmitOutcome:
    submission: Submission
    created: bool


def draft_from_forms(
    form: InspectionForm,
    formset: Any,
    *,
    base_url: str,
    photos: Sequence[UploadedFile] | None = None,
) -> Draft:
    """The draft of validated forms (``photos``: a legacy client's photos of no item, added to the form's)."""
    return Draft(
        declaration=form.declaration,
        fields=form.values(),
        items=[Item(values=item.values(), photos=item.photos) for item in kept_items(formset)],
        photos=[*form.photos, *(photos or [])],
        signatures=form.signatures(),
        base_url=base_url,
    )


def _replay(existing: Submission, *, actor: Any, digest: str) -> SubmitOutcome:
    if (
        existing.user_id is not None
        and existing.user_id == getattr(actor, "pk", None)
        and existing.content_hash == digest
    ):
        return SubmitOutcome(existing, created=False)
    same_owner = existing.user_id == getattr(actor, "pk", None)
    raise SubmissionConflictError(existing if same_owner else None)


def inspection_submit(*, actor: Any, draft: Draft, client_key: str | None, submitted_by_ip: str = "") -> SubmitOutcome:
    """Create the submission for ``draft`` (see the module docstring for the steps)."""
    digest = content_hash(draft.content())
    stored: list[str] = []
    try:
        signature_rows: dict[str, UploadedFile | None] = {}
        for key, signature in draft.signatures.items():
            if signature is None:
                signature_rows[key] = None
                continue
            name = file_store(data=signature.image.data, folder="signatures", extension=signature.image.extension)
            stored.append(name)
            signature_rows[key] = uploaded_file_build(
                prepared=signature.image,
                name=name,
                file_type=FileType.SIGNATURE,
                original_filename=f"{key}.{signature.image.extension}",
                uploaded_by=actor,
            )
        submission_id = new_submission_id()
        submission = submission_create(
            actor=actor,
            module=draft.module,
            form_data=draft.document(submission_id=submission_id, signatures=signature_rows),
            submission_id=submission_id,
            submitted_by_ip=submitted_by_ip,
            files=[*draft.all_photos(), *(row for row in signature_rows.values() if row is not None)],
            client_key=client_key or None,
            content_hash=digest,
        )
    except (IntegrityError, ValidationError):
        stored_files_discard(stored)
        existing = submission_for_client_key(client_key) if client_key else None
        if existing is not None:  # a concurrent request with the same key won the race
            return _replay(existing, actor=actor, digest=digest)
        raise
    except BaseException:
        stored_files_discard(stored)
        raise
    return SubmitOutcome(submission, created=True)
