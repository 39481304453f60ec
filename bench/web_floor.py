"""The floors ``bench/web_bench.py`` measures Injaaz's hot paths against (bench only, never routed
by the app): the least a Django view can do for the same answer, in hand-written SQL.

- ``floor_status``: one indexed SELECT of the job row, as JSON.
- ``floor_submit``: the four rows a submit writes (submission, job, task, audit chained to the
  head under the advisory lock, taken last) in one transaction, from the parsed JSON body.

The URL configuration routes them beside Injaaz's own URLs (``bench/web_settings.py``).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from audit.chain import ADVISORY_LOCK_KEY, GENESIS_HASH, row_digest
from submissions.ids import new_job_id, new_submission_id

TASK_PATH = "jobs.tasks.generate_reports"


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def floor_status(request: HttpRequest, job_id: str) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT job_id, status, progress, excel_url, pdf_url, error_message, created_at, started_at, completed_at"
            " FROM jobs WHERE job_id = %s",
            [job_id],
        )
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"error": "Job not found."}, status=404)
    return JsonResponse(
        {
            "job_id": row[0],
            "status": row[1],
            "progress": row[2],
            "excel_url": row[3] or None,
            "pdf_url": row[4] or None,
            "error_message": row[5] or None,
            "created_at": _iso(row[6]),
            "started_at": _iso(row[7]),
            "completed_at": _iso(row[8]),
        }
    )


@csrf_exempt
def floor_submit(request: HttpRequest) -> HttpResponse:
    body: dict[str, Any] = json.loads(request.body)
    submission_id, job_id = new_submission_id(), new_job_id()
    now = timezone.now()
    document = {**body, "submission_id": submission_id}
    details = {"submission_id": submission_id, "module": "hvac_mep"}
    user_id = int(request.headers.get("X-Bench-User", "0")) or None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO submissions (submission_id, module, status, site_name, visit_date, form_data, created_at,"
            " updated_at, submitted_by_ip, user_id, client_key, content_hash)"
            " VALUES (%s, 'hvac_mep', 'pending', %s, %s, %s, %s, %s, %s, %s, NULL, '') RETURNING id",
            [
                submission_id,
                body.get("site_name", ""),
                body.get("visit_date"),
                json.dumps(document),
                now,
                now,
                "127.0.0.1",
                user_id,
            ],
        )
        (row_id,) = cursor.fetchone()
        cursor.execute(
            "INSERT INTO jobs (job_id, status, progress, excel_url, pdf_url, error_message, created_at, submission_id,"
            " attempts, queued_at) VALUES (%s, 'started', 0, '', '', '', %s, %s, 1, %s)",
            [job_id, now, row_id, now],
        )
        cursor.execute(
            "INSERT INTO django_tasks_database_dbtaskresult (id, status, args_kwargs, priority, task_path, queue_name,"
            " backend_name, run_after, enqueued_at, exception_class_path, traceback, worker_ids)"
            " VALUES (%s, 'READY', %s, 0, %s, 'default', 'default', %s, %s, '', '', '[]')",
            [
                uuid.uuid4(),
                json.dumps({"args": [job_id, 1], "kwargs": {}}),
                TASK_PATH,
                dt.datetime(9999, 1, 1, tzinfo=dt.UTC),
                now,
            ],
        )
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        cursor.execute("SELECT row_hash FROM audit_logs ORDER BY id DESC LIMIT 1")
        head = cursor.fetchone()
        prev_hash = head[0] if head else GENESIS_HASH
        user_agent = request.headers.get("User-Agent", "")
        digest = row_digest(
            prev_hash=prev_hash,
            user_id=user_id,
            action="submit_form",
            resource_type="submission",
            resource_id=row_id,
            details=details,
            ip_address="127.0.0.1",
            user_agent=user_agent,
            created_at=now,
        )
        cursor.execute(
            "INSERT INTO audit_logs (action, resource_type, resource_id, details, ip_address, user_agent, created_at,"
            " user_id, prev_hash, row_hash) VALUES ('submit_form', 'submission', %s, %s, '127.0.0.1', %s, %s, %s, %s, %s)",
            [row_id, json.dumps(details), user_agent, now, user_id, prev_hash, digest],
        )
    return JsonResponse({"status": "ok", "submission_id": submission_id, "job_id": job_id})


urlpatterns = [
    path("bench/floor/status/<str:job_id>", floor_status),
    path("bench/floor/submit", floor_submit),
    path("", include("injaaz.urls")),
]
