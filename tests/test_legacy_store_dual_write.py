"""Dual write is all-or-nothing: real commits, real files, and faults injected at each step.

These tests commit for real (``transaction=True``), so a commit failure is a real one: a
deferred foreign key that PostgreSQL and SQLite check only at COMMIT.
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from audit.models import AuditLog
from submissions.legacy import store
from submissions.legacy.files import LegacyTree
from submissions.models import Submission, UploadedFile
from submissions.router import storage_atomic
from tests.legacy_store_helpers import create, legacy_dir, read

__all__ = ["legacy_dir"]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def dual(legacy_dir: Path, settings: Any) -> LegacyTree:
    settings.INJAAZ_STORAGE_PHASE = "dual"
    return LegacyTree(legacy_dir)


def everything_in(folder: Path) -> list[str]:
    """Every entry, hidden staged/temporary files included."""
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def violate_a_deferred_foreign_key() -> None:
    """A row whose foreign key is only checked at COMMIT: the commit of the block will fail."""
    UploadedFile.objects.create(submission_id=987654321, cloudinary_url="https://example.com/x.jpg")


def test_both_written_on_commit(dual: LegacyTree, inspector: Any) -> None:
    submission = create("hvac_mep", actor=inspector)
    path = dual.submission_path(submission.submission_id)
    assert read(path) == Submission.objects.get().form_data == submission.form_data
    assert everything_in(dual.submissions_dir) == [path.name]


def test_file_write_fails_so_the_transaction_rolls_back(dual: LegacyTree, inspector: Any) -> None:
    # A real failure: the submissions folder cannot be created because a file is in the way.
    dual.root.joinpath("submissions").write_text("not a folder")
    with pytest.raises(OSError, match=r"Not a directory|File exists"):
        create("hvac_mep", actor=inspector)
    assert Submission.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_fsync_fails_so_the_transaction_rolls_back(
    dual: LegacyTree, inspector: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_error(descriptor: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("submissions.legacy.files.os.fsync", disk_error)
    with pytest.raises(OSError, match="Input/output error"):
        create("civil", actor=inspector)
    assert Submission.objects.count() == 0
    assert AuditLog.objects.count() == 0
    assert everything_in(dual.submissions_dir) == []  # not even a temporary file left


def test_commit_fails_after_the_file_is_written_so_the_file_is_removed(dual: LegacyTree, inspector: Any) -> None:
    with pytest.raises(IntegrityError), storage_atomic():
        submission = create("cleaning", actor=inspector)
        staged = everything_in(dual.submissions_dir)
        assert len(staged) == 1 and staged[0].endswith(".staged")  # written, fsynced, not yet visible
        assert not dual.submission_path(submission.submission_id).exists()
        violate_a_deferred_foreign_key()
    assert Submission.objects.count() == 0
    assert UploadedFile.objects.count() == 0
    assert AuditLog.objects.count() == 0
    assert everything_in(dual.submissions_dir) == []


def test_commit_fails_under_a_plain_atomic_block_the_file_never_appears(dual: LegacyTree, inspector: Any) -> None:
    """A caller using transaction.atomic instead of storage_atomic still gets all-or-nothing;
    the hidden staged file is what is left, and sweep_staged removes it."""
    with pytest.raises(IntegrityError), transaction.atomic():
        submission = create("hvac_mep", actor=inspector)
        violate_a_deferred_foreign_key()
    assert Submission.objects.count() == 0
    assert not dual.submission_path(submission.submission_id).exists()
    leftovers = everything_in(dual.submissions_dir)
    assert len(leftovers) == 1 and leftovers[0].startswith(".") and leftovers[0].endswith(".staged")

    import datetime as dt

    assert store.sweep_staged(older_than=dt.timedelta(hours=1)) == store.Sweep()  # too recent to be abandoned
    swept = store.sweep_staged(older_than=dt.timedelta(0))
    assert ([path.name for path in swept.removed], swept.kept) == (leftovers, [])
    assert everything_in(dual.submissions_dir) == []


def test_an_audit_failure_rolls_back_row_and_file(
    dual: LegacyTree, inspector: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr("submissions.services.audit_record", broken)
    with pytest.raises(RuntimeError, match="audit store down"):
        create("hvac_mep", actor=inspector)
    assert Submission.objects.count() == 0
    assert everything_in(dual.submissions_dir) == []


def test_a_rolled_back_savepoint_drops_its_file_and_keeps_the_rest(dual: LegacyTree, inspector: Any) -> None:
    with storage_atomic():
        kept = create("hvac_mep", actor=inspector)
        with pytest.raises(RuntimeError, match="changed my mind"), storage_atomic():
            create("civil", actor=inspector)
            raise RuntimeError("changed my mind")
    assert list(Submission.objects.values_list("submission_id", flat=True)) == [kept.submission_id]
    assert everything_in(dual.submissions_dir) == [f"{kept.submission_id}.json"]


def test_commit_succeeds_but_a_later_commit_hook_fails_the_file_is_still_published(
    dual: LegacyTree, inspector: Any
) -> None:
    def failing_hook() -> None:
        raise RuntimeError("mail server down")

    with pytest.raises(RuntimeError, match="mail server down"), storage_atomic():
        transaction.on_commit(failing_hook)  # runs before the file's own hook and aborts the rest
        submission = create("civil", actor=inspector)
    assert Submission.objects.filter(submission_id=submission.submission_id).exists()
    assert read(dual.submission_path(submission.submission_id)) == submission.form_data
    assert everything_in(dual.submissions_dir) == [f"{submission.submission_id}.json"]


def test_publishing_fails_after_commit_the_staged_copy_is_kept_and_reported(
    dual: LegacyTree, inspector: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The row is committed; the file could not be renamed into place. The staged copy stays for
    reconciliation and the error names both paths (docs/LEGACY_STORE.md)."""

    real_replace = os.replace

    def no_publishing_rename(source: Any, target: Any) -> None:
        if str(target).endswith(".json"):  # staging still works; putting in place does not
            raise OSError(errno.EROFS, "Read-only file system")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", no_publishing_rename)
    with caplog.at_level(logging.ERROR, logger="submissions.legacy.store"):
        submission = create("hvac_mep", actor=inspector)
    assert Submission.objects.filter(submission_id=submission.submission_id).exists()
    final = dual.submission_path(submission.submission_id)
    assert not final.exists()
    [staged] = everything_in(dual.submissions_dir)
    assert read(dual.submissions_dir / staged) == submission.form_data
    assert str(final) in caplog.text and staged in caplog.text
    assert "kept for reconciliation" in caplog.text


def test_json_phase_writes_the_file_and_the_audit_row_together(legacy_dir: Path, settings: Any, inspector: Any) -> None:
    settings.INJAAZ_STORAGE_PHASE = "json"
    tree = LegacyTree(legacy_dir)
    with pytest.raises(IntegrityError), storage_atomic():
        create("hvac_mep", actor=inspector)
        violate_a_deferred_foreign_key()
    assert everything_in(tree.submissions_dir) == []
    assert AuditLog.objects.count() == 0

    submission = create("hvac_mep", actor=inspector)
    assert Submission.objects.count() == 0
    assert read(tree.submission_path(submission.submission_id)) == submission.form_data
    entry = AuditLog.objects.get()
    assert (entry.action, entry.resource_id, entry.details) == (
        "submit_form",
        None,
        {"submission_id": submission.submission_id, "module": "hvac_mep"},
    )


def test_submission_save_on_its_own_is_all_or_nothing_too(dual: LegacyTree, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside any transaction (autocommit) the router opens its own block: no row without its file."""
    from submissions.router import submission_save
    from tests.legacy_store_helpers import hvac_document

    def disk_error(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr("submissions.legacy.files.os.fsync", disk_error)
        with pytest.raises(OSError, match="No space left"):
            submission_save(Submission(module="hvac_mep", form_data=hvac_document()))
    assert Submission.objects.count() == 0
    assert everything_in(dual.submissions_dir) == []

    saved = Submission(module="hvac_mep", form_data=hvac_document())
    submission_save(saved)
    assert read(dual.submission_path(saved.submission_id)) == Submission.objects.get().form_data
