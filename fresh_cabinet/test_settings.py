"""Settings for the test suite: the same as production code paths, faster hashing."""

from .settings import *  # noqa: F403

# Login tests would spend seconds in PBKDF2 otherwise.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
POSTING_LOCK_TIMEOUT_MS = 2000
