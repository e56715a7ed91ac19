"""scripts/backup.sh and scripts/restore.sh (docs/DEPLOYMENT.md, 6): a backup restored into a fresh
database passes verify_stock and holds exactly the rows of the original, even when it was taken
while a shipment was half-way through its transaction."""

import gzip
import os
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from orders import services
from orders.models import Order, Parcel, ParcelLine
from orders.signals import parcels_shipped
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(settings.BASE_DIR)
DUMP_TIMEOUT = 60  # seconds; a dump that waits for a lock instead of reading a snapshot fails here


@pytest.fixture(autouse=True)
def needs_mysql():
    if connection.vendor != "mysql":
        pytest.skip("mysqldump backs up MySQL/MariaDB; run with DATABASE_URL=mysql://…")


@pytest.fixture
def client_env(tmp_path):
    """The scripts' environment: a [client] defaults file for the test server, as /etc/oms/backup.cnf is."""
    conf = connection.settings_dict
    defaults = tmp_path / "backup.cnf"
    defaults.write_text(
        "[client]\n"
        f"host={conf['HOST'] or '127.0.0.1'}\nport={conf['PORT'] or 3306}\n"
        f"user={conf['USER']}\npassword={conf['PASSWORD']}\n"
    )
    defaults.chmod(0o600)
    return {**os.environ, "OMS_MYSQL_DEFAULTS": str(defaults)}


@pytest.fixture
def fresh_database(client_env):
    """A database name that does not exist yet; dropped at the end whatever happened."""
    name = f"oms_faults_restore_{uuid.uuid4().hex[:8]}"
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


def script(name, *args, env):
    """Run scripts/`name` as cron or an admin would; a dump that waits on a lock times out here."""
    command = [shutil.which("bash"), str(ROOT / "scripts" / name), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=DUMP_TIMEOUT, check=False)  # noqa: S603


def run_script(name, *args, env):
    result = script(name, *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def verify_stock(database):
    conf = connection.settings_dict
    url = f"mysql://{conf['USER']}:{conf['PASSWORD']}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 3306}/{database}"
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "manage.py", "verify_stock"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=DUMP_TIMEOUT,
        check=False,
    )


def database_exists(name):
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", [name])
        return cursor.fetchone()[0] == 1


def shop_tables():
    return sorted(
        model._meta.db_table
        for label in ("orders", "inventory")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    )


def rows_and_checksums(database):
    """{table: (row count, CHECKSUM TABLE)} of every orders/inventory table in `database`."""
    found = {}
    with connection.cursor() as cursor:
        for table in shop_tables():
            cursor.execute(f"SELECT COUNT(*) FROM `{database}`.`{table}`")  # noqa: S608 (names from the schema)
            count = cursor.fetchone()[0]
            cursor.execute(f"CHECKSUM TABLE `{database}`.`{table}`")
            found[table] = (count, cursor.fetchone()[1])
    return found


def build_shop(user):
    """Multi-line orders shipped whole, merged, split and voided: every shape a parcel takes."""
    sf = carrier("SF")
    a, b, c = (ItemFactory(initial_stock=50) for _ in range(3))
    whole = OrderFactory(lines=[(a, 1), (b, 2), (c, 3)])
    services.ship_order(whole, sf, sf_number(101), user=user)
    first, second = OrderFactory(lines=[(a, 2), (b, 1)]), OrderFactory(item=c, quantity=4)
    services.ship_orders([(first, sf, sf_number(102)), (second, sf, sf_number(102))], user=user)
    split = OrderFactory(lines=[(a, 3), (b, 2)])
    line_a, line_b = split.lines.order_by("pk")
    services.ship_parcel([(line_a, 3), (line_b, 1)], sf, sf_number(103), user=user)
    voided = services.ship_parcel([(line_b, 1)], sf, sf_number(104), user=user)
    services.void_parcel(voided, user=user)
    OrderFactory(lines=[(a, 1), (c, 1)], receiver_name="李四")  # still pending

    # The data really holds a merge, a split and a void, or the comparison below proves little.
    merged = ParcelLine.objects.filter(parcel__tracking_number=sf_number(102)).values("line__order").distinct()
    assert merged.count() == 2
    assert Parcel.objects.filter(lines__line__order=split).distinct().count() == 2
    assert Order.objects.get(pk=split.pk).status == Order.Status.PARTIAL
    assert Parcel.objects.filter(status=Parcel.Status.VOIDED).count() == 1


def test_a_backup_restored_into_a_fresh_database_passes_verify_stock_with_the_same_rows(
    clerk, tmp_path, client_env, fresh_database
):
    build_shop(clerk)
    original = connection.settings_dict["NAME"]

    dump = run_script("backup.sh", original, str(tmp_path / "oms.sql.gz"), env=client_env)
    run_script("restore.sh", dump, fresh_database, env=client_env)
    checked = verify_stock(fresh_database)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "库存与流水一致" in checked.stdout
    restored = rows_and_checksums(fresh_database)
    assert restored == rows_and_checksums(original)
    assert all(restored[model._meta.db_table][0] for model in (Order, Parcel, ParcelLine))


def test_restore_refuses_an_existing_database_and_a_cut_off_backup(clerk, tmp_path, client_env, fresh_database):
    OrderFactory()
    dump = run_script("backup.sh", connection.settings_dict["NAME"], str(tmp_path / "a.sql.gz"), env=client_env)
    cut = tmp_path / "cut.sql.gz"
    cut.write_bytes(gzip.compress(gzip.decompress(Path(dump).read_bytes())[:2000]))  # a dump cut off mid-way

    refused = script("restore.sh", str(cut), fresh_database, env=client_env)
    assert refused.returncode != 0
    assert "备份文件不完整" in refused.stderr
    assert not database_exists(fresh_database)

    run_script("restore.sh", dump, fresh_database, env=client_env)
    again = script("restore.sh", dump, fresh_database, env=client_env)
    assert again.returncode != 0  # CREATE DATABASE fails: a restore never overwrites a database
    assert "exists" in again.stderr


def test_a_backup_taken_during_a_shipment_neither_waits_for_it_nor_holds_half_of_it(
    clerk, tmp_path, client_env, fresh_database
):
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(lines=[(item, 2), (ItemFactory(initial_stock=10), 1)])
    in_transaction, release, outcome = threading.Event(), threading.Event(), []

    def hold_open(sender, **kwargs):  # after the stock receiver: parcel, lines, stock and ledger written
        in_transaction.set()
        release.wait(DUMP_TIMEOUT)

    def ship():
        try:
            outcome.append(services.ship_order(Order.objects.get(pk=order.pk), carrier("SF"), sf_number(9)))
        finally:
            connection.close()

    parcels_shipped.connect(hold_open, dispatch_uid="test-hold-open")
    shipper = threading.Thread(target=ship)
    shipper.start()
    try:
        assert in_transaction.wait(DUMP_TIMEOUT)
        dump = run_script("backup.sh", connection.settings_dict["NAME"], str(tmp_path / "b.sql.gz"), env=client_env)
    finally:
        release.set()
        shipper.join()
        parcels_shipped.disconnect(dispatch_uid="test-hold-open")
    assert outcome, "the shipment did not commit"

    run_script("restore.sh", dump, fresh_database, env=client_env)
    checked = verify_stock(fresh_database)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM `{fresh_database}`.`{Parcel._meta.db_table}`")  # noqa: S608
        assert cursor.fetchone()[0] == 0
        cursor.execute(f"SELECT stock FROM `{fresh_database}`.`{item._meta.db_table}` WHERE id = %s", [item.pk])  # noqa: S608
        assert cursor.fetchone()[0] == 10
    assert Parcel.objects.get().pk == outcome[0].pk  # the live database has the shipment, committed after the dump
