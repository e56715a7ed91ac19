"""Reports, exports and the dashboard on a real MariaDB read replica (issue 15, scale out).

The tests start their own primary and replica (tests/replication.py, ports 18881/18882) and point
Django's `default` and `replica` at them as DATABASE_URL and DATABASE_REPLICA_URL would, so they
run the same in the SQLite and the MariaDB half of the suite. Without mariadbd they skip (CI has it
and sets OMS_REQUIRE_MARIADB=1, which turns that skip into a failure).
"""

import csv
import io
import itertools
import os
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from oms.db_router import REPLICA
from orders import services
from orders.models import Carrier, Order, Parcel
from orders.reports import replica
from orders.reports.shipping import daily_shipping_rows, shipped_parcels
from orders.resources import OrderExportResource
from tests.factories import OrderFactory, carrier
from tests.orders.report_data import new_number
from tests.orders.test_admin_list import row_post
from tests.replication import BLIND_USER, DATABASE, MONITOR_ONLY_USER, mariadbd, port_in_use, replicated_pair

REPORT_URL = reverse("admin:shipping_report")
LIST_URL = reverse("admin:orders_order_changelist")
FROM_REPLICA = re.compile(r"报表数据来自只读副本，延迟约 \d+ 秒")
NOWHERE_PORT = 18883  # one of this suite's ports where nothing listens: an unreachable replica
_users = itertools.count(1)


@pytest.fixture(scope="module")
def pair(django_db_blocker):
    """A primary and replica for this module, the project's schema migrated on the primary and replicated."""
    if mariadbd() is None:
        if os.environ.get("OMS_REQUIRE_MARIADB") == "1":
            pytest.fail("mariadbd is not installed, but OMS_REQUIRE_MARIADB=1 requires these tests to run")
        pytest.skip("mariadbd is not installed (apt-get install mariadb-server)")
    with django_db_blocker.unblock(), replicated_pair() as started:
        with started.as_django_databases():
            call_command("migrate", verbosity=0)
        started.wait_for_replica()
        yield started


@pytest.fixture
def replicated(pair, django_db_blocker):
    """Django on the pair (fresh connections); replication running and caught up again afterwards."""
    with django_db_blocker.unblock():
        with pair.as_django_databases():
            yield pair
        pair.start_replication()


def logged_in_manager():
    """A client logged in as a new superuser, both written on the primary (no `db` fixture: it would
    hold the test in a transaction the replica never sees)."""
    user = get_user_model().objects.create_superuser(f"boss{next(_users)}", "boss@example.com", "pw-boss-12345")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager(replicated):
    return logged_in_manager()


def ship(user=None):
    """A new order shipped whole on the primary (SF), as a clerk would."""
    order = OrderFactory()
    services.ship_order(order, carrier("SF"), new_number("SF"), user=user)
    return order


def tables_read(queries):
    return {table for query in queries for table in re.findall(r"FROM `(\w+)`", query["sql"])}


def report_page(client):
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        response = client.get(REPORT_URL)
    assert response.status_code == 200
    return response.content.decode(), tables_read(on_replica.captured_queries)


def csv_order_nos(client):
    response = client.get(REPORT_URL, {"format": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return {row["订单号"] for row in csv.DictReader(io.StringIO(text))}


def test_rows_shipped_on_the_primary_are_read_through_the_replica(replicated, manager):
    order = ship()
    replicated.wait_for_replica()

    content, read_there = report_page(manager)

    assert FROM_REPLICA.search(content)
    assert order.order_no in content
    # The page's parcels, lines and names were read on the replica, not the primary.
    assert {"orders_parcel", "orders_parcelline", "inventory_inventoryitem", "orders_carrier"} <= read_there
    assert order.order_no in csv_order_nos(manager)


def test_a_row_not_replicated_yet_is_absent_on_the_replica_and_the_page_reads_the_primary(replicated, manager):
    replicated_order = ship()
    replicated.wait_for_replica()
    replicated.stop_replication()
    late = ship()

    on_replica = {row[0] for row in daily_shipping_rows(shipped_parcels().using(REPLICA))}
    assert replicated_order.order_no in on_replica and late.order_no not in on_replica

    content, read_there = report_page(manager)
    assert "副本复制已停止，本页改读主库。" in content
    assert late.order_no in content and replicated_order.order_no in content
    assert "orders_parcel" not in read_there
    assert late.order_no in csv_order_nos(manager)


def test_shipping_from_the_list_writes_the_primary_only(replicated, manager):
    replicated.stop_replication()
    order = OrderFactory()
    number = new_number("SF")

    response = manager.post(LIST_URL, row_post(manager, order, number), follow=True)

    assert response.status_code == 200
    assert Parcel.objects.using("default").filter(tracking_number=number, lines__line__order=order).exists()
    # Not on the replica: nothing wrote there; it arrives only through replication.
    assert not Parcel.objects.using(REPLICA).filter(tracking_number=number).exists()
    replicated.start_replication()
    assert Parcel.objects.using(REPLICA).filter(tracking_number=number).exists()


def test_an_object_read_on_the_replica_is_saved_on_the_primary(replicated):
    Carrier.objects.create(name="测试快递", code="TST", tracking_url_template="https://t.example/{number}")
    replicated.wait_for_replica()
    replicated.stop_replication()
    read_there = Carrier.objects.using(REPLICA).get(code="TST")

    read_there.name = "测试快递（改名）"
    read_there.save()

    assert Carrier.objects.using("default").get(code="TST").name == "测试快递（改名）"
    assert Carrier.objects.using(REPLICA).get(code="TST").name == "测试快递"


def test_a_service_given_an_order_read_on_the_replica_writes_and_reads_the_primary(replicated):
    order = OrderFactory()
    replicated.wait_for_replica()
    from_replica = Order.objects.using(REPLICA).get(pk=order.pk)
    replicated.stop_replication()

    services.cancel_order(from_replica)

    assert Order.objects.using("default").get(pk=order.pk).status == Order.Status.CANCELLED
    assert Order.objects.using(REPLICA).get(pk=order.pk).status == Order.Status.PENDING


def test_inside_a_transaction_reports_read_the_primary(replicated):
    replicated.stop_replication()
    with transaction.atomic():
        order = ship()
        source = replica.report_source()
        rows = {row[0] for row in daily_shipping_rows(shipped_parcels().using(source.alias))}
    assert source.alias == "default"
    assert order.order_no in rows


def test_the_order_export_reads_the_replica_and_falls_back_when_replication_stops(replicated):
    shipped = ship()
    replicated.wait_for_replica()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        rows = OrderExportResource().export(Order.objects.filter(pk=shipped.pk)).dict
    assert [row["订单号"] for row in rows] == [shipped.order_no]
    assert {"orders_order", "orders_orderline", "orders_parcelline"} <= tables_read(on_replica.captured_queries)

    replicated.stop_replication()
    late = ship()
    rows = OrderExportResource().export(Order.objects.filter(pk=late.pk)).dict
    assert [(row["订单号"], row["已发数量"]) for row in rows] == [(late.order_no, 1)]


def test_the_dashboard_says_where_it_read(replicated, manager):
    ship()
    replicated.wait_for_replica()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        content = manager.get("/admin/").content.decode()
    assert FROM_REPLICA.search(content)
    assert "orders_parcel" in tables_read(on_replica.captured_queries)

    replicated.stop_replication()
    assert "副本复制已停止，本页改读主库。" in manager.get("/admin/").content.decode()


def test_an_unreachable_replica_reads_the_primary_and_says_so(pair, django_db_blocker):
    assert not port_in_use(NOWHERE_PORT)
    with django_db_blocker.unblock(), pair.as_django_databases(replica_port=NOWHERE_PORT):
        order = ship()
        client = logged_in_manager()

        response = client.get(REPORT_URL)
        assert response.status_code == 200
        content = response.content.decode()
        assert "只读副本连接不上，本页改读主库。" in content and order.order_no in content
        assert order.order_no in csv_order_nos(client)
        index = client.get("/admin/")
        assert index.status_code == 200 and "只读副本连接不上" in index.content.decode()
    pair.wait_for_replica()


def test_an_account_that_may_not_read_the_lag_reads_the_primary(pair, django_db_blocker):
    with django_db_blocker.unblock(), pair.as_django_databases(replica_user=BLIND_USER):
        pair.stop_replication()
        order = ship()
        client = logged_in_manager()

        content = client.get(REPORT_URL).content.decode()

        assert "缺少 REPLICA MONITOR 权限" in content and "本页改读主库" in content
        assert order.order_no in content
    pair.start_replication()


def test_a_replica_that_fails_while_the_page_reads_it_is_replaced_by_the_primary(pair, django_db_blocker):
    # The lag is readable, the report's rows are not (SELECT granted on one table only): the
    # failure comes half-way through the page, after the replica was chosen.
    pair.primary.sql(f"GRANT SELECT ON `{DATABASE}`.`django_migrations` TO '{MONITOR_ONLY_USER}'@'127.0.0.1'")
    with django_db_blocker.unblock(), pair.as_django_databases(replica_user=MONITOR_ONLY_USER):
        order = ship()
        pair.wait_for_replica()
        client = logged_in_manager()

        page = client.get(REPORT_URL)
        index = client.get("/admin/")

        assert page.status_code == 200 and index.status_code == 200
        content = page.content.decode()
        assert "读取只读副本时出错，本页改读主库。" in content and order.order_no in content
        assert "读取只读副本时出错" in index.content.decode()
        rows = OrderExportResource().export(Order.objects.filter(pk=order.pk)).dict
        assert [row["订单号"] for row in rows] == [order.order_no]


def test_the_shipping_report_command_reads_the_replica(replicated, capsys):
    order = ship()
    replicated.wait_for_replica()
    day = timezone.localdate().isoformat()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        call_command("shipping_report", "--date", day)
    captured = capsys.readouterr()
    assert order.order_no in captured.out and FROM_REPLICA.search(captured.err)
    assert "orders_parcel" in tables_read(on_replica.captured_queries)
