"""What one report job costs, and how many an hour the workers get through.

Usage: DATABASE_URL=postgres://… .venv/bin/python bench/report_bench.py [JOBS]

1. One submission with 10 items and 3 photos each (1600x1200 JPEGs, photo-like, ~250 KB each)
   and a drawn signature, rendered in a fresh child process (so its peak memory is the job's,
   not the parent's): photo preparation (open, decode with ``draft()``, downscale), the workbook
   with thumbnails, the PDF; median of 5 runs each, output sizes, pages, peak RSS.
2. JOBS submissions (default 24) of the same shape through ``submission_create``, worked off by
   real ``manage.py run_worker --batch`` processes on the configured database: one worker, then
   two. Prints reports per minute, both from the first job's start to the last job's end (steady
   state) and wall clock including worker start-up.

Media and legacy folders are temporary; the bench deletes the rows it created.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MEDIA = Path(os.environ.get("INJAAZ_BENCH_MEDIA") or tempfile.mkdtemp(prefix="injaaz-bench-media-"))
os.environ["INJAAZ_BENCH_MEDIA"] = str(MEDIA)
os.environ["MEDIA_ROOT"] = str(MEDIA)
os.environ.setdefault("INJAAZ_LEGACY_DIR", tempfile.mkdtemp(prefix="injaaz-bench-generated-"))
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("INJAAZ_HTTPS", "0")
os.environ["DJANGO_SETTINGS_MODULE"] = "injaaz.settings"
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.files.storage import default_storage  # noqa: E402

from tests.jobs_support import hvac_document, jpeg_bytes, signature_data_url  # noqa: E402

ITEMS, PHOTOS_PER_ITEM, RUNS = 10, 3, 5


def bench_document(submission_id: str) -> dict[str, object]:
    """The benchmark's submission: photos already in storage (saved once, shared by every job)."""
    document = hvac_document(submission_id, items=0)
    document["items"] = [
        {
            "asset": "HVAC",
            "system": "Chiller Evaporator",
            "description": f"Item {index + 1}: inspect evaporator, clean strainers, check refrigerant",
            "photos": [
                {
                    "saved": None,
                    "path": None,
                    "url": f"/media/bench/p{index}_{number}.jpg",
                    "is_cloud": True,
                    "name": f"bench/p{index}_{number}.jpg",
                }
                for number in range(PHOTOS_PER_ITEM)
            ],
        }
        for index in range(ITEMS)
    ]
    document["opMan_signature"] = {"saved": None, "path": None, "url": signature_data_url(), "is_cloud": True}
    return document


def make_photos() -> int:
    total = 0
    for index in range(ITEMS):
        for number in range(PHOTOS_PER_ITEM):
            name = f"bench/p{index}_{number}.jpg"
            if not default_storage.exists(name):
                default_storage.save(name, io.BytesIO(jpeg_bytes(1600, 1200, seed=index * 7 + number)))
            total += default_storage.size(name)
    return total


def single_job_child() -> None:
    """Runs in a child process: time each step, then report peak RSS as JSON on stdout."""
    import datetime as dt
    import resource

    from jobs.reports.content import build_content, references_of
    from jobs.reports.excel import build_workbook
    from jobs.reports.files import ReportFiles
    from jobs.reports.images import prepare_report_images
    from jobs.reports.pdf import build_pdf
    from submissions.legacy.normalize import normalize_submission

    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    document = bench_document("sub_0000000be0c0")
    record = normalize_submission(document, stem="sub_0000000be0c0")
    files = ReportFiles.for_document(document)
    photos, signatures = references_of(record)
    now = dt.datetime.now(dt.UTC)
    timings: dict[str, list[float]] = {"prepare": [], "excel": [], "pdf": []}
    excel = pdf = b""
    for _ in range(RUNS):
        start = time.perf_counter()
        images = prepare_report_images(photos=photos, signatures=signatures, open_file=files.open)
        timings["prepare"].append(time.perf_counter() - start)
        content = build_content(record, images, job_id="job_0000000be0c0", generated_at=now)
        start = time.perf_counter()
        excel = build_workbook(content)
        timings["excel"].append(time.perf_counter() - start)
        start = time.perf_counter()
        pdf = build_pdf(content)
        timings["pdf"].append(time.perf_counter() - start)
    import io

    import pypdf

    print(
        json.dumps(
            {
                "median": {key: statistics.median(values) for key, values in timings.items()},
                "first": {key: values[0] for key, values in timings.items()},
                "excel_bytes": len(excel),
                "pdf_bytes": len(pdf),
                "pdf_pages": len(pypdf.PdfReader(io.BytesIO(pdf)).pages),
                "photos": len(photos),
                "baseline_rss_mb": baseline_kb / 1024,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def single_job() -> None:
    input_bytes = make_photos()
    result = subprocess.run(
        [sys.executable, __file__, "--child"], capture_output=True, text=True, check=True, env=os.environ.copy()
    )
    data = json.loads(result.stdout.strip().splitlines()[-1])
    median = data["median"]
    print(
        f"one job: {ITEMS} items x {PHOTOS_PER_ITEM} photos = {data['photos']} photos of 1600x1200 "
        f"({input_bytes / data['photos'] / 1024:.0f} KB each, {input_bytes / 1e6:.1f} MB in all), median of {RUNS}"
    )
    print(f"  prepare photos (open, draft decode, downscale): {median['prepare']:.3f} s")
    print(
        f"  workbook with thumbnails:                       {median['excel']:.3f} s  ({data['excel_bytes'] / 1024:.0f} KB)"
    )
    print(
        f"  PDF:                                            {median['pdf']:.3f} s  "
        f"({data['pdf_bytes'] / 1e6:.2f} MB, {data['pdf_pages']} pages)"
    )
    total = median["prepare"] + median["excel"] + median["pdf"]
    print(f"  whole job (prepare + workbook + PDF):           {total:.3f} s")
    print(
        f"  first run (cold): prepare {data['first']['prepare']:.3f} s, workbook {data['first']['excel']:.3f} s, "
        f"PDF {data['first']['pdf']:.3f} s"
    )
    print(
        f"  peak RSS of the process: {data['peak_rss_mb']:.0f} MB "
        f"(after importing Django, WeasyPrint and Pillow: {data['baseline_rss_mb']:.0f} MB)"
    )


def throughput(jobs: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from jobs.models import Job
    from submissions.ids import new_submission_id
    from submissions.models import Submission
    from submissions.services import submission_create

    if connection.vendor != "postgresql":
        print("throughput: skipped (needs DATABASE_URL pointing at PostgreSQL)")
        return
    call_command("migrate", verbosity=0)
    print(f"throughput: {jobs} jobs like the one above per run, database {connection.settings_dict['NAME']}")
    for workers in (1, 2):
        ids = []
        for _ in range(jobs):
            submission_id = new_submission_id()
            submission_create(module="hvac_mep", form_data=bench_document(submission_id), submission_id=submission_id)
            ids.append(submission_id)
        start = time.perf_counter()
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "run_worker",
                    "--batch",
                    "--no-startup-delay",
                    "--reap-interval",
                    "0",
                    "-v",
                    "0",
                ],
                cwd=ROOT,
                env=os.environ.copy(),
            )
            for _ in range(workers)
        ]
        codes = [process.wait() for process in processes]
        wall = time.perf_counter() - start
        done = Job.objects.filter(submission__submission_id__in=ids)
        statuses = sorted(set(done.values_list("status", flat=True)))
        first = min(job.started_at for job in done if job.started_at)
        last = max(job.completed_at for job in done if job.completed_at)
        steady = (last - first).total_seconds()
        print(
            f"  {workers} worker{'s' if workers > 1 else ' '}: {jobs / steady * 60:6.0f} reports/min steady "
            f"({steady:.1f} s from first start to last finish), {jobs / wall * 60:6.0f}/min wall clock "
            f"incl. start-up ({wall:.1f} s); exit codes {codes}, statuses {statuses}"
        )
        Submission.objects.filter(submission_id__in=ids).delete()
        DBTaskResult.objects.filter(task_path="jobs.tasks.generate_reports").delete()
        for name in default_storage.listdir("reports")[0]:
            for file in default_storage.listdir(f"reports/{name}")[1]:
                default_storage.delete(f"reports/{name}/{file}")


if __name__ == "__main__":
    if "--child" in sys.argv:
        single_job_child()
    else:
        single_job()
        throughput(int(sys.argv[1]) if len(sys.argv) > 1 else 24)
