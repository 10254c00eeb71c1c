"""Test settings: fast password hashing and a cheap client KDF, nothing else changed.

``DATABASE_URL`` and ``REDIS_URL`` still choose PostgreSQL and Redis (CI sets both).
"""

from os import environ as _os_env

from relay.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
RELAY_KDF_OPSLIMIT = 1
RELAY_KDF_MEMLIMIT = 8192 * 1024
SECRET_KEY = "test-secret-key-not-for-any-deployment-0123456789abcdef"  # noqa: S105
RELAY_AUDIT_KEY = "test-audit-key-not-for-any-deployment-0123456789abcdef"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The pytest process itself closes its connections after each call: its many short-lived
# threads (in-process sockets) would otherwise keep connections the test database's teardown
# waits for. The Daphne processes tests start keep theirs, as in production (tests/conftest.py).
DATABASES["default"]["CONN_MAX_AGE"] = int(_os_env.get("RELAY_DB_CONN_MAX_AGE", "0"))
# A file, not memory, so a Daphne started by a test shares the test database; one per test
# run, so two runs on one machine never share (or delete) each other's database.
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    import os as _os

    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASES["default"]["TEST"]["NAME"] = str(BASE_DIR / "var" / f"test-{_os.getpid()}.sqlite3")
# Audit checkpoints go to a temporary directory of this test run's own (inherited by the
# Daphne processes it starts), so runs never see each other's checkpoints; tests/audit gives
# each test its own.
import os as _os
import tempfile as _tempfile

RELAY_AUDIT_CHECKPOINT_DIR = _os.environ.setdefault(
    "RELAY_AUDIT_CHECKPOINT_DIR",
    _os.path.join(_tempfile.gettempdir(), f"relay-test-audit-{_os.getpid()}"),
)
# Page shells tell the browser client to accept the cheap KDF parameters above.
RELAY_TEST_KDF_FLOOR = True
# Quick exit goes to a neutral page served locally, so browser tests stay offline.
RELAY_QUICK_EXIT_URL = "/weather"
RELAY_SERVE_NEUTRAL_PAGE = True
# Each test run counts sign-in attempts under its own prefix, so runs sharing one Redis never
# throttle each other; Daphne processes started by the run inherit the same prefix.
if "CACHES" in globals() and CACHES["default"]["BACKEND"].endswith("RedisCache"):
    import os as _os

    CACHES["default"]["KEY_PREFIX"] = _os.environ.setdefault(
        "RELAY_TEST_CACHE_PREFIX", f"t{_os.getpid()}"
    )
# Text messages are kept in memory (relay.notifications.sms.LocmemBackend.outbox).
RELAY_SMS_BACKEND = "relay.notifications.sms.LocmemBackend"
# A cheap proof of work for self-referrals, so tests and the browser walk stay quick.
RELAY_REFERRAL_PROOF_BITS = 8
# Attachment blobs go to this test run's own temporary directory (inherited by its Daphnes).
RELAY_ATTACHMENT_DIR = _os.environ.setdefault(
    "RELAY_ATTACHMENT_DIR",
    _os.path.join(_tempfile.gettempdir(), f"relay-test-attachments-{_os.getpid()}"),
)
STORAGES["attachments"] = attachment_storage(RELAY_ATTACHMENT_STORAGE, RELAY_ATTACHMENT_DIR)  # noqa: F405
