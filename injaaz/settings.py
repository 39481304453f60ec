"""Injaaz settings: every value comes from the environment, read here once.

App code never reads ``os.environ``; it reads ``django.conf.settings``. The README's
"Configuration" section lists every variable below with its default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from injaaz.logs import LOG_FORMATS, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from error


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, "") or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


# --- Core -------------------------------------------------------------------------------------

HOW_TO_MAKE_A_KEY = 'Make one with: python -c "import secrets; print(secrets.token_urlsafe(50))"'
SECRET_KEY_MIN_LENGTH = 50  # Django's own deploy check (security.W009) asks for as much
SECRET_KEY_MIN_DISTINCT = 5


def weak_secret_key(key: str) -> str:
    """Why ``key`` may not sign sessions and reset links in production ("" when it may)."""
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"is {len(key)} characters long; it needs at least {SECRET_KEY_MIN_LENGTH}"
    if len(set(key)) < SECRET_KEY_MIN_DISTINCT:
        return f"has {len(set(key))} distinct characters; it needs at least {SECRET_KEY_MIN_DISTINCT}"
    if key.startswith("django-insecure-"):
        return "is a development key (it starts with 'django-insecure-')"
    return ""


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(f"SECRET_KEY is required unless DEBUG=1. {HOW_TO_MAKE_A_KEY}")
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production-0123456789"  # noqa: S105
elif not DEBUG and (weakness := weak_secret_key(SECRET_KEY)):
    # Refused at start-up, not only warned about by `check --deploy`, which production may never run.
    raise ImproperlyConfigured(f"SECRET_KEY {weakness}. {HOW_TO_MAKE_A_KEY}")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_tasks",
    "django_tasks_db",
    "injaaz",  # process set-up: forked children drop the parent's connection pool (injaaz/database.py)
    "accounts",
    "submissions",
    "jobs",
    "audit",
    "review",
]

MIDDLEWARE = [
    # First, so every log line and audit row of the request carries its id.
    "injaaz.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app itself (hashed names, pre-compressed, cached for a year), so
    # gunicorn alone serves complete pages and a reverse proxy is optional.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "injaaz.input_guard.NulByteMiddleware",  # before anything reads the session cookie or the query
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "accounts.middleware.AuthenticationMiddleware",  # Django's, with the session's user read with it
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "submissions.maintenance.middleware.MaintenanceModeMiddleware",
]

ROOT_URLCONF = "injaaz.urls"
WSGI_APPLICATION = "injaaz.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
# Unset DATABASE_URL means the embedded default: a SQLite file in the project.

DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES: dict[str, dict[str, Any]] = {
    "default": dict(dj_database_url.parse(DATABASE_URL))
    if DATABASE_URL
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A pool of open connections per process (psycopg_pool through Django): a request borrows
    # one and gives it back, so there is neither a new connection nor a health-check query per
    # request. The pool drops a connection it gets back broken; max_idle closes idle extras.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them; Django must not
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"]["OPTIONS"] = {
        **(DATABASES["default"].get("OPTIONS") or {}),
        "pool": {
            "min_size": env_int("INJAAZ_DB_POOL_MIN_SIZE", 2),
            "max_size": env_int("INJAAZ_DB_POOL_MAX_SIZE", 10),
            "timeout": env_int("INJAAZ_DB_POOL_TIMEOUT", 10),
            "max_idle": 300,
        },
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# --- Accounts ---------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.SessionUserBackend"]  # Django's ModelBackend (see the module)
SESSION_ENGINE = "accounts.sessions"  # database sessions that load their user in the same query
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Password checks within the window: this many for one e-mail (ten times as many from one
# address) and further attempts are refused, unchecked, until the window has passed.
INJAAZ_LOGIN_MAX_FAILURES = env_int("INJAAZ_LOGIN_MAX_FAILURES", 5)
INJAAZ_LOGIN_WINDOW_SECONDS = env_int("INJAAZ_LOGIN_WINDOW_SECONDS", 15 * 60)
# Password reset mails: this many per address, and requests per client address, in the window.
INJAAZ_PASSWORD_RESET_MAX_PER_EMAIL = env_int("INJAAZ_PASSWORD_RESET_MAX_PER_EMAIL", 3)
INJAAZ_PASSWORD_RESET_MAX_PER_IP = env_int("INJAAZ_PASSWORD_RESET_MAX_PER_IP", 20)
INJAAZ_PASSWORD_RESET_WINDOW_SECONDS = env_int("INJAAZ_PASSWORD_RESET_WINDOW_SECONDS", 60 * 60)
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "injaaz@localhost")
# Review e-mails (review/notifications.py): on/off, attempts per message, and the site's address
# for the links in them (empty: links are paths).
INJAAZ_REVIEW_EMAILS = env_bool("INJAAZ_REVIEW_EMAILS", default=True)
INJAAZ_REVIEW_EMAIL_MAX_ATTEMPTS = env_int("INJAAZ_REVIEW_EMAIL_MAX_ATTEMPTS", 3)
INJAAZ_SITE_URL = os.environ.get("INJAAZ_SITE_URL", "")

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Where photos, signatures and reports are kept: filesystem (default), s3 or cloudinary.
INJAAZ_STORAGE = env_choice("INJAAZ_STORAGE", "filesystem", ("filesystem", "s3", "cloudinary"))
# Seconds a signed link to a stored file stays valid (S3 and Cloudinary).
INJAAZ_STORAGE_URL_EXPIRY = env_int("INJAAZ_STORAGE_URL_EXPIRY", 300)


def storage_backend(kind: str) -> dict[str, object]:
    if kind == "s3":
        bucket = os.environ.get("INJAAZ_S3_BUCKET", "")
        if not bucket:
            raise ImproperlyConfigured("INJAAZ_STORAGE=s3 needs INJAAZ_S3_BUCKET.")
        s3_options: dict[str, object] = {
            "bucket_name": bucket,
            "endpoint_url": os.environ.get("INJAAZ_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("INJAAZ_S3_REGION") or None,
            "default_acl": None,  # private: files are served through signed links only
            "querystring_auth": True,
            "querystring_expire": INJAAZ_STORAGE_URL_EXPIRY,
            "file_overwrite": False,
            "signature_version": "s3v4",
        }
        # Without explicit keys boto3 uses its own chain (instance role, ~/.aws, AWS_* variables).
        if os.environ.get("INJAAZ_S3_ACCESS_KEY_ID"):
            s3_options["access_key"] = os.environ["INJAAZ_S3_ACCESS_KEY_ID"]
            s3_options["secret_key"] = os.environ.get("INJAAZ_S3_SECRET_ACCESS_KEY", "")
        return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options}
    if kind == "cloudinary":
        # CLOUDINARY_URL is the SDK's own form: cloudinary://<api_key>:<api_secret>@<cloud_name>
        from urllib.parse import urlsplit

        parts = urlsplit(os.environ.get("CLOUDINARY_URL", ""))
        if parts.scheme != "cloudinary" or not (parts.hostname and parts.username and parts.password):
            raise ImproperlyConfigured(
                "INJAAZ_STORAGE=cloudinary needs CLOUDINARY_URL=cloudinary://<api_key>:<api_secret>@<cloud_name>."
            )
        return {
            "BACKEND": "injaaz.storages.CloudinaryStorage",
            "OPTIONS": {
                "cloud_name": parts.hostname,
                "api_key": parts.username,
                "api_secret": parts.password,
                "upload_prefix": os.environ.get("INJAAZ_CLOUDINARY_UPLOAD_PREFIX", ""),
                "url_expiry": INJAAZ_STORAGE_URL_EXPIRY,
            },
        }
    return {"BACKEND": "django.core.files.storage.FileSystemStorage"}


STORAGES = {
    "default": storage_backend(INJAAZ_STORAGE),
    # Production serves what `collectstatic` wrote: content-hashed names (cached "forever" by
    # browsers) with gzip and brotli copies beside them. DEBUG serves the source files.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}


def storage_origins(kind: str) -> list[str]:
    """Where the browser loads stored files from when the app redirects it to a signed link."""
    from urllib.parse import urlsplit

    if kind == "s3":
        endpoint = urlsplit(os.environ.get("INJAAZ_S3_ENDPOINT_URL", ""))
        if endpoint.netloc:  # MinIO and the like: path-style or bucket-subdomain links on that host
            return [f"{endpoint.scheme}://{endpoint.netloc}", f"{endpoint.scheme}://*.{endpoint.netloc}"]
        bucket, region = os.environ.get("INJAAZ_S3_BUCKET", ""), os.environ.get("INJAAZ_S3_REGION", "")
        return [f"https://{bucket}.s3.amazonaws.com"] + (
            [f"https://{bucket}.s3.{region}.amazonaws.com"] if region else []
        )
    if kind == "cloudinary":  # signed links are private_download_url links on the API host
        prefix = urlsplit(os.environ.get("INJAAZ_CLOUDINARY_UPLOAD_PREFIX", "") or "https://api.cloudinary.com")
        return [f"{prefix.scheme}://{prefix.netloc}"]
    return []


# Photo and signature uploads: real JPEG/PNG/WebP images only, checked by decoding them.
INJAAZ_UPLOAD_MAX_BYTES = env_int("INJAAZ_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
INJAAZ_UPLOAD_MAX_PIXELS = env_int("INJAAZ_UPLOAD_MAX_PIXELS", 50_000_000)
INJAAZ_PHOTOS_PER_ITEM = env_int("INJAAZ_PHOTOS_PER_ITEM", 100)
# Photos are stored at most this many pixels on their long side (a JPEG larger than that is
# decoded at reduced size); 0 stores every photo at its own size.
INJAAZ_PHOTO_MAX_SIDE = env_int("INJAAZ_PHOTO_MAX_SIDE", 4096)
# Memory one web process may spend decoding uploads at once (estimated per image before it is
# decoded); more waits its turn, and an image that alone needs more is refused. 0: no bound.
INJAAZ_UPLOAD_DECODE_MEMORY_MB = env_int("INJAAZ_UPLOAD_DECODE_MEMORY_MB", 224)
# GPS position is removed from photos unless this is on.
INJAAZ_UPLOAD_KEEP_GPS = env_bool("INJAAZ_UPLOAD_KEEP_GPS")

# --- Legacy store and migration phase (see submissions/legacy and submissions/router.py) ------

INJAAZ_LEGACY_DIR = Path(os.environ.get("INJAAZ_LEGACY_DIR", BASE_DIR / "generated"))
INJAAZ_STORAGE_PHASE = env_choice(
    "INJAAZ_STORAGE_PHASE", "db", ("json", "dual", "dual_read_db", "db_read_fallback", "db")
)
INJAAZ_JOB_STORE = env_choice("INJAAZ_JOB_STORE", "db", ("db", "json"))
INJAAZ_SHADOW_COMPARE = env_bool("INJAAZ_SHADOW_COMPARE")

# Seconds a web process may answer from the maintenance state it last read (0: read it on
# every request). A switch reaches every process within this time.
INJAAZ_MAINTENANCE_CACHE_SECONDS = env_int("INJAAZ_MAINTENANCE_CACHE_SECONDS", 3)
# Seconds a process may use the HVAC taxonomy it last read; an edit shows at once in the process
# that made it, within this time in the others (0: read it every time).
INJAAZ_TAXONOMY_CACHE_SECONDS = env_int("INJAAZ_TAXONOMY_CACHE_SECONDS", 60)
# The same for the review stages a new submission starts at.
INJAAZ_REVIEW_STAGES_CACHE_SECONDS = env_int("INJAAZ_REVIEW_STAGES_CACHE_SECONDS", 60)

# --- Background tasks (the Tasks API; django_tasks today, django.tasks on Django 6) -----------

TASKS = {
    "default": {
        "BACKEND": os.environ.get("INJAAZ_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Report jobs (jobs/services.py): retries of transient storage errors with exponential back-off,
# how long a job may sit "started" (or "running" with no heartbeat from its worker) before the
# reaper re-queues or fails it, how often a worker says it is alive while it runs a job, how often
# `manage.py run_worker` reaps, and how long a signed download URL lives.
INJAAZ_REPORT_MAX_ATTEMPTS = env_int("INJAAZ_REPORT_MAX_ATTEMPTS", 3)
INJAAZ_REPORT_RETRY_BASE_SECONDS = env_int("INJAAZ_REPORT_RETRY_BASE_SECONDS", 10)
INJAAZ_REPORT_RETRY_MAX_SECONDS = env_int("INJAAZ_REPORT_RETRY_MAX_SECONDS", 300)
INJAAZ_JOB_STALE_SECONDS = env_int("INJAAZ_JOB_STALE_SECONDS", 900)
INJAAZ_JOB_REAP_INTERVAL = env_int("INJAAZ_JOB_REAP_INTERVAL", 60)
INJAAZ_JOB_HEARTBEAT_SECONDS = max(1, env_int("INJAAZ_JOB_HEARTBEAT_SECONDS", 10))
INJAAZ_DOWNLOAD_URL_SECONDS = env_int("INJAAZ_DOWNLOAD_URL_SECONDS", 60)
# On SIGTERM a worker lets the job in progress run this long, then gives it back to the queue
# (keep systemd's TimeoutStopSec for the worker above it: deploy/systemd/injaaz-worker.service).
INJAAZ_WORKER_STOP_SECONDS = env_int("INJAAZ_WORKER_STOP_SECONDS", 60)

# --- Security ---------------------------------------------------------------------------------
# Production (DEBUG off) is HTTPS-only unless INJAAZ_HTTPS=0 says the proxy terminates TLS
# and the app is never reached over plain HTTP from outside.

INJAAZ_HTTPS = env_bool("INJAAZ_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = INJAAZ_HTTPS
# Probes on the machine itself (monitoring, `curl http://127.0.0.1:8000/health`) speak plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SESSION_COOKIE_SECURE = INJAAZ_HTTPS
CSRF_COOKIE_SECURE = INJAAZ_HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if INJAAZ_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = INJAAZ_HTTPS
SECURE_HSTS_PRELOAD = INJAAZ_HTTPS
# Behind a reverse proxy: trust its X-Forwarded-Proto (and its X-Request-ID, injaaz.request_id).
INJAAZ_BEHIND_PROXY = env_bool("INJAAZ_BEHIND_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if INJAAZ_BEHIND_PROXY else None
CSRF_FAILURE_VIEW = "injaaz.csrf.csrf_failure"  # JSON routes answer {"error": ...}, pages Django's page
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 15 * 1024 * 1024

# Content-Security-Policy on every response (django-csp): scripts, styles, fonts, fetches and
# form posts from this site only, no inline script or style; images also from data: and blob:
# (signatures, photo previews), the storage's signed links, the old app's Cloudinary photo URLs
# (kept in imported documents) and any INJAAZ_CSP_IMG_HOSTS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": [
            "'self'",
            "data:",
            "blob:",
            "https://res.cloudinary.com",
            *storage_origins(INJAAZ_STORAGE),
            *env_list("INJAAZ_CSP_IMG_HOSTS"),
        ],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Logs go to stdout, one line per event (the service manager or the container keeps them);
# LOG_FORMAT=json for a log collector. injaaz.logs adds the request id to every line.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", LOG_FORMATS)
LOGGING = logging_config(log_format=LOG_FORMAT, level=os.environ.get("LOG_LEVEL", "INFO"))
