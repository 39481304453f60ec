"""A generated tree with every shape and every kind of bad input: summary, exit status, report, rows."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from audit.models import AuditLog
from jobs.models import Job
from submissions.models import Submission, UploadedFile
from tests.import_helpers import import_tree, snapshot
from tests.legacy_corpus import BAD_FILES, SHAPES, Corpus, add_bad_files, make_corpus

SIZE_CAP = 64 * 1024
MODULE_OF_SHAPE = {shape: shape.split("_")[0].replace("hvac", "hvac_mep") for shape in SHAPES}


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    made = make_corpus(tmp_path / "generated", 160, seed=7)
    add_bad_files(made.root, size_cap=SIZE_CAP)
    return made


def expected_summary(corpus: Corpus, *, imported: bool = True) -> list[str]:
    subs = len(corpus.submissions)
    jobs = len(corpus.jobs) - len(corpus.orphan_jobs)
    modules = Counter(MODULE_OF_SHAPE[shape] for shape in corpus.submissions.values())
    new, present = (subs, 0) if imported else (0, subs)
    new_jobs, present_jobs = (jobs, 0) if imported else (0, jobs)
    return [
        f"Submissions: {subs + 9} total, {new} imported, {present} already present, 0 conflicts, 9 failed",
        f"Jobs: {len(corpus.jobs) + 1} total, {new_jobs} imported, {present_jobs} already present, 0 conflicts, "
        f"1 failed, {len(corpus.orphan_jobs)} orphans",
        "By module: " + ", ".join(f"{module} {count}" for module, count in sorted(modules.items())),
    ]


@pytest.mark.django_db
def test_every_shape_imports_and_every_bad_file_is_reported(corpus: Corpus, tmp_path: Path, is_postgres: bool) -> None:
    report = tmp_path / "report.jsonl"
    # Real worker processes on PostgreSQL (the COPY path); in-process on SQLite.
    out, err, status = import_tree(
        corpus.root, workers=2 if is_postgres else 0, max_file_size=SIZE_CAP, report=str(report), batch_size=50
    )
    assert out == expected_summary(corpus)
    assert status == 1
    assert err == f"10 files were not imported (see {report})"

    problems = [json.loads(line) for line in report.read_text().splitlines()]
    failed = {
        Path(p["path"]).relative_to(corpus.root).as_posix(): p["reason"] for p in problems if p["kind"] == "failed"
    }
    assert set(failed) == set(BAD_FILES)
    for path, fragment in BAD_FILES.items():
        assert fragment in failed[path], (path, failed[path])
    orphans = {Path(p["path"]).stem for p in problems if p["kind"] == "orphan"}
    assert orphans == set(corpus.orphan_jobs)

    assert set(Submission.objects.values_list("submission_id", flat=True)) == set(corpus.submissions)
    linked = {job_id for job_id, submission_id in corpus.jobs.items() if submission_id}
    assert set(Job.objects.values_list("job_id", flat=True)) == linked
    shapes = Counter(
        Submission.objects.filter(submission_id=sid).values_list("module", flat=True).get() == MODULE_OF_SHAPE[shape]
        for sid, shape in corpus.submissions.items()
    )
    assert shapes == Counter({True: len(corpus.submissions)})
    assert UploadedFile.objects.filter(file_type="signature", cloudinary_url__startswith="embedded:sha256:").exists()
    assert (
        UploadedFile.objects.filter(cloudinary_url__startswith="https://res.cloudinary.com/")
        .exclude(cloudinary_public_id="")
        .exists()
    )
    # Non-ASCII text came through (the files hold it \\u-escaped).
    assert Submission.objects.filter(site_name="برج الخليفة").exists()


@pytest.mark.django_db
def test_second_run_changes_nothing(corpus: Corpus) -> None:
    import_tree(corpus.root, max_file_size=SIZE_CAP, batch_size=64)
    before = snapshot()
    out, _, status = import_tree(corpus.root, max_file_size=SIZE_CAP, batch_size=64)
    assert out == expected_summary(corpus, imported=False)
    assert status == 1  # the bad files are still bad
    assert snapshot() == before
    assert AuditLog.objects.filter(action="import_json").count() == 2


@pytest.mark.django_db
def test_dry_run_writes_nothing(corpus: Corpus) -> None:
    out, _, status = import_tree(corpus.root, max_file_size=SIZE_CAP, dry_run=True)
    assert out[0] == "Dry run: nothing was written; the counts say what an import would do."
    assert out[1:] == expected_summary(corpus)
    assert status == 1
    assert not Submission.objects.exists() and not Job.objects.exists() and not UploadedFile.objects.exists()
    assert not AuditLog.objects.exists()
    assert snapshot()["ledger"] == []


@pytest.mark.django_db
def test_clean_tree_exits_zero(tmp_path: Path) -> None:
    made = make_corpus(tmp_path / "generated", 24, seed=3)
    for orphan in made.orphan_jobs:
        (made.root / "jobs" / f"{orphan}.json").unlink()
    out, err, status = import_tree(made.root)
    assert status == 0, err
    assert out[-1] == "Every file is in the database."


@pytest.mark.django_db
def test_orphan_jobs_are_reported_but_do_not_fail_the_run(tmp_path: Path) -> None:
    root = tmp_path / "generated"
    (root / "submissions").mkdir(parents=True)
    (root / "jobs").mkdir()
    job = {
        "job_id": "job_0000000000aa",
        "state": "done",
        "progress": 100,
        "results": {},
        "meta": {"submission_id": "sub_0000000000bb"},
    }
    (root / "jobs" / "job_0000000000aa.json").write_text(json.dumps(job))
    report = tmp_path / "report.jsonl"
    out, _, status = import_tree(root, report=str(report))
    assert out[1] == "Jobs: 1 total, 0 imported, 0 already present, 0 conflicts, 0 failed, 1 orphans"
    assert status == 0
    line = json.loads(report.read_text())
    assert line == {
        "path": str(root / "jobs" / "job_0000000000aa.json"),
        "reason": "orphan job: its submission sub_0000000000bb is not in the tree or the database",
        "kind": "orphan",
    }


@pytest.mark.django_db
def test_a_job_whose_submission_is_already_in_the_database_is_linked(tmp_path: Path) -> None:
    made = make_corpus(tmp_path / "generated", 8, seed=11)
    import_tree(made.root)
    job_id, submission_id = next((j, s) for j, s in made.jobs.items() if s)
    Job.objects.filter(job_id=job_id).delete()
    (made.root / "jobs" / f"{job_id}.json").write_text(
        (made.root / "jobs" / f"{job_id}.json").read_text().replace(" ", "  ")  # new bytes, same content
    )
    out, _, _ = import_tree(made.root)
    assert out[1].startswith(f"Jobs: {len(made.jobs)} total, 1 imported,")
    assert Job.objects.get(job_id=job_id).submission.submission_id == submission_id


def test_corpus_covers_every_shape_the_parser_knows(tmp_path: Path) -> None:
    from submissions.legacy.files import read_json_file
    from submissions.legacy.normalize import SHAPES as PARSER_SHAPES
    from submissions.legacy.normalize import normalize_submission

    made = make_corpus(tmp_path / "generated", len(SHAPES) * 2, seed=5)
    shapes = {
        normalize_submission(read_json_file(path), stem=path.stem).shape
        for path in (made.root / "submissions").glob("*.json")
    }
    assert shapes == set(PARSER_SHAPES)
    assert set(made.submissions.values()) == set(SHAPES)
    data: dict[str, Any] = {}
    for path in (made.root / "jobs").glob("*.json"):
        data[path.stem] = json.loads(path.read_text())
    assert {type(job["results"]).__name__ for job in data.values()} >= {"dict", "list"}
