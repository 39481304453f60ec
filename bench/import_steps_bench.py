#!/usr/bin/env python
"""What PostgreSQL spends per submission on the importer's direct path, statement by statement.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/injaaz .venv/bin/python bench/import_steps_bench.py \\
        [-n 20000] [--corpus DIR] [--without-secondary-indexes] [--drop-index NAME ...]

Creates its own database ``<DATABASE_URL's name>_import_steps`` beside the one ``DATABASE_URL``
names (dropped at the end), migrates it, parses the first ``-n`` submission files of a corpus (and
stages every job file) in this process, then writes them in batches of 1,000 through
``submissions.importer.direct.copy_new`` on one connection, one transaction per batch, timing each
statement from the client and the commit (where the deferred foreign keys are checked). Prints
microseconds per submission for each. ``--without-secondary-indexes`` first drops the indexes of
``submissions`` that are neither its primary key nor unique, and ``--drop-index NAME`` (repeatable)
the indexes named, to show what they cost. Last, the same ``form_data`` documents alone are copied
into a table of one ``text`` column and into one of one ``jsonb`` column: what turning the text into
``jsonb`` costs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from import_bench import _admin, _env, _manage  # noqa: E402 - the sibling bench's database helpers

BATCH = 1000


class TimedCursor:
    """The part of a psycopg cursor ``copy_new`` uses, timing each statement by its first words."""

    def __init__(self, cursor: Any, totals: dict[str, float]) -> None:
        self.cursor = cursor
        self.totals = totals

    def _label(self, statement: str) -> str:
        words = " ".join(statement.split())
        if words.startswith("WITH taken AS ( DELETE"):
            return "move the batch's jobs into jobs and the ledger"
        if words.startswith("SELECT CASE WHEN EXISTS"):
            return "check the ids, reserve row ids"
        return words[:40]

    def execute(self, statement: str, params: Any = None) -> Any:
        started = time.perf_counter()
        result = self.cursor.execute(statement, params)
        self.totals[self._label(statement)] += time.perf_counter() - started
        return result

    def fetchone(self) -> Any:
        return self.cursor.fetchone()

    def fetchall(self) -> Any:
        return self.cursor.fetchall()

    def copy(self, statement: str) -> Any:
        outer = self

        class _Timed:
            def __enter__(self) -> Any:
                self.started = time.perf_counter()
                self.inner = outer.cursor.copy(statement)
                return self.inner.__enter__()

            def __exit__(self, *exc: Any) -> Any:
                result = self.inner.__exit__(*exc)
                label = statement.split("(")[0].strip()
                outer.totals[label] += time.perf_counter() - self.started
                return result

        return _Timed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20_000, help="submission files to write (default 20000)")
    parser.add_argument("--corpus", type=Path, help="an existing legacy tree (default: generate one)")
    parser.add_argument("--without-secondary-indexes", action="store_true")
    parser.add_argument("--drop-index", action="append", default=[], metavar="NAME", help="drop this index first")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (a separate database is created on it)")
    base, _, name = url.rpartition("/")
    admin_url, bench_name = f"{base}/postgres", f"{name}_import_steps"
    bench_url = f"{base}/{bench_name}"
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}"')
    _admin(admin_url, f'CREATE DATABASE "{bench_name}"')
    corpus = args.corpus or Path(tempfile.mkdtemp(prefix="injaaz-steps-bench-"))
    try:
        migrated = _manage(bench_url, "migrate", "--noinput", "-v0")
        if migrated.returncode:
            raise SystemExit(migrated.stderr)
        os.environ.update(_env(bench_url))
        import django

        django.setup()
        import psycopg

        from submissions.importer import direct
        from submissions.importer.outcomes import FileKind
        from submissions.importer.pool import Chunk
        from submissions.importer.worker import WorkerConfig, process_chunk
        from tests.legacy_corpus import make_corpus

        if not (corpus / "submissions").is_dir():
            make_corpus(corpus, args.n)
        config = WorkerConfig(root=str(corpus), size_cap=5 * 1024 * 1024, copy_format=True)
        subs = sorted(os.listdir(corpus / "submissions"))[: args.n]
        jobs = sorted(os.listdir(corpus / "jobs"))
        batches = []
        for start in range(0, len(subs), BATCH):
            chunk: Chunk = [(f"submissions/{name}", None) for name in subs[start : start + BATCH]]
            batches.append(
                sorted(process_chunk(FileKind.SUBMISSION, chunk, config).parsed, key=lambda s: s.submission_id)
            )
        written = sum(len(batch) for batch in batches)

        with psycopg.connect(bench_url, autocommit=True) as connection, connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
            direct.session_setup(cursor)
            for index in args.drop_index:
                cursor.execute(f'DROP INDEX "{index}"')
            if args.without_secondary_indexes:
                cursor.execute(
                    "SELECT indexrelid::regclass::text FROM pg_index "
                    "WHERE indrelid = 'submissions'::regclass AND NOT indisunique AND NOT indisprimary"
                )
                for (index,) in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {index}")
            cursor.execute(direct.STAGED_JOBS_TABLE)
            for start in range(0, len(jobs), 5 * BATCH):
                chunk = [(f"jobs/{name}", None) for name in jobs[start : start + 5 * BATCH]]  # same type as above
                direct.stage_jobs(cursor, process_chunk(FileKind.JOB, chunk, config).parsed, connection.transaction)
            cursor.execute(f"ANALYZE {direct.STAGED_JOBS}")
            cursor.execute("CHECKPOINT")

            totals: dict[str, float] = defaultdict(float)
            timed = TimedCursor(cursor, totals)
            started = time.perf_counter()
            for batch in batches:
                with connection.transaction():
                    direct.copy_new(timed, batch, upsert_jobs=False)  # type: ignore[arg-type]
                    committing = time.perf_counter()
                totals["commit (deferred foreign-key checks)"] += time.perf_counter() - committing
            elapsed = time.perf_counter() - started

            # form_data alone: the worker's last field of each row (already in COPY text format).
            documents = b"".join(item.copy_row.split(b"\t", 12)[12] for batch in batches for item in batch)
            form_data: dict[str, float] = {}
            for column in ("text", "jsonb"):
                cursor.execute("DROP TABLE IF EXISTS bench_form_data")
                cursor.execute(f"CREATE TABLE bench_form_data (form_data {column})")
                cursor.execute("CHECKPOINT")
                copied = time.perf_counter()
                with connection.transaction(), cursor.copy("COPY bench_form_data FROM STDIN") as copy:
                    copy.write(documents)
                form_data[column] = time.perf_counter() - copied
            cursor.execute("DROP TABLE bench_form_data")

        dropped = (["the secondary indexes of submissions"] if args.without_secondary_indexes else []) + args.drop_index
        without = f" (without {', '.join(dropped)})" if dropped else ""
        print(
            f"{written} submissions in {len(batches)} batches{without}; "
            f"microseconds per submission, timed from the client:"
        )
        for label, seconds in sorted(totals.items(), key=lambda item: -item[1]):
            print(f"  {seconds / written * 1e6:7.1f}  {label}")
        print(f"  {elapsed / written * 1e6:7.1f}  in all (the rest: building the rows in Python)")
        text, jsonb = (form_data[column] / written * 1e6 for column in ("text", "jsonb"))
        print(
            f"form_data alone, COPY into a one-column table: as text {text:.1f}, as jsonb {jsonb:.1f} "
            f"microseconds per submission (turning the text into jsonb: {jsonb - text:.1f})"
        )
    finally:
        if not args.corpus:
            shutil.rmtree(corpus, ignore_errors=True)
        from django.db import connections

        connections.close_all()
        _admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}"')


if __name__ == "__main__":
    main()
