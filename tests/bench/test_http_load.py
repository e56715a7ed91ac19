"""bench/http_load.py works: a few seconds of clerks shipping through gunicorn over HTTP on MariaDB.

The bench's own checks (no error, verify_stock, one live parcel per shipped order, the parcels
exactly what the clerks were told) decide its exit status; the database is read here as well.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from orders.models import Order, Parcel
from tests.ports import free_port

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(settings.BASE_DIR)
PORTS = range(18850, 18860)  # the bench's default is 18840; these are the tests'


@pytest.fixture
def database_url():
    if connection.vendor != "mysql":
        pytest.skip("the load bench runs gunicorn on MySQL/MariaDB here; run with DATABASE_URL=mysql://…")
    conf = connection.settings_dict
    return (
        f"mysql://{conf['USER']}:{conf['PASSWORD']}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 3306}/{conf['NAME']}"
    )


def test_two_clerks_ship_through_the_list_and_the_scan_desk_over_http(database_url, tmp_path):
    figures_path = tmp_path / "figures.json"
    command = [sys.executable, "bench/http_load.py", "--database", database_url, "--existing"]
    command += ["--clerks", "2", "--duration", "4", "--orders", "150", "--workers", "2"]
    command += ["--port", str(free_port(PORTS)), "--json", str(figures_path), "--workdir", str(tmp_path)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603

    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(figures_path.read_text())
    assert (figures["errors"], figures["server_tracebacks"]) == (0, 0)
    assert figures["shipped_by"]["list"] > 0 and figures["shipped_by"]["scan"] > 0
    assert figures["actions"]["report CSV"]["requests"] > 0 and figures["last_csv_rows"] > 0
    assert figures["verify_stock"]["ok"]
    # The server's writes, read back here: one live parcel per order the clerks were told shipped.
    shipped = figures["orders_shipped"]
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == shipped
    assert Parcel.objects.filter(status__in=Parcel.LIVE).count() == shipped
