"""bench/api_bench.py works: a few seconds of stores pushing orders through gunicorn on MariaDB."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(settings.BASE_DIR)


def test_two_stores_push_orders_over_http(tmp_path):
    if connection.vendor != "mysql":
        pytest.skip("the API bench runs gunicorn on MySQL/MariaDB here; run with DATABASE_URL=mysql://…")
    from tests.api.test_concurrency import PORTS
    from tests.ports import free_port, served_database_url

    url = served_database_url()
    connection.close()
    figures_path = tmp_path / "figures.json"
    command = [sys.executable, "bench/api_bench.py", "--database", url, "--existing", "--clients", "2"]
    command += ["--workers", "2", "--duration", "3", "--repeat-every", "3", "--port", str(free_port(PORTS))]
    command += ["--json", str(figures_path)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)  # noqa: S603

    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(figures_path.read_text())
    assert figures["orders_created"] > 0 and figures["statuses"].get("200", 0) > 0
    assert (figures["errors"], figures["server_tracebacks"]) == ([], 0)
    assert figures["verify_stock_ok"] and figures["orders_match"]
