"""gunicorn settings for Injaaz: ``gunicorn -c deploy/gunicorn.conf.py injaaz.wsgi``.

Every value can be overridden from the environment (``GUNICORN_*``, below) without editing this
file; docs/DEPLOY.md says when to. Logs use the app's own format (``LOG_FORMAT``), one line each.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# gunicorn loads this file by path: the project (for injaaz.logs) is its parent's parent.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from injaaz.logs import LOG_FORMATS, logging_config


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


cores = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Threads, not just processes: most of a request's time is spent waiting on PostgreSQL or storage.
# One process per core plus one, four threads each: on 2 cores, 12 requests at once. Each process
# keeps its own pool of database connections (INJAAZ_DB_POOL_MAX_SIZE): processes x that, plus
# the report workers', must stay under PostgreSQL's max_connections.
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", cores + 1)
threads = _int("GUNICORN_THREADS", 4)

# The longest request is a photo upload from a phone: INJAAZ_UPLOAD_MAX_BYTES over a slow 1 Mbit/s
# link (10 MB: ~84 s). The timeout must outlast it, with a margin; never below two minutes.
_upload_max_bytes = _int("INJAAZ_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
timeout = _int("GUNICORN_TIMEOUT", max(120, round(_upload_max_bytes * 8 / 1_000_000 * 1.5)))
# On SIGTERM (systemd's stop, a restart) requests in progress get as long as that to finish.
graceful_timeout = timeout
keepalive = 5
# A process is replaced after this many requests (with jitter, so not all at once): bounds the
# memory a long-lived process can creep to.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10

# Behind a reverse proxy on the same machine: trust its X-Forwarded-For / -Proto (the default is
# 127.0.0.1 already; a proxy elsewhere is named here).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log: one line per request on stdout, with the request id the app answered with
# (X-Request-ID: the same id is on the app's log lines and audit rows) and the time in ms.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s" request_id=%({x-request-id}o)s'
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
_log_format = os.environ.get("LOG_FORMAT", "plain") or "plain"
logconfig_dict = logging_config(
    log_format=_log_format if _log_format in LOG_FORMATS else "plain",
    level=loglevel.upper(),
    extra_loggers={
        # Through the root handler, in the app's format.
        "gunicorn.error": {"level": loglevel.upper(), "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
    },
)

proc_name = "injaaz-web"
