"""Several clerks shipping at once, on a real MySQL/MariaDB (SQLite serialises all writers)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from inventory.models import InventoryItem
from orders import services
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def needs_mysql():
    if connection.vendor != "mysql":
        pytest.skip("row locks need MySQL/MariaDB; run with DATABASE_URL=mysql://…")


def run_in_threads(targets):
    barrier = threading.Barrier(len(targets))
    outcomes = []

    def worker(target):
        barrier.wait()
        try:
            target()
            outcomes.append("ok")
        except services.InsufficientStock:
            outcomes.append("insufficient")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
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


def test_two_clerks_shipping_the_same_order_take_stock_once(ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    order = OrderFactory(item=item, quantity=2)
    sf = carrier("SF")

    outcomes = run_in_threads(
        [lambda: services.ship_order(Order.objects.get(pk=order.pk), sf, sf_number(1)) for _ in range(4)]
    )

    # Each clerk either ships it or is told it is no longer pending; only one save is a transition.
    assert outcomes.count("ok") >= 1 and outcomes.count("ok") + outcomes.count("refused") == 4
    assert InventoryItem.objects.get(pk=item.pk).stock == 3
    assert order.stock_movements.count() == 1
    ledger_is_consistent()
