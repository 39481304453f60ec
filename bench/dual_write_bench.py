"""What dual write and the file fallback cost: submissions/s and reads/s per phase, on the configured database.

Usage: DATABASE_URL=postgres://… .venv/bin/python bench/dual_write_bench.py [N]
Creates N submissions per writing phase (each phase twice, interleaved, after a warm-up) through
``submission_create`` (one transaction each, the real path: row, audit row, staged file published on
commit), reads them back through ``submission_get``, then deletes what it created. The legacy tree
is a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "injaaz.settings_test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from audit.models import AuditLog  # noqa: E402
from submissions.models import Submission  # noqa: E402
from submissions.router import submission_get  # noqa: E402
from submissions.services import submission_create  # noqa: E402
from tests.legacy_store_helpers import hvac_document  # noqa: E402


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    call_command("migrate", verbosity=0)
    root = Path(tempfile.mkdtemp(prefix="injaaz-bench-generated-"))
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; {count} submissions per phase")
    created: list[str] = []
    try:
        for phase in ("db", "dual", "json"):  # warm-up: connection, caches, first files
            with override_settings(INJAAZ_STORAGE_PHASE=phase, INJAAZ_LEGACY_DIR=root):
                for _ in range(20):
                    created.append(submission_create(module="hvac_mep", form_data=hvac_document()).submission_id)
        for phase in ("db", "dual", "json", "db", "dual", "json"):
            with override_settings(INJAAZ_STORAGE_PHASE=phase, INJAAZ_LEGACY_DIR=root):
                ids = []
                start = time.perf_counter()
                for index in range(count):
                    submission = submission_create(module="hvac_mep", form_data=hvac_document(f"Bench {index}"))
                    ids.append(submission.submission_id)
                elapsed = time.perf_counter() - start
                created.extend(ids)
                print(
                    f"write  {phase:<16} {count / elapsed:8.0f} submissions/s  ({elapsed * 1000 / count:.2f} ms each)"
                )
        for phase in ("db", "dual_read_db", "dual", "json", "db_read_fallback"):
            with override_settings(INJAAZ_STORAGE_PHASE=phase, INJAAZ_LEGACY_DIR=root):
                start = time.perf_counter()
                found = sum(submission_get(submission_id) is not None for submission_id in created)
                elapsed = time.perf_counter() - start
                print(f"read   {phase:<16} {len(created) / elapsed:8.0f} reads/s  ({found} of {len(created)} found)")
    finally:
        Submission.objects.filter(submission_id__in=created).delete()
        AuditLog.objects.filter(action="submit_form", details__submission_id__in=created).delete()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
