"""The embedded SQLite database under several server processes: concurrent saves wait, never fail."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
SAVES = 40

# A clerk's save, as the admin does it: read the row, then write, in one transaction.
WORKER = """
import sys
import django
django.setup()
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

worker = sys.argv[1]
print("ready", flush=True)
sys.stdin.readline()  # every worker is connected: all start saving together
failures = []
for n in range(int(sys.argv[2])):
    try:
        with transaction.atomic():
            Session.objects.filter(session_key__startswith=worker).count()
            Session.objects.create(session_key=f"{worker}-{n}", session_data="", expire_date=timezone.now())
    except Exception as exc:
        failures.append(repr(exc))
print(len(failures), failures[:1], flush=True)
"""


def project_env(db_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_SETTINGS_MODULE="oms.settings", DJANGO_DEBUG="1", DATABASE_URL=f"sqlite:///{db_path}")
    return env


def test_clerks_saving_at_the_same_moment_all_succeed(tmp_path):
    env = project_env(tmp_path / "db.sqlite3")
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "sessions", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrated.returncode == 0, migrated.stderr
    workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WORKER, f"w{i}", str(SAVES)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(WORKERS)
    ]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    reports = [worker.communicate(timeout=60)[0].strip() for worker in workers]

    assert all(worker.returncode == 0 for worker in workers)
    assert reports == ["0 []"] * WORKERS
