"""Several clerks shipping at once, on a real MySQL/MariaDB (SQLite serialises all writers)."""

import io
import threading
import time

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from inventory.models import InventoryItem
from orders import services
from orders.models import Order, Parcel, Shop
from tests.factories import ItemFactory, OrderFactory, ShopFactory, carrier, sf_number
from tests.role_fixtures import staff_in

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def needs_mysql():
    if connection.vendor != "mysql":
        pytest.skip("row locks need MySQL/MariaDB; run with DATABASE_URL=mysql://…")


def run_in_threads(targets):
    barrier = threading.Barrier(len(targets))
    outcomes, messages = [], []

    def worker(target):
        barrier.wait()
        try:
            target()
            outcomes.append("ok")
        except services.InsufficientStock:
            outcomes.append("insufficient")
        except ValidationError as exc:
            # Stock that ran out before the check is refused by check_shipments in the same words.
            outcomes.append("insufficient" if "库存不足" in " ".join(exc.messages) else "refused")
            messages.extend(exc.messages)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run_in_threads.messages = messages
    return outcomes


def test_threads_shipping_one_item_never_oversell(ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    orders = [OrderFactory(item=item, quantity=1) for _ in range(8)]
    sf = carrier("SF")

    def ship(order_pk, n):
        return lambda: services.ship_order(Order.objects.get(pk=order_pk), sf, sf_number(n))

    outcomes = run_in_threads([ship(order.pk, n) for n, order in enumerate(orders)])

    assert sorted(outcomes) == ["insufficient"] * 3 + ["ok"] * 5
    assert InventoryItem.objects.get(pk=item.pk).stock == 0
    assert Order.objects.filter(status="shipped").count() == 5
    ledger_is_consistent()
    call_command("verify_stock")


def test_two_clerks_shipping_the_same_order_take_stock_once(ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    order = OrderFactory(item=item, quantity=2)
    sf = carrier("SF")

    outcomes = run_in_threads(
        [lambda: services.ship_order(Order.objects.get(pk=order.pk), sf, sf_number(1)) for _ in range(4)]
    )

    # The status is read under the row lock: one clerk ships it, the others are told it no longer is pending.
    assert sorted(outcomes) == ["ok"] + ["refused"] * 3
    assert InventoryItem.objects.get(pk=item.pk).stock == 3
    assert order.stock_movements.count() == 1
    assert Parcel.objects.count() == 1
    ledger_is_consistent()


def test_two_clerks_typing_one_number_for_two_receivers_at_once_cannot_both_succeed(ledger_is_consistent):
    first, other = OrderFactory(), OrderFactory(receiver_name="李四", receiver_phone="13900000000")
    sf = carrier("SF")

    outcomes = run_in_threads(
        [lambda o=o: services.ship_order(Order.objects.get(pk=o.pk), sf, sf_number(7)) for o in (first, other)]
    )

    assert sorted(outcomes) == ["ok", "refused"]
    (message,) = run_in_threads.messages
    assert "已用于订单" in message and "收货人不同" in message
    assert Parcel.objects.filter(live_number=sf_number(7)).count() == 1
    assert Order.objects.filter(status="shipped").count() == 1
    ledger_is_consistent()


def test_two_clerks_typing_one_number_for_one_receiver_at_once_share_the_parcel(ledger_is_consistent):
    first, second = OrderFactory(), OrderFactory()
    sf = carrier("SF")

    outcomes = run_in_threads(
        [lambda o=o: services.ship_order(Order.objects.get(pk=o.pk), sf, sf_number(8)) for o in (first, second)]
    )

    assert outcomes == ["ok", "ok"]
    parcel = Parcel.objects.get(live_number=sf_number(8))
    assert parcel.lines.count() == 2
    assert Order.objects.filter(status="shipped").count() == 2
    ledger_is_consistent()


def test_concurrent_voids_of_one_parcel_move_stock_once(ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    order = OrderFactory(item=item, quantity=2)
    parcel = services.ship_order(order, carrier("SF"), sf_number(9))

    outcomes = run_in_threads([lambda: services.void_parcel(Parcel.objects.get(pk=parcel.pk)) for _ in range(4)])

    assert sorted(outcomes) == ["ok"] + ["refused"] * 3
    assert all("包裹已撤销" in m for m in run_in_threads.messages)
    assert InventoryItem.objects.get(pk=item.pk).stock == 5
    assert parcel.stock_movements.filter(reason="restock").count() == 1
    ledger_is_consistent()
    call_command("verify_stock")


def test_a_void_and_a_second_shipment_of_one_order_at_once_keep_stock_and_status_right(ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    order = OrderFactory(item=item, quantity=2)
    (line,) = order.lines.all()
    parcel = services.ship_parcel([(line, 1)], carrier("SF"), sf_number(10))

    outcomes = run_in_threads(
        [
            lambda: services.void_parcel(Parcel.objects.get(pk=parcel.pk)),
            lambda: services.ship_order(Order.objects.get(pk=order.pk), carrier("SF"), sf_number(11)),
        ]
    )

    # Either order of the two is right; what must hold is that status and stock agree with the parcels.
    assert outcomes.count("ok") == 2
    order.refresh_from_db()
    expected = {Order.Status.PARTIAL: 4, Order.Status.SHIPPED: 3}
    assert InventoryItem.objects.get(pk=item.pk).stock == expected[order.status]
    ledger_is_consistent()
    call_command("verify_stock")


def test_two_imported_batches_for_one_item_never_oversell(ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    batches = [[OrderFactory(item=item, quantity=1) for _ in range(3)] for _ in range(2)]
    sf = carrier("SF")

    def ship(batch, first_number):
        def run():
            orders = [Order.objects.get(pk=o.pk) for o in batch]
            services.ship_orders([(o, sf, sf_number(first_number + n)) for n, o in enumerate(orders)])

        return run

    outcomes = run_in_threads([ship(batches[0], 1), ship(batches[1], 100)])

    # 3 + 3 > 5: one file ships whole, the other is refused whole.
    assert sorted(outcomes) == ["insufficient", "ok"]
    assert InventoryItem.objects.get(pk=item.pk).stock == 2
    assert Order.objects.filter(status="shipped").count() == 3
    ledger_is_consistent()


def test_a_batch_and_a_clerk_shipping_the_same_order_take_stock_once(ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    shared, other = OrderFactory(item=item), OrderFactory(item=item)
    sf = carrier("SF")

    def batch():
        orders = [Order.objects.get(pk=o.pk) for o in (other, shared)]
        services.ship_orders([(o, sf, sf_number(n)) for n, o in enumerate(orders, 1)])

    outcomes = run_in_threads([batch, lambda: services.ship_order(Order.objects.get(pk=shared.pk), sf, sf_number(9))])

    assert sorted(outcomes) == ["ok", "refused"]
    assert shared.stock_movements.count() == 1
    ledger_is_consistent()


def test_two_clerks_downloading_the_same_batch_ship_file_never_both_get_a_parcel(django_user_model):
    """发货回传 at once: the parcels are read under a row lock, so each lands in one file only."""
    shop = ShopFactory(platform=Shop.Platform.PINDUODUO)
    orders = [OrderFactory(shop=shop) for _ in range(20)]
    services.ship_orders([(order, carrier("SF"), sf_number(n)) for n, order in enumerate(orders, start=1)])
    today = timezone.localdate().isoformat()
    query = {"shop": shop.pk, "date_from": today, "date_to": today, "only_unexported": "on"}
    clients, files = [], []
    for name in ("ops1", "ops2", "ops3"):
        client = Client()
        client.force_login(staff_in(django_user_model, name, "运营"))
        clients.append(client)

    def download(client):
        def run():
            response = client.post("/admin/orders/order/batch-ship/", query)
            if response.status_code == 200:
                rows = openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
                files.append([row[2] for row in list(rows)[1:]])

        return run

    assert run_in_threads([download(client) for client in clients]) == ["ok"] * 3
    numbers = [number for file in files for number in file]
    assert sorted(numbers) == sorted(sf_number(n) for n in range(1, 21))  # each parcel in exactly one file
    assert Parcel.objects.filter(platform_exported_at__isnull=True).count() == 0


def _waits_for_a_row_lock():
    """True while another connection's SELECT … FOR UPDATE has been running for 50 ms or more:
    it waits for a row lock (one that is not blocked takes well under a millisecond)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()"
            " AND COMMAND = 'Query' AND INFO LIKE '%%FOR UPDATE%%' AND TIME_MS >= 50"
        )
        return cursor.fetchone()[0] > 0


def _while_an_order_joins(parcel_number, joining, operation, *, join_with=services.ship_orders):
    """Run `operation` while another clerk's transaction adds `joining` to the parcel of
    `parcel_number` (through `join_with`: ship_orders, or prepare_orders for a waiting parcel).
    The operation reads the parcel's orders first, waits for that clerk's locks, and then finds a
    line of an order it did not lock yet. Returns the operation's outcome."""
    joined, release, outcome = threading.Event(), threading.Event(), {}

    def join():
        try:
            with transaction.atomic():
                join_with([(Order.objects.get(pk=joining.pk), carrier("SF"), parcel_number)])
                joined.set()
                release.wait(10)
        finally:
            joined.set()
            connection.close()

    def operate():
        try:
            outcome["result"] = operation()
        except Exception as exc:  # the test reports what went wrong, not a thread's traceback
            outcome["error"] = exc
        finally:
            connection.close()

    clerk = threading.Thread(target=join)
    clerk.start()
    joined.wait(10)
    worker = threading.Thread(target=operate)
    worker.start()
    for _ in range(200):  # until the operation waits behind the joining clerk's locks
        if _waits_for_a_row_lock():
            break
        time.sleep(0.025)
    else:
        pytest.fail("the operation never waited for the joining clerk's locks")
    release.set()
    clerk.join(10)
    worker.join(10)
    assert "error" not in outcome, repr(outcome.get("error"))
    return outcome["result"]


def _both_end(item, stock, orders, status, ledger_is_consistent):
    """What the operation left: the item's stock, every order in `status`, the ledger agreeing."""
    assert InventoryItem.objects.get(pk=item.pk).stock == stock
    assert set(Order.objects.filter(pk__in=[order.pk for order in orders]).values_list("status", flat=True)) == {status}
    ledger_is_consistent()
    call_command("verify_stock")


def test_a_void_while_an_order_joins_the_parcel_voids_it_with_the_late_order(ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    first, late = OrderFactory(item=item, quantity=1), OrderFactory(item=item, quantity=1)
    parcel = services.ship_order(first, carrier("SF"), sf_number(12))

    _while_an_order_joins(sf_number(12), late, lambda: services.void_parcel(Parcel.objects.get(pk=parcel.pk)))

    _both_end(item, 5, [first, late], "pending", ledger_is_consistent)


def test_a_hand_over_while_an_order_joins_the_waiting_parcel_ships_the_late_order_too(ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    first, late = OrderFactory(item=item, quantity=1), OrderFactory(item=item, quantity=1)
    (parcel,) = services.prepare_orders([(first, carrier("SF"), sf_number(13))])

    _while_an_order_joins(
        sf_number(13),
        late,
        lambda: services.hand_over_parcels([Parcel.objects.get(pk=parcel.pk)]),
        join_with=services.prepare_orders,
    )

    _both_end(item, 3, [first, late], "shipped", ledger_is_consistent)


def test_a_return_to_waiting_while_an_order_joins_the_parcel_returns_the_late_order_too(ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    first, late = OrderFactory(item=item, quantity=1), OrderFactory(item=item, quantity=1)
    (parcel,) = services.prepare_orders([(first, carrier("SF"), sf_number(14))])
    services.hand_over_parcels([parcel])

    _while_an_order_joins(
        sf_number(14), late, lambda: services.return_parcel_to_waiting(Parcel.objects.get(pk=parcel.pk))
    )

    assert Parcel.objects.get(pk=parcel.pk).status == Parcel.Status.PRINTED
    _both_end(item, 5, [first, late], "pending", ledger_is_consistent)
