"""Test settings: the real settings with fast hashers, plain HTTP and a throwaway media root."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-for-the-suite-0123456789abcdefghijklmnop")
os.environ.setdefault("INJAAZ_HTTPS", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
# One warm connection per process: some tests fork fifty processes at once, and each keeps a pool
# (PostgreSQL allows 100 connections by default).
os.environ.setdefault("INJAAZ_DB_POOL_MIN_SIZE", "1")

from injaaz.settings import *  # noqa: F403
from injaaz.settings import BASE_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="injaaz-test-media-"))
INJAAZ_LEGACY_DIR = Path(tempfile.mkdtemp(prefix="injaaz-test-generated-"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Tests render pages without running collectstatic first: no manifest to look names up in.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# WhiteNoise serves the source files, found on each request, as under DEBUG.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
