"""The database connection lost while an e-waybill batch ships an order (issue 15, "Faults and load").

MariaDB: a second connection KILLs the batch's connection between the parcel's insert and its
COMMIT (the same fault as tests/orders/test_connection_faults.py, a database restart). The waybill
bought before it must not be lost nor bought again, and nothing of the shipment may stay.
"""

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection  # noqa: F401 (mariadb_only's condition reads `connection`)

from logistics.models import Waybill, WaybillBatch
from logistics.services import batches
from oms.db_errors import is_connection_lost
from orders.models import Order, Parcel
from orders.signals import parcels_shipped
from tests.factories import ItemFactory, OrderFactory
from tests.importing import db_snapshot
from tests.orders.test_connection_faults import kill_once_on, mariadb_only

pytestmark = [mariadb_only, pytest.mark.mariadb, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_connection_killed_while_a_batch_ships_an_order_keeps_its_waybill_and_the_rerun_ships_it_once(
    courier, sender, clerk
):
    orders = [OrderFactory(item=ItemFactory(initial_stock=5)) for _ in range(6)]
    batch = WaybillBatch.objects.create(created_by=clerk, order_ids=[o.pk for o in orders], total=len(orders))
    before = db_snapshot()
    killed = kill_once_on(parcels_shipped)
    try:
        with pytest.raises(OperationalError) as caught:
            batches.run_waybill_batch(batch.pk)  # the task around it retries (test_queue_faults.py)
    finally:
        parcels_shipped.disconnect(dispatch_uid="test-kill-connection")

    assert killed and is_connection_lost(caught.value)
    # The shipment is gone whole; the waybill bought just before it is kept, with its number.
    assert db_snapshot() == before
    first = Waybill.objects.get(order=orders[0])
    assert first.state == Waybill.State.ISSUED and first.tracking_number
    assert courier.purchases == 1
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.failed) == (WaybillBatch.Status.RUNNING, 0, 0)  # resumable
    call_command("verify_stock")

    # A redelivery or 继续处理 runs the batch again: the first order ships with the waybill it has.
    batches.run_waybill_batch(batch.pk)
    batch.refresh_from_db()
    assert (batch.status, batch.done, batch.failed) == (WaybillBatch.Status.FINISHED, 6, 0)
    assert courier.create_calls[first.idempotency_key] == 1  # never asked for it again
    assert courier.purchases == 6
    assert Parcel.objects.get(lines__line__order=orders[0]).tracking_number == first.tracking_number
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == 6
    call_command("verify_stock")
