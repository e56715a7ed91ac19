"""Two clerks pressing 电子面单下单 for the same orders at once, on a real MySQL/MariaDB."""

import threading

import pytest
from django.db import connection

from inventory.models import InventoryItem
from logistics.models import Waybill
from logistics.services import waybills
from orders.models import Order, Parcel
from tests.factories import ItemFactory, OrderFactory

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def needs_mysql():
    if connection.vendor != "mysql":
        pytest.skip("row locks need MySQL/MariaDB; run with DATABASE_URL=mysql://…")


def test_same_order_twice_at_once_ships_once_with_one_waybill(courier, sender, ledger_is_consistent):
    item = ItemFactory(initial_stock=5)
    orders = [OrderFactory(item=item, quantity=1) for _ in range(3)]
    barrier = threading.Barrier(2)
    outcomes = []

    def clerk():
        barrier.wait()
        try:
            for order in orders:
                try:
                    waybills.ship_with_waybill(Order.objects.get(pk=order.pk))
                    outcomes.append("shipped")
                except waybills.WaybillError:
                    outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("shipped") == 3 and outcomes.count("refused") == 3
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == 3
    assert courier.purchases == 3  # the same idempotency key when both asked
    assert set(Waybill.objects.values_list("state", flat=True)) == {Waybill.State.USED}
    assert Waybill.objects.filter(parcel__status=Parcel.Status.SHIPPED).count() == 3
    assert InventoryItem.objects.get(pk=item.pk).stock == 2
    ledger_is_consistent()
