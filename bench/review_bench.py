"""Benchmark: review at a million submissions, 100,000 of them waiting in review.

Loads ``--size`` submissions (default 1,000,000) with one SQL statement (``generate_series``, no
Python per row) into the database ``DATABASE_URL`` names (never the test database), puts
``--in-review`` of them (default 100,000) at the review stages, some more approved, rejected and
sent back, and the parallel stage half decided; then, through Django's test client:

- the "To review" page (``/review/``) of an operations manager and of a business development
  reviewer (the parallel stage, with its NOT EXISTS on decisions);
- the admin's submissions list filtered by each review state and by a stage;
- approving with a signature (``POST /review/<id>/decide``: the view, the signature stored, the
  decision, audit row, next stage and report job), on reports waiting at the first stage.

Each figure is a median with its query count, and a ratio against a floor measured in the same
run: a logged-in page that does no work of its own (the password change form) for pages, the
unfiltered admin list for the admin. Targets (issue 16): pages < 70 ms and at most 6 queries,
an approval < 50 ms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/injaaz_review .venv/bin/python bench/review_bench.py
    ... --size 100000 --in-review 10000      # smaller
    ... --reload                             # load again
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "injaaz.settings_test")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from review.models import ReviewStage, SubmissionReview  # noqa: E402
from tests.inspection_helpers import signature_data_url  # noqa: E402

STAFF_EMAIL = "bench-staff@example.com"
PASSWORD = "bench-password-1234"  # noqa: S105
REVIEWERS = {"ops": "Operations managers", "bd": "Business development", "gm": "General managers"}


def ensure_users() -> dict[str, User]:
    users: dict[str, User] = {}
    staff = User.objects.filter(email=STAFF_EMAIL).first()
    users["staff"] = staff or User.objects.create_superuser(STAFF_EMAIL, PASSWORD, full_name="Bench Staff")
    for key, group in REVIEWERS.items():
        user, _ = User.objects.get_or_create(email=f"bench-{key}@example.com", defaults={"full_name": f"Bench {key}"})
        user.groups.add(Group.objects.get(name=group))
        users[key] = user
    for number in range(200):
        User.objects.get_or_create(email=f"bench-inspector-{number}@example.com", defaults={"role": "inspector"})
    return users


def load(size: int, in_review: int) -> None:
    stages = list(ReviewStage.objects.filter(module="").order_by("position").values_list("pk", flat=True))
    slots = dict(ReviewStage.objects.get(pk=stages[1]).slots.values_list("name", "pk"))
    bd_slot = slots["Business development"]
    bd_user = User.objects.get(email="bench-bd@example.com").pk
    inspectors = list(User.objects.filter(email__startswith="bench-inspector-").values_list("pk", flat=True))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE submissions CASCADE")
        cursor.execute(
            """
            INSERT INTO submissions (submission_id, module, user_id, status, site_name, visit_date, form_data,
                                     created_at, updated_at, submitted_by_ip, content_hash)
            SELECT 'sub_' || substr(md5(i::text), 1, 12),
                   (ARRAY['hvac_mep','civil','cleaning'])[1 + i %% 3],
                   (%(inspectors)s::int[])[1 + i %% 200],
                   'completed',
                   'Site ' || (i %% 5000),
                   DATE '2023-11-01' + (i * 1095 / %(size)s),
                   jsonb_build_object('site_name', 'Site ' || (i %% 5000), 'items',
                       jsonb_build_array(jsonb_build_object('asset', 'HVAC', 'system', 'AHU',
                                                            'description', 'Filter ' || i, 'photos', '[]'::jsonb))),
                   TIMESTAMPTZ '2023-11-01 00:00+00' + (i * interval '94 seconds'),
                   TIMESTAMPTZ '2023-11-01 00:00+00' + (i * interval '94 seconds'),
                   '10.0.0.1', ''
            FROM generate_series(1, %(size)s) AS i
            """,
            {"inspectors": inspectors, "size": size},
        )
        print(f"  {size:,} submissions in {time.perf_counter() - started:.0f} s", flush=True)
        # The newest reports are in review: ``in_review`` waiting (a third per stage, the parallel
        # stage's half decided by business development), then as many again decided.
        cursor.execute(
            """
            INSERT INTO submission_reviews (submission_id, state, stage_id, stage_since, round, version, updated_at,
                                            submission_created_at)
            SELECT id,
                   CASE WHEN n <= %(waiting)s THEN (CASE WHEN n %% 3 = 0 THEN 'submitted' ELSE 'in_review' END)
                        WHEN n %% 10 = 0 THEN 'rejected' WHEN n %% 10 = 1 THEN 'changes_requested'
                        ELSE 'approved' END,
                   CASE WHEN n <= %(waiting)s THEN (%(stages)s::int[])[1 + n %% 3]
                        WHEN n %% 10 IN (0, 1) THEN (%(stages)s::int[])[1] END,
                   created_at + interval '1 hour', 1, 1, created_at + interval '1 hour', created_at
            FROM (SELECT id, created_at, row_number() OVER (ORDER BY id DESC) AS n
                  FROM submissions ORDER BY id DESC LIMIT %(reviewed)s) AS newest
            """,
            {"waiting": in_review, "stages": stages, "reviewed": in_review * 2},
        )
        cursor.execute(
            """
            INSERT INTO review_decisions (submission_id, stage_id, slot_id, round, version, decision, actor_id,
                                          actor_name, comment, created_at)
            SELECT submission_id, stage_id, %(slot)s, 1, 1, 'approve', %(actor)s, 'Bench bd', '', stage_since
            FROM submission_reviews WHERE stage_id = %(stage)s AND state = 'in_review' AND submission_id %% 2 = 0
            """,
            {"slot": bd_slot, "actor": bd_user, "stage": stages[1]},
        )
        for table in ("submissions", "submission_reviews", "review_decisions"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"  loaded and analysed in {time.perf_counter() - started:.0f} s", flush=True)


def timed_get(client: Client, url: str, repeat: int) -> tuple[float, int]:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    timings, queries = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured.captured_queries)
    return statistics.median(timings), queries


def timed_approvals(client: Client, count: int) -> tuple[float, int]:
    """Approve ``count`` reports waiting at the first stage, each with a signature."""
    first = ReviewStage.objects.filter(module="").order_by("position").first()
    waiting = list(
        SubmissionReview.objects.filter(stage=first, state__in=["submitted", "in_review"])
        .order_by("-stage_since")
        .values_list("submission__submission_id", "version")[:count]
    )
    signature = signature_data_url()
    timings, queries = [], 0
    for submission_id, version in waiting:
        data = {"decision": "approve", "version": str(version), "comment": "", "signature": signature}
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.post(f"/review/{submission_id}/decide", data)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 303:
            raise SystemExit(f"approve {submission_id}: HTTP {response.status_code}")
        queries = len(captured.captured_queries)
    return statistics.median(timings), queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000, help="submissions (default 1,000,000)")
    parser.add_argument("--in-review", type=int, default=100_000, help="of which waiting in review (default 100,000)")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page (median reported)")
    parser.add_argument("--approvals", type=int, default=15, help="approvals timed (median reported)")
    parser.add_argument("--reload", action="store_true", help="load again even if the tables look loaded")
    options = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (not the test database).")
    call_command("migrate", verbosity=0)
    users = ensure_users()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM submissions")
        present = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM submission_reviews WHERE state IN ('submitted', 'in_review')")
        waiting = cursor.fetchone()[0]
    if options.reload or present != options.size or abs(waiting - options.in_review) > options.approvals * 10:
        print(f"Loading {options.size:,} submissions, {options.in_review:,} in review...", flush=True)
        load(options.size, options.in_review)

    clients = {}
    for key, user in users.items():
        clients[key] = Client()
        clients[key].force_login(user)
    stage_ids = list(ReviewStage.objects.filter(module="").order_by("position").values_list("pk", flat=True))
    floor_ms, floor_queries = timed_get(clients["ops"], "/accounts/password/change/", options.repeat)
    admin_ms, admin_queries = timed_get(clients["staff"], "/admin/submissions/submission/", options.repeat)
    pages = [
        ("To review: operations manager", "ops", "/review/", floor_ms),
        ("To review: business development (parallel stage)", "bd", "/review/", floor_ms),
        ("Home page with counts per stage: operations manager", "ops", "/", floor_ms),
        ("Admin: review state in_review", "staff", "/admin/submissions/submission/?review_state=in_review", admin_ms),
        ("Admin: review state approved", "staff", "/admin/submissions/submission/?review_state=approved", admin_ms),
        ("Admin: review state rejected", "staff", "/admin/submissions/submission/?review_state=rejected", admin_ms),
        ("Admin: review state imported", "staff", "/admin/submissions/submission/?review_state=imported", admin_ms),
        ("Admin: waiting at stage 3", "staff", f"/admin/submissions/submission/?review_stage={stage_ids[2]}", admin_ms),
    ]
    print(
        f"floor: password change page {floor_ms:.1f} ms {floor_queries} q; unfiltered admin {admin_ms:.1f} ms "
        f"{admin_queries} q"
    )
    rows = []
    for name, who, url, floor in pages:
        median, queries = timed_get(clients[who], url, options.repeat)
        rows.append((name, median, queries, median / floor))
        print(f"{name:<55} {median:7.1f} ms {queries:2d} q  x{median / floor:5.2f} of its floor", flush=True)
    approve_ms, approve_queries = timed_approvals(clients["staff"], options.approvals)
    rows.append(("Approve with a signature (POST, first stage)", approve_ms, approve_queries, approve_ms / floor_ms))
    print(
        f"{'Approve with a signature':<55} {approve_ms:7.1f} ms {approve_queries:2d} q  x{approve_ms / floor_ms:5.2f}"
    )
    print()
    print(f"| case ({options.size:,} submissions, {options.in_review:,} waiting) | median | queries | ratio to floor |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| floor: password change page | {floor_ms:.1f} ms | {floor_queries} | 1 |")
    print(f"| floor: admin list, unfiltered | {admin_ms:.1f} ms | {admin_queries} | 1 |")
    for name, median, queries, ratio in rows:
        print(f"| {name} | {median:.1f} ms | {queries} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
