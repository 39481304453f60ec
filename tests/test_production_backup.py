"""docs/DEPLOY.md's backup and its restore drill, run as written.

A site with reports built by its worker is backed up (``pg_dump`` in custom format, the media
folder with ``rsync``), restored into a new database and folder, checked with
``verify_audit_chain --expect-head`` (the head recorded before the dump) and by counting rows, and
served: a restored submission's report downloads, the same bytes as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.production_support import Browser, Site, ThrowawayPostgres, free_port, wait_for
from tests.system_requirements import require_program
from tests.test_production_deploy import (
    INSPECTOR_EMAIL,
    INSPECTOR_PASSWORD,
    job_status,
    submit_report,
)

pytestmark = [pytest.mark.postgres]

TABLES = ("users", "submissions", "uploaded_files", "jobs", "audit_logs", "django_tasks_database_dbtaskresult")


def counts(cluster: ThrowawayPostgres, database: str) -> dict[str, int]:
    return {table: int(cluster.psql(database, f"SELECT count(*) FROM {table}")) for table in TABLES}


def serve(site: Site) -> Browser:
    site.run_in_background("web", "gunicorn -c deploy/gunicorn.conf.py injaaz.wsgi")
    browser = Browser(site.port)

    def answers() -> bool:
        try:
            return browser.get("/health").status == 200
        except OSError:
            return False

    wait_for(answers, timeout=60, what="gunicorn to answer")
    return browser


@pytest.fixture
def cluster() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    try:
        yield server
    finally:
        server.destroy()


def test_backup_and_restore_drill(cluster: ThrowawayPostgres, tmp_path: Path) -> None:
    require_program("rsync", package="rsync")
    cluster.psql("postgres", "CREATE DATABASE injaaz")
    key = "drill-" + "k3y-9QxZ" * 8
    site = Site.make(tmp_path / "site", database_url=cluster.url("injaaz"), secret_key=key, port=free_port())
    site.folder.mkdir()
    backups = tmp_path / "backups"
    backups.mkdir()
    restored: Site | None = None
    try:
        # Populate: two reports an inspector submitted, built by the worker.
        site.run("python manage.py migrate --noinput")
        site.run("python manage.py collectstatic --noinput")
        site.manage(
            "shell",
            "-c",
            "from accounts.models import User; "
            f"User.objects.create_user({INSPECTOR_EMAIL!r}, {INSPECTOR_PASSWORD!r}, role='inspector')",
        )
        browser = serve(site)
        site.run_in_background("worker", "python manage.py run_worker")
        browser.log_in(INSPECTOR_EMAIL, INSPECTOR_PASSWORD)
        jobs = [submit_report(browser, photos=2)[0] for _ in range(2)]
        wait_for(
            lambda: all(job_status(browser, job_id)["status"] == "done" for job_id in jobs), timeout=180, what="reports"
        )
        original_pdf = browser.get(job_status(browser, jobs[0])["pdf_url"]).body
        assert original_pdf.startswith(b"%PDF-")
        site.stop_all()

        # Before the dump: the audit chain's head, written down somewhere else.
        verified = site.run("python manage.py verify_audit_chain").stdout
        head = re.search(r"hash ([0-9a-f]{64})\.", verified).group(1)  # type: ignore[union-attr]
        before = counts(cluster, "injaaz")
        assert before["submissions"] == 2 and before["jobs"] == 2

        # The backup, as DEPLOY.md gives it (PATH leads to this PostgreSQL's own pg_dump).
        tools = f"{cluster.bin}:{site.env['PATH']}"
        site.env.update(PATH=tools, BACKUP_DIR=str(backups))
        site.run('pg_dump --format=custom --file="$BACKUP_DIR/injaaz.dump" "$DATABASE_URL"')
        site.run('rsync -a --delete "$MEDIA_ROOT/" "$BACKUP_DIR/media/"')

        # The drill: a new database and a new media folder from the backup.
        restored = Site.make(
            tmp_path / "restored", database_url=cluster.url("injaaz_restored"), secret_key=key, port=free_port()
        )
        restored.folder.mkdir()
        restored.env.update(STATIC_ROOT=site.env["STATIC_ROOT"], PATH=tools, BACKUP_DIR=str(backups), AUDIT_HEAD=head)
        site.run('createdb --maintenance-db="$DATABASE_URL" injaaz_restored')
        restored.run('pg_restore --no-owner --exit-on-error --dbname="$DATABASE_URL" "$BACKUP_DIR/injaaz.dump"')
        restored.run('rsync -a "$BACKUP_DIR/media/" "$MEDIA_ROOT/"')

        checked = restored.run('python manage.py verify_audit_chain --expect-head "$AUDIT_HEAD"').stdout
        assert checked.startswith(f"Audit chain intact: {before['audit_logs']} rows")
        assert counts(cluster, "injaaz_restored") == before

        # A restored submission's report downloads, byte for byte.
        browser = serve(restored)
        browser.log_in(INSPECTOR_EMAIL, INSPECTOR_PASSWORD)
        download = browser.get(job_status(browser, jobs[0])["pdf_url"])
        assert download.status == 200 and download.body == original_pdf
        restored.stop_all()

        # The rollback DEPLOY.md gives: the request-id column goes and comes back (empty), and
        # every link still verifies: the column is outside the hash chain.
        restored.run("python manage.py migrate audit 0003_audit_logs_append_only_trigger")
        assert "[ ] 0004_audit_logs_request_id" in restored.manage("showmigrations", "audit").stdout
        restored.run("python manage.py migrate --noinput")
        again = restored.run('python manage.py verify_audit_chain --expect-head "$AUDIT_HEAD"').stdout
        assert again.startswith("Audit chain intact: ")  # with the drill's own login and download added
    finally:
        site.stop_all()
        if restored is not None:
            restored.stop_all()
