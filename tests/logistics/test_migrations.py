"""Migration 0002 moves waybills, trackings and trace events from orders onto their parcels (set-based)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from logistics.models import TraceEvent, Tracking, Waybill
from orders.services import ship_order, ship_orders
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("logistics", "0001_initial")]
AFTER = [("logistics", "0002_per_parcel")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def latest_schema_afterwards():
    """Leave the database at the newest migration for the tests that follow."""
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("logistics"))


def test_rows_move_to_each_orders_live_parcel():
    item = ItemFactory(initial_stock=10)
    alone, merged_a, merged_b, pending = (OrderFactory(item=item) for _ in range(4))
    sf = carrier("SF")
    single = ship_order(alone, sf, sf_number(1))
    merged, _same = ship_orders([(merged_a, sf, sf_number(2)), (merged_b, sf, sf_number(2))])

    old = migrate(BEFORE)
    OldTracking, OldEvent, OldWaybill = (old.get_model("logistics", m) for m in ["Tracking", "TraceEvent", "Waybill"])
    now = timezone.now()
    for order, number in [(alone, sf_number(1)), (merged_a, sf_number(2)), (merged_b, sf_number(2)), (pending, "")]:
        OldTracking.objects.create(order_id=order.pk, company="shunfeng", tracking_number=number, state="in_transit")
        OldEvent.objects.create(order_id=order.pk, tracking_number=number, time=now, context="已揽收", digest="d1")
    OldEvent.objects.create(order_id=alone.pk, tracking_number=sf_number(1), time=now, context="派送中", digest="d2")
    OldWaybill.objects.create(
        order_id=alone.pk, carrier_id=sf.pk, idempotency_key="k1", state="used", tracking_number=sf_number(1)
    )
    OldWaybill.objects.create(order_id=pending.pk, carrier_id=sf.pk, idempotency_key="k2", state="requested")
    first_merged_tracking = OldTracking.objects.get(order_id=merged_a.pk).pk

    migrate(AFTER)
    assert sorted(Tracking.objects.values_list("parcel_id", "state")) == [
        (single.pk, "in_transit"),
        (merged.pk, "in_transit"),
    ]  # the pending order's tracking had no parcel to go to
    assert Tracking.objects.get(parcel=merged).pk == first_merged_tracking  # merged orders keep the oldest
    assert sorted(TraceEvent.objects.filter(parcel=single).values_list("context", flat=True)) == ["已揽收", "派送中"]
    assert TraceEvent.objects.filter(parcel=merged).count() == 1  # one copy of the event both orders had
    assert TraceEvent.objects.count() == 3
    assert dict(Waybill.objects.values_list("idempotency_key", "parcel_id")) == {"k1": single.pk, "k2": None}
