"""The database connection lost in the middle of an operation (issue 15, "Faults and load").

MariaDB: a second connection KILLs ours while ship_orders is between the parcel's insert and its
COMMIT (from a receiver of parcels_shipped, which runs after the stock receiver). Nothing may be
half-written, the user gets the Chinese 503 page, and the next request works without a restart.
SQLite has no connection to lose; there only the rule that other database errors stay 500s applies.
"""

import urllib.error
import urllib.request
from urllib.parse import urlencode

import MySQLdb
import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt

from inventory.models import InventoryItem
from oms.db_errors import MESSAGE, is_connection_lost
from oms.urls import urlpatterns as project_urlpatterns
from orders import services
from orders.models import Carrier, Order, Parcel
from orders.signals import parcels_shipped, parcels_voided
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.importing import csv_bytes, db_snapshot
from tests.orders.test_import_admin import HEADERS, confirm, upload
from tests.orders.test_list_save import list_post


@csrf_exempt
def ship_view(request, pk):
    """A page that ships an order through the services, as the list save and the scan desk do."""
    order = Order.objects.get(pk=pk)
    services.ship_orders([(order, Carrier.objects.get(code="SF"), request.POST["number"])])
    return HttpResponse("已发货")


def broken_query_view(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM no_such_table")
    return HttpResponse("unreachable")


urlpatterns = [
    path("test/ship/<int:pk>/", ship_view),
    path("test/broken-query/", broken_query_view),
    *project_urlpatterns,
]

mariadb_only = pytest.mark.skipif("connection.vendor != 'mysql'", reason="killing a connection needs MariaDB")


def connection_id():
    with connection.cursor() as cursor:
        cursor.execute("SELECT CONNECTION_ID()")
        return cursor.fetchone()[0]


def kill(thread_id):
    """KILL a connection from a second one, as a database restart would, and wait until it is gone."""
    conf = connection.settings_dict
    other = MySQLdb.connect(
        host=conf["HOST"] or "127.0.0.1", port=int(conf["PORT"] or 3306), user=conf["USER"], passwd=conf["PASSWORD"]
    )
    try:
        cursor = other.cursor()
        cursor.execute("KILL CONNECTION %s", [thread_id])
        for _ in range(10_000):  # the server rolls the killed transaction back before the thread ends
            cursor.execute("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %s", [thread_id])
            if cursor.fetchone()[0] == 0:
                return
        raise AssertionError(f"connection {thread_id} still alive after KILL")
    finally:
        other.close()


def kill_once_on(signal):
    """Connect a receiver that kills its own connection the first time `signal` is sent; returns the killed ids.

    Receivers run in the order they connected, so ours comes after the one that moves stock: the
    parcel, its lines, the stock and the ledger are written, the COMMIT is not.
    """
    killed = []

    def receiver(sender, parcels, **kwargs):
        assert all(parcel.pk for parcel in parcels)
        if not killed:
            killed.append(connection_id())
            kill(killed[0])

    signal.connect(receiver, weak=False, dispatch_uid="test-kill-connection")
    return killed


@pytest.fixture
def kill_once_after_the_parcel_is_written():
    yield kill_once_on(parcels_shipped)
    parcels_shipped.disconnect(dispatch_uid="test-kill-connection")


def assert_verify_stock_clean():
    call_command("verify_stock")  # raises CommandError on any drift


@mariadb_only
@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_killed_in_the_middle_of_ship_orders_writes_nothing(kill_once_after_the_parcel_is_written):
    a, b = ItemFactory(initial_stock=10), ItemFactory(initial_stock=10)
    first = OrderFactory(lines=[(a, 2), (b, 1)])
    second = OrderFactory(item=a, quantity=3)  # same receiver: one merged parcel with `first`
    third = OrderFactory(item=b, quantity=1, receiver_name="李四")
    sf = carrier("SF")
    before = db_snapshot()
    batch = [(first, sf, sf_number(1)), (second, sf, sf_number(1)), (third, sf, sf_number(2))]

    with pytest.raises(OperationalError) as caught:
        services.ship_orders(batch)

    assert kill_once_after_the_parcel_is_written, "the connection was not killed"
    assert is_connection_lost(caught.value)
    assert db_snapshot() == before
    assert_verify_stock_clean()

    # The same process carries on: a new connection, and the batch ships in full.
    parcels = services.ship_orders(batch)
    assert connection_id() != kill_once_after_the_parcel_is_written[0]
    assert parcels[0] == parcels[1] != parcels[2]
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.SHIPPED}
    assert list(InventoryItem.objects.filter(pk__in=[a.pk, b.pk]).order_by("pk").values_list("stock", flat=True)) == [
        5,
        8,
    ]
    assert_verify_stock_clean()


@mariadb_only
@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_killed_in_the_middle_of_a_void_leaves_the_parcel_live():
    order = OrderFactory(lines=[(ItemFactory(initial_stock=5), 2), (ItemFactory(initial_stock=5), 1)])
    parcel = services.ship_order(order, carrier("SF"), sf_number(5))
    before = db_snapshot()
    killed = kill_once_on(parcels_voided)
    try:
        with pytest.raises(OperationalError):
            services.void_parcel(parcel)
    finally:
        parcels_voided.disconnect(dispatch_uid="test-kill-connection")

    assert killed
    assert db_snapshot() == before
    assert_verify_stock_clean()
    assert services.void_parcel(parcel).status == Parcel.Status.VOIDED  # and the retry voids it, once
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING
    assert_verify_stock_clean()


@mariadb_only
@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.urls(__name__)
def test_a_request_whose_connection_dies_gets_a_chinese_503_and_the_retry_ships(
    client, kill_once_after_the_parcel_is_written
):
    order = OrderFactory(quantity=2)
    before = db_snapshot()

    response = client.post(f"/test/ship/{order.pk}/", {"number": sf_number(3)})

    assert response.status_code == 503
    assert MESSAGE in response.content.decode()
    assert db_snapshot() == before
    assert_verify_stock_clean()

    response = client.post(f"/test/ship/{order.pk}/", {"number": sf_number(3)})

    assert response.status_code == 200
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    assert Parcel.objects.get().tracking_number == sf_number(3)


@mariadb_only
@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_a_database_restart_the_first_request_gets_503_and_the_next_one_reconnects(admin_client):
    """A persistent connection the server dropped between requests (a restart): the view's first query fails.

    Django's test client does not close broken connections between requests; the middleware must.
    """
    assert admin_client.get("/admin/auth/user/").status_code == 200
    kill(connection_id())

    response = admin_client.get("/admin/auth/user/")

    assert response.status_code == 503
    assert response["Retry-After"]
    assert MESSAGE in response.content.decode()
    assert admin_client.get("/admin/auth/user/").status_code == 200


@mariadb_only
@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.urls(__name__)
def test_over_real_http_a_killed_shipment_answers_503_and_the_next_request_ships(
    live_server, kill_once_after_the_parcel_is_written
):
    order = OrderFactory(quantity=2)
    before = db_snapshot()

    def post():
        data = urlencode({"number": sf_number(4)}).encode()
        try:
            with urllib.request.urlopen(f"{live_server.url}/test/ship/{order.pk}/", data, timeout=30) as reply:  # noqa: S310
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    status, body = post()

    assert status == 503
    assert MESSAGE in body
    assert db_snapshot() == before
    assert post() == (200, "已发货")
    assert Order.objects.get(pk=order.pk).status == Order.Status.SHIPPED
    assert_verify_stock_clean()


@mariadb_only
@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_list_page_save_whose_connection_dies_writes_nothing_and_the_resave_ships(
    clerk_client, kill_once_after_the_parcel_is_written
):
    orders = [OrderFactory(quantity=1), OrderFactory(quantity=2, receiver_name="李四")]
    typed = {order.pk: (carrier("SF"), sf_number(20 + n)) for n, order in enumerate(orders)}
    form = list_post(clerk_client, typed)
    before = db_snapshot()

    response = clerk_client.post(reverse("admin:orders_order_changelist"), form)

    assert kill_once_after_the_parcel_is_written, "the connection was not killed"
    assert response.status_code == 503 and MESSAGE in response.content.decode()
    assert db_snapshot() == before
    assert_verify_stock_clean()

    response = clerk_client.post(reverse("admin:orders_order_changelist"), form)  # the clerk presses 保存 again

    assert response.status_code == 302
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.SHIPPED}
    assert Parcel.objects.count() == 2
    assert_verify_stock_clean()


@mariadb_only
@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_tracking_import_whose_connection_dies_on_confirm_writes_nothing_and_can_be_confirmed_again(clerk_client):
    orders = [OrderFactory(quantity=1, receiver_name=f"收货人{n}") for n in range(30)]
    rows = [HEADERS, *[[order.order_no, "顺丰", sf_number(100 + n)] for n, order in enumerate(orders)]]
    preview = upload(clerk_client, csv_bytes(rows, "gbk"))  # the preview ships in a rolled-back dry run
    assert preview.context["confirm_form"] is not None
    before = db_snapshot()

    killed = kill_once_on(parcels_shipped)
    try:
        response = confirm(clerk_client, preview)
    finally:
        parcels_shipped.disconnect(dispatch_uid="test-kill-connection")

    assert killed, "the connection was not killed"
    assert response.status_code == 503 and MESSAGE in response.content.decode()
    assert db_snapshot() == before  # not the first rows of the file: nothing
    assert_verify_stock_clean()

    response = confirm(clerk_client, preview)  # the same confirmation, re-sent

    assert response.status_code == 302
    assert set(Order.objects.values_list("status", flat=True)) == {Order.Status.SHIPPED}
    assert Parcel.objects.count() == 30
    assert_verify_stock_clean()


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_database_error_that_is_not_a_lost_connection_stays_a_500(client):
    client.raise_request_exception = False

    response = client.get("/test/broken-query/")

    assert response.status_code == 500
    assert MESSAGE not in response.content.decode()
