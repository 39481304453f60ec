#!/usr/bin/env python
"""Benchmark ``import_json`` against its floor and the migration plan's per-file loop.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/injaaz .venv/bin/python bench/import_bench.py [-n 100000]

It never touches the database DATABASE_URL names: it creates ``<name>_import_bench`` beside it
(dropped at the end unless ``--keep-db``), migrates it, and generates a synthetic legacy tree of
``-n`` submission files (every shape, see ``tests.legacy_corpus``) unless ``--corpus``
points at one already made. Then, against the same PostgreSQL, in one run:

1. the floor: read, parse and normalise every file in ``--workers`` processes, producing the
   rows the importer writes, then a bare ``COPY`` of those rows into plain tables (no index, no
   constraint, no conflict handling);
2. ``manage.py import_json`` in a subprocess (its wall time, and peak memory of the importer
   and of the importer with its workers, sampled from /proc);
3. the same command again on the imported tree (the re-run: files the ledger's quick check finds
   unmodified are not read), and once more with ``--rehash`` (every file read and hashed);
4. the plan's per-file loop over the same submission files (for each: read, look the id up,
   insert, commit), on a fresh database, over ``--loop-limit`` files (default: all).

It prints files/s for each, the ratios and the targets of issue 4.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _bench_url(url: str) -> tuple[str, str, str]:
    """(admin URL on the same server, bench database name, bench database URL)."""
    import dj_database_url

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit("DATABASE_URL must point at PostgreSQL")
    name = f"{config['NAME']}_import_bench"
    base, _, _ = url.rpartition("/")
    return f"{base}/postgres", name, f"{base}/{name}"


def _admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def _env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="injaaz.settings",
        SECRET_KEY=env.get("SECRET_KEY") or "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        DEBUG="1",
    )
    return env


def _manage(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=_env(database_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def _tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    total = 0
    pending = [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * page
            with open(f"/proc/{current}/task/{current}/children") as handle:
                pending += [int(child) for child in handle.read().split()]
        except (OSError, ValueError):
            continue
    return total


def _own_rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _warm(corpus: Path) -> str:
    """Read every submission and job file, so that the step measured next reads the page cache."""
    started = time.perf_counter()
    warmed = 0
    for folder in ("jobs", "submissions"):
        for entry in os.scandir(corpus / folder):
            with open(entry.path, "rb") as handle:
                warmed += len(handle.read())
    return f"{warmed / 1e6:.0f} MB read in {time.perf_counter() - started:.1f} s"


def _cpu_reference() -> float:
    """Seconds for a fixed pure-Python loop: how fast this machine's cores are, next to other runs."""
    started = time.perf_counter()
    total = 0
    for number in range(20_000_000):
        total += number
    return time.perf_counter() - started


def _postmaster(database_url: str) -> int | None:
    """The PID of the PostgreSQL server's postmaster, when it runs on this machine (else ``None``)."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    try:
        with open(f"/proc/{row[0]}/stat") as handle:
            return int(handle.read().rsplit(")", 1)[1].split()[1])  # the backend's parent
    except (OSError, IndexError, ValueError):
        return None


def _postgres_cpu(postmaster: int | None) -> float | None:
    """CPU seconds of the server: its processes alive now, and every backend that has exited (reaped
    by the postmaster). A difference of two readings is what the server spent between them."""
    if postmaster is None:
        return None
    ticks = 0
    try:
        with open(f"/proc/{postmaster}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks += sum(int(value) for value in fields[11:15])  # its own user and system time, and its children's
        with open(f"/proc/{postmaster}/task/{postmaster}/children") as handle:
            children = handle.read().split()
    except (OSError, ValueError):
        return None
    for child in children:
        try:
            with open(f"/proc/{child}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, ValueError):
            continue  # exited meanwhile: counted by the postmaster once reaped
    return ticks / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_import(
    database_url: str, corpus: Path, workers: int, postmaster: int | None = None, *extra: str
) -> dict[str, Any]:
    """One ``import_json`` subprocess: wall time, peak memory, and CPU seconds of the importer with its
    workers (they are its reaped children) and of PostgreSQL (when it runs on this machine)."""
    command = [sys.executable, str(ROOT / "manage.py"), "import_json", str(corpus), "--no-progress"]
    command += ["--workers", str(workers), *extra]
    python_before, postgres_before = _children_cpu(), _postgres_cpu(postmaster)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=_env(database_url), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peaks = {"tree": 0, "main": 0}

    def sample() -> None:
        while process.poll() is None:
            peaks["tree"] = max(peaks["tree"], _tree_rss(process.pid))
            peaks["main"] = max(peaks["main"], _own_rss(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    sampler.join()
    if process.returncode not in (0, 1):
        raise SystemExit(f"import_json failed ({process.returncode}):\n{stdout}\n{stderr}")
    time.sleep(0.5)  # the import's backends have exited; let the postmaster reap them
    postgres_after = _postgres_cpu(postmaster)
    return {
        "seconds": elapsed,
        "stdout": stdout.strip(),
        "peak_main": peaks["main"],
        "peak_tree": peaks["tree"],
        "cpu_python": _children_cpu() - python_before,
        "cpu_postgres": None if postgres_before is None or postgres_after is None else postgres_after - postgres_before,
    }


def _cpu_line(run: dict[str, Any]) -> str:
    python, postgres = run["cpu_python"], run["cpu_postgres"]
    if postgres is None:
        return f"CPU: importer and its workers {python:.1f} s (PostgreSQL's not readable: not on this machine)"
    total = python + postgres
    return (
        f"CPU: importer and its workers {python:.1f} s, PostgreSQL {postgres:.1f} s: {total:.1f} CPU-seconds, "
        f"{total / run['seconds']:.2f} cores busy on average; on {os.cpu_count()} cores no schedule of that work "
        f"takes under {total / (os.cpu_count() or 1):.1f} s"
    )


def floor(corpus: Path, workers: int, database_url: str) -> dict[str, Any]:
    """Parse every file into the importer's rows (same worker pool), then a bare COPY of them."""
    import psycopg

    from submissions.importer.outcomes import FileKind
    from submissions.importer.pipeline import DEFAULT_BATCH_SIZE, DEFAULT_SIZE_CAP, scan_folder
    from submissions.importer.pool import Chunk, ChunkPool
    from submissions.importer.worker import ParsedJob, ParsedSubmission, WorkerConfig

    config = WorkerConfig(root=str(corpus), size_cap=DEFAULT_SIZE_CAP, copy_format=True)
    spool = Path(tempfile.mkdtemp(prefix="injaaz-bench-floor-"))
    outputs = {name: (spool / name).open("wb") for name in ("submissions", "files", "jobs")}
    counts = {"submissions": 0, "files": 0, "jobs": 0}
    started = time.perf_counter()
    with ChunkPool(config, workers) as pool:
        for kind, folder in ((FileKind.JOB, "jobs"), (FileKind.SUBMISSION, "submissions")):
            paths, _ = scan_folder(corpus, folder)
            chunks: Iterator[Chunk] = (
                [(path, None) for path in paths[i : i + DEFAULT_BATCH_SIZE]]
                for i in range(0, len(paths), DEFAULT_BATCH_SIZE)
            )
            for _, result in pool.imap(kind, chunks):
                for item in result.parsed:
                    if isinstance(item, ParsedSubmission):
                        outputs["submissions"].write(item.copy_row)
                        outputs["files"].write(item.copy_files)
                        counts["submissions"] += 1
                        counts["files"] += item.copy_files.count(b"\n")
                    elif isinstance(item, ParsedJob):
                        outputs["jobs"].write(item.copy_row)
                        counts["jobs"] += 1
    parse_seconds = time.perf_counter() - started
    for handle in outputs.values():
        handle.close()

    from submissions.importer.backends import _FILE_COLUMNS, _SUB_COLUMNS, _TEMP_TABLES
    from submissions.importer.direct import JOB_COLUMNS, STAGED_JOBS, STAGED_JOBS_TABLE

    with psycopg.connect(database_url) as connection:
        with connection.cursor() as cursor:
            cursor.execute(STAGED_JOBS_TABLE)  # only to copy the staging tables' shapes below
            cursor.execute(_TEMP_TABLES)
            for table, source in (("submissions", "_imp_sub"), ("files", "_imp_files"), ("jobs", STAGED_JOBS)):
                cursor.execute(f"DROP TABLE IF EXISTS bench_floor_{table}")
                cursor.execute(f"CREATE TABLE bench_floor_{table} (LIKE {source})")
            cursor.execute(f"DROP TABLE {STAGED_JOBS}")
            cursor.execute("SET default_toast_compression TO lz4")
        connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table, columns in (("submissions", _SUB_COLUMNS), ("files", _FILE_COLUMNS), ("jobs", JOB_COLUMNS)):
                with (
                    (spool / table).open("rb") as spooled,
                    cursor.copy(f"COPY bench_floor_{table} ({columns}) FROM STDIN") as copy,
                ):
                    while block := spooled.read(1 << 20):
                        copy.write(block)
        connection.commit()
        copy_seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            for table in ("submissions", "files", "jobs"):
                cursor.execute(f"DROP TABLE bench_floor_{table}")
        connection.commit()
    shutil.rmtree(spool, ignore_errors=True)
    return {"parse_seconds": parse_seconds, "copy_seconds": copy_seconds, **counts}


def per_file_loop(corpus: Path, database_url: str, limit: int | None) -> dict[str, Any]:
    """The migration plan's loop (Phase 2): for each file, look up, insert, commit."""
    from django.db import connection

    from submissions.legacy.normalize import normalize_submission
    from submissions.models import Submission

    names = sorted(name for name in os.listdir(corpus / "submissions") if name.endswith(".json"))[:limit]
    done = 0
    started = time.perf_counter()
    for name in names:
        with open(corpus / "submissions" / name, encoding="utf-8") as handle:
            data = json.load(handle)
        submission_id = name.removesuffix(".json")
        if Submission.objects.filter(submission_id=submission_id).first():
            continue
        record = normalize_submission(data, stem=submission_id)  # a valid module for the row
        Submission.objects.create(
            submission_id=submission_id,
            module=record.module,
            form_data=data,
            status="completed",
        )  # autocommit: one transaction per file, as the plan's db.session.commit()
        done += 1
    seconds = time.perf_counter() - started
    connection.close()
    return {"files": done, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100_000, help="submission files to generate (default 100000)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--corpus", type=Path, help="use (or create) the tree here and keep it")
    parser.add_argument("--loop-limit", type=int, help="run the per-file loop over the first N files only")
    parser.add_argument("--skip-loop", action="store_true")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url:
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (a separate bench database is created on it)")
    admin_url, bench_name, bench_url = _bench_url(url)
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}"')
    _admin(admin_url, f'CREATE DATABASE "{bench_name}"')
    try:
        migrated = _manage(bench_url, "migrate", "--noinput", "-v0")
        if migrated.returncode:
            raise SystemExit(migrated.stderr)
        os.environ.update(_env(bench_url))
        import django

        django.setup()
        corpus = args.corpus or Path(tempfile.mkdtemp(prefix="injaaz-bench-corpus-"))
        if not (corpus / "submissions").is_dir():
            from tests.legacy_corpus import make_corpus

            started = time.perf_counter()
            made = make_corpus(corpus, args.n)
            print(
                f"corpus: generated {len(made.submissions)} submission and {len(made.jobs)} job files "
                f"({made.bytes_written / 1e6:.0f} MB of JSON, {len(made.uploads)} uploads) in {time.perf_counter() - started:.1f} s"
            )
        subs = len(os.listdir(corpus / "submissions"))
        jobs = len(os.listdir(corpus / "jobs"))
        total = subs + jobs
        print(
            f"corpus: {corpus}: {subs} submission files, {jobs} job files; workers: {args.workers}; "
            f"cpus: {os.cpu_count()}; load average before: {os.getloadavg()[0]:.2f}"
        )

        print(f"machine: {_cpu_reference():.2f} s for a reference Python loop (compare runs on other machines)")
        print(f"page cache warmed: {_warm(corpus)}")

        # Each measured step starts from a warm page cache (the kernel here may reclaim pages nobody
        # touched for a few seconds) and from a checkpoint: the WAL a step leaves behind (the floor alone
        # writes half a gigabyte) would otherwise trigger a checkpoint in the middle of the next one.
        _admin(admin_url, "CHECKPOINT")
        measured_floor = floor(corpus, args.workers, bench_url)
        floor_seconds = measured_floor["parse_seconds"] + measured_floor["copy_seconds"]
        print(
            f"floor: parse {total} files in {measured_floor['parse_seconds']:.2f} s + bare COPY of "
            f"{measured_floor['submissions']} submission, {measured_floor['jobs']} job and {measured_floor['files']} "
            f"file rows in {measured_floor['copy_seconds']:.2f} s = {floor_seconds:.2f} s ({total / floor_seconds:,.0f} files/s)"
        )

        postmaster = _postmaster(bench_url)
        _warm(corpus)
        _admin(admin_url, "CHECKPOINT")
        first = run_import(bench_url, corpus, args.workers, postmaster)
        print(
            f"import_json: {total} files in {first['seconds']:.2f} s ({total / first['seconds']:,.0f} files/s, "
            f"{subs / first['seconds']:,.0f} submissions/s); peak memory {first['peak_main'] / 2**20:.0f} MB "
            f"(importer), {first['peak_tree'] / 2**20:.0f} MB (importer + workers)"
        )
        for line in first["stdout"].splitlines():
            print(f"    {line}")
        print(f"    {_cpu_line(first)}")
        _warm(corpus)
        _admin(admin_url, "CHECKPOINT")
        again = run_import(bench_url, corpus, args.workers, postmaster)
        print(
            f"re-run: {again['seconds']:.2f} s ({total / again['seconds']:,.0f} files/s); peak memory "
            f"{again['peak_tree'] / 2**20:.0f} MB (importer + workers)"
        )
        print(f"    {_cpu_line(again)}")
        _warm(corpus)
        _admin(admin_url, "CHECKPOINT")
        rehashed = run_import(bench_url, corpus, args.workers, postmaster, "--rehash")
        print(
            f"re-run --rehash (every file read and hashed): {rehashed['seconds']:.2f} s "
            f"({total / rehashed['seconds']:,.0f} files/s); peak memory {rehashed['peak_tree'] / 2**20:.0f} MB "
            f"(importer + workers)"
        )
        print(f"    {_cpu_line(rehashed)}")

        loop = None
        if not args.skip_loop:
            from django.db import connections

            connections.close_all()
            _admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}"')
            _admin(admin_url, f'CREATE DATABASE "{bench_name}"')
            migrated = _manage(bench_url, "migrate", "--noinput", "-v0")
            if migrated.returncode:
                raise SystemExit(migrated.stderr)
            _warm(corpus)
            _admin(admin_url, "CHECKPOINT")
            loop = per_file_loop(corpus, bench_url, args.loop_limit)
            print(
                f"per-file loop (the plan's): {loop['files']} submission files in {loop['seconds']:.2f} s "
                f"({loop['files'] / loop['seconds']:,.0f} files/s)"
            )

        ratio_floor = first["seconds"] / floor_seconds
        print(f"ratio import_json / floor: {ratio_floor:.2f} (target <= 2)")
        if loop:
            speedup = (subs / first["seconds"]) / (loop["files"] / loop["seconds"])
            print(f"ratio import_json / per-file loop, submissions per second: {speedup:.1f}x faster (target >= 10)")
        print(
            f"target 100k in <= 12 s: {first['seconds']:.2f} s for {subs} submissions; re-run < 4 s: "
            f"{again['seconds']:.2f} s ({rehashed['seconds']:.2f} s with --rehash); "
            f"peak memory < 300 MB: {first['peak_tree'] / 2**20:.0f} MB; "
            f"load average after: {os.getloadavg()[0]:.2f}"
        )
        if not args.corpus:
            shutil.rmtree(corpus, ignore_errors=True)
    finally:
        if not args.keep_db:
            from django.db import connections

            connections.close_all()
            _admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_name}"')


if __name__ == "__main__":
    main()
