"""Settings for app servers the tests start as subprocesses (gunicorn on the test database).

The test settings, with Django's default password hasher first: its deliberate slowness is what
lets parallel logins overlap in the password check, as they do in production.
"""

from injaaz.settings_test import *  # noqa: F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
