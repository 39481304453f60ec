"""Settings for worker processes the integration tests start: the test settings, sharing the
test process's media folder, legacy folder and (through DATABASE_URL) its test database."""

import os
from pathlib import Path

from injaaz.settings_test import *  # noqa: F403

MEDIA_ROOT = Path(os.environ["INJAAZ_TEST_MEDIA_ROOT"])
INJAAZ_LEGACY_DIR = Path(os.environ["INJAAZ_TEST_LEGACY_DIR"])
STORAGES = {
    "default": {"BACKEND": "tests.jobs_support.ControlledStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
