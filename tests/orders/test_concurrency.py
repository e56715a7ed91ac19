"""Several clerks shipping at once, on a real MySQL/MariaDB (SQLite serialises all writers)."""

import io
import threading

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
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
