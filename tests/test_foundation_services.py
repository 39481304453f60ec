"""``submission_create`` writes the submission and its audit row together, or neither."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditLog
from submissions.models import Submission
from submissions.services import submission_create


@pytest.mark.django_db
def test_submission_and_audit_row_are_written_together(inspector: Any) -> None:
    submission = submission_create(
        actor=inspector,
        module="civil",
        form_data={"project_name": "Villa", "visit_date": "2025-12-20"},
        submitted_by_ip="10.0.0.1",
    )
    entry = AuditLog.objects.get()
    assert (entry.action, entry.resource_type, entry.resource_id) == ("submit_form", "submission", submission.pk)
    assert entry.user == inspector
    assert entry.details == {"submission_id": submission.submission_id, "module": "civil"}
    assert submission.user == inspector
    # The columns derive from the document by the module's declaration (one rule, docs/MODULES.md).
    assert (submission.site_name, str(submission.visit_date)) == ("Villa", "2025-12-20")


@pytest.mark.django_db
def test_invalid_submission_writes_nothing(inspector: Any) -> None:
    with pytest.raises(ValidationError):
        submission_create(actor=inspector, module="garden", form_data={})
    assert Submission.objects.count() == 0
    assert AuditLog.objects.count() == 0


@pytest.mark.django_db
def test_audit_failure_rolls_back_the_submission(inspector: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr("submissions.services.audit_record", broken)
    with pytest.raises(RuntimeError):
        submission_create(actor=inspector, module="civil", form_data={"project_name": "P"})
    assert Submission.objects.count() == 0
