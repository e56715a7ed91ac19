"""The test suite's settings: the demo's debug mode, unless the environment says otherwise.

Debug mode serves static files straight from the apps and uses this installation's own random
key (oms.settings.local_secret_key); the test runner still switches settings.DEBUG off.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from oms.settings import *  # noqa: F403

# A developer's DATABASE_REPLICA_URL is not the suite's: the replica tests start their own (tests/replication.py).
DATABASES.pop("replica", None)  # noqa: F405

# Every test that makes a user (clerk, ops, manager…) would spend ~0.3 s in PBKDF2, which is slow on
# purpose; the suite's users need a hash, not a strong one. Production keeps Django's default.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
