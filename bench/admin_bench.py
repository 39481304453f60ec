"""Benchmark: the submissions changelist at a million rows, Injaaz's admin against a stock ModelAdmin.

Loads ``--size`` submissions (default 1,000,000) and one job each with COPY into the database
``DATABASE_URL`` names (never the test database), then times each changelist request through
Django's test client, logged in as a staff superuser, against the project's ``SubmissionAdmin``
and against a stock ``ModelAdmin`` of the same model (same columns, filters and search fields)
registered on a separate ``AdminSite`` in the same process. Prints the median and the query
count per case.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/injaaz_i7 .venv/bin/python bench/admin_bench.py
    ... --size 100000 --repeat 15        # smaller or longer runs
    ... --reload                         # throw the loaded rows away and load again

The load is skipped when the table already holds exactly ``--size`` rows from an earlier run.
It drops the submissions table's secondary indexes for the COPY and re-creates them from their
own definitions afterwards, then VACUUM ANALYZEs (a fresh table has no statistics and no
visibility map, so the planner would be misled).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "injaaz.settings_test")

import django  # noqa: E402

django.setup()

from django.contrib import admin  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from accounts.models import User  # noqa: E402
from submissions.models import Submission  # noqa: E402

NAMES = [
    "Al Reem", "Marina", "Khalifa", "Saadiyat", "Yas", "Corniche", "Mussafah", "Al Raha", "Danet", "Mina",
    "Al Maryah", "Shams", "Al Bateen", "Hudayriat", "Jubail", "Ghantoot", "Al Falah", "Shakhbout", "Zayed",
    "Al Wahda", "Al Nahyan", "Baniyas", "Al Shamkha", "Al Khatim", "Ruwais", "Madinat", "Liwa", "Al Ain",
    "Dubai Hills", "Jumeirah", "Deira", "Karama", "Barsha", "Qusais", "Nahda", "Sharjah", "Ajman", "Fujairah",
    "Kalba", "Khor Fakkan", "Dibba", "Hatta", "Masafi", "Umm Suqeim", "Satwa", "Bur Dubai", "Mirdif",
    "Warqa", "Muhaisnah", "Rashidiya", "Garhoud", "Festival", "Creek", "Silicon", "Motor", "Sports",
    "Academic", "Healthcare", "Industrial", "Logistics",
]  # fmt: skip
KINDS = ["Tower", "Plaza", "Mall", "Villa", "Warehouse", "School", "Clinic", "Hotel", "Residence", "Office Park"]
MODULES = ["hvac_mep", "civil", "cleaning"]
STATUSES = ["completed"] * 90 + ["pending"] * 5 + ["processing"] * 2 + ["failed"] * 3
SITE_SEARCH = "khalifa plaza"  # about 1 in 600 sites

STAFF_EMAIL = "bench-staff@example.com"
STAFF_PASSWORD = "bench-password-1234"  # noqa: S105


# --- Load ---------------------------------------------------------------------------------------


def submission_id(number: int) -> str:
    # Multiplying by an odd constant is a bijection modulo 2**48: unique ids that look random.
    return f"sub_{(number * 0x9E3779B97F4A7C15 + 0x5EED) & 0xFFFFFFFFFFFF:012x}"


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes not backing a constraint."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            ORDER BY i.relname
            """,
            [table],
        )
        return list(cursor.fetchall())


def load(size: int, inspectors: list[int]) -> None:
    rng = random.Random(7)
    end = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    span = dt.timedelta(days=3 * 365).total_seconds()
    start = end - dt.timedelta(seconds=span)
    indexes = secondary_indexes("submissions")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE submissions CASCADE")
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        copy_sql = (
            "COPY submissions (submission_id, module, user_id, status, site_name, visit_date, form_data, "
            "created_at, updated_at, submitted_by_ip) FROM STDIN"
        )
        with cursor.cursor.copy(copy_sql) as copy:  # psycopg's COPY, under Django's cursor
            for number in range(size):
                created = start + dt.timedelta(seconds=span * number / size + rng.random() * 60)
                visit = (created - dt.timedelta(days=rng.randrange(4))).date()
                site = f"{rng.choice(NAMES)} {rng.choice(KINDS)} {rng.randrange(1, 500)}"
                sid = submission_id(number)
                module = rng.choice(MODULES)
                form_data = {
                    "submission_id": sid,
                    "site_name": site,
                    "visit_date": visit.isoformat(),
                    "tech_signature": None,
                    "opMan_signature": None,
                    "items": [
                        {
                            "asset": f"AHU-{rng.randrange(1, 40)}",
                            "system": "HVAC",
                            "description": "Filter replaced; belt tension checked",
                            "photos": [
                                {
                                    "saved": None,
                                    "path": None,
                                    "url": f"https://res.cloudinary.com/injaaz/image/upload/{sid}_0.jpg",
                                    "is_cloud": True,
                                }
                            ],
                        }
                    ],
                    "timestamp": created.replace(tzinfo=None).isoformat(),
                    "base_url": "https://injaaz.example.com",
                }
                copy.write_row(
                    (
                        sid,
                        module,
                        rng.choice(inspectors),
                        rng.choice(STATUSES),
                        site,
                        visit,
                        json.dumps(form_data),
                        created,
                        created,
                        "10.0.0.1",
                    )
                )
                if number and number % 200_000 == 0:
                    print(f"  copied {number:,} rows ({time.perf_counter() - started:.0f} s)", flush=True)
        print(
            f"  copied {size:,} submissions in {time.perf_counter() - started:.0f} s; re-creating indexes", flush=True
        )
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute(
            """
            INSERT INTO jobs (job_id, submission_id, status, progress, excel_url, pdf_url, error_message,
                              created_at, started_at, completed_at)
            SELECT 'job_' || substr(md5(id::text), 1, 12), id,
                   CASE WHEN s.status = 'failed' THEN 'failed' WHEN s.status = 'completed' THEN 'done'
                        ELSE 'running' END,
                   CASE WHEN s.status = 'completed' THEN 100 ELSE 40 END,
                   '', '', CASE WHEN s.status = 'failed' THEN 'PDF renderer timed out' ELSE '' END,
                   created_at, created_at, created_at + interval '40 seconds'
            FROM submissions s
            """
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE submissions")
        cursor.execute("VACUUM ANALYZE jobs")
    print(f"  loaded and analysed in {time.perf_counter() - started:.0f} s", flush=True)


def ensure_users() -> list[int]:
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    if staff is None:
        User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD, full_name="Bench Staff")
    ids = []
    for number in range(200):
        user, _ = User.objects.get_or_create(
            email=f"bench-inspector-{number}@example.com",
            defaults={"full_name": f"Inspector {number}", "role": "inspector"},
        )
        ids.append(user.pk)
    return ids


# --- The stock baseline -------------------------------------------------------------------------

stock_site = admin.AdminSite(name="stock_admin")


class StockSubmissionAdmin(admin.ModelAdmin[Submission]):
    """What ``admin.ModelAdmin`` gives for the same columns, filters and search: the baseline."""

    list_display = ("submission_id", "module", "site_name", "visit_date", "status", "user", "created_at")
    list_filter = ("module", "status", "visit_date")
    search_fields = ("submission_id", "site_name")


stock_site.register(Submission, StockSubmissionAdmin)

urlpatterns = [path("stock-admin/", stock_site.urls), path("", include("injaaz.urls"))]


# --- Timing -------------------------------------------------------------------------------------


def cases(sample_id: str, size: int) -> list[tuple[str, str, str]]:
    """(name, query string for Injaaz's admin, query string for the stock admin)."""
    deep_page = min(1000, max(1, size // 100 - 1))
    date_range = "visit_date__gte=2025-03-01&visit_date__lte=2025-03-31"
    return [
        ("no filter", "", ""),
        ("module filter", "module__exact=civil", "module__exact=civil"),
        ("module + date range", f"module__exact=civil&{date_range}", f"module__exact=civil&{date_range}"),
        ("status + newest first", "status__exact=failed&o=-7", "status__exact=failed&o=-7"),
        ("exact id search", f"q={sample_id}", f"q={sample_id}"),
        ("site substring search", f"q={SITE_SEARCH.replace(' ', '+')}", f"q={SITE_SEARCH.replace(' ', '+')}"),
        (f"page {deep_page:,}", f"p={deep_page}", f"p={deep_page}"),
    ]


def time_request(client: Client, url: str, repeat: int) -> tuple[float, int, int]:
    response = client.get(url)  # warm-up (and the status check)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    timings = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured.captured_queries)
    return statistics.median(timings), queries, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000, help="submissions to load (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=9, help="timed requests per case (median reported)")
    parser.add_argument("--reload", action="store_true", help="load again even if the table already has --size rows")
    parser.add_argument("--stock-repeat", type=int, default=3, help="timed requests per case for the stock admin")
    parser.add_argument("--load-only", action="store_true", help="load (if needed) and stop")
    options = parser.parse_args()

    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (not the test database).")
    call_command("migrate", verbosity=0)
    inspectors = ensure_users()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM submissions")
        present = cursor.fetchone()[0]
    if present != options.size or options.reload:
        print(f"Loading {options.size:,} submissions (table has {present:,})...", flush=True)
        load(options.size, inspectors)
    if options.load_only:
        return
    sample_id = Submission.objects.order_by("id").values_list("submission_id", flat=True)[options.size // 2]

    client = Client()
    client.force_login(User.objects.get(email=STAFF_EMAIL))
    rows = []
    with override_settings(ROOT_URLCONF=__name__):
        for name, ours, stock in cases(sample_id, options.size):
            our_ms, our_queries, _ = time_request(client, f"/admin/submissions/submission/?{ours}", options.repeat)
            stock_ms, stock_queries, _ = time_request(
                client, f"/stock-admin/submissions/submission/?{stock}", options.stock_repeat
            )
            rows.append((name, our_ms, our_queries, stock_ms, stock_queries))
            print(
                f"{name:<24} injaaz {our_ms:8.1f} ms {our_queries:2d} q   stock {stock_ms:8.1f} ms "
                f"{stock_queries:2d} q   x{stock_ms / our_ms:6.1f}",
                flush=True,
            )
    print()
    print(f"| case ({options.size:,} submissions) | Injaaz median | queries | stock median | queries | speed-up |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, our_ms, our_queries, stock_ms, stock_queries in rows:
        print(
            f"| {name} | {our_ms:.1f} ms | {our_queries} | {stock_ms:.1f} ms | {stock_queries} | "
            f"{stock_ms / our_ms:.1f}x |"
        )


if __name__ == "__main__":
    main()
