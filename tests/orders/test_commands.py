import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum
from django.utils import timezone

from inventory.models import InventoryItem, StockMovement
from orders import selectors
from orders.models import Order, Parcel, ParcelLine, receiver_key
from tests.factories import ItemFactory

pytestmark = pytest.mark.django_db


def test_verify_stock_passes_on_a_consistent_ledger(capsys):
    ItemFactory(initial_stock=5)
    call_command("verify_stock")
    assert "一致" in capsys.readouterr().out


def test_verify_stock_names_the_drifted_sku_and_fails(capsys):
    ItemFactory(sku="GOOD-1", initial_stock=5)
    drifted = ItemFactory(sku="DRIFT-1", initial_stock=5)
    InventoryItem.objects.filter(pk=drifted.pk).update(stock=7)  # simulate a write that bypassed the ledger

    with pytest.raises(CommandError):
        call_command("verify_stock")

    out = capsys.readouterr().out
    assert "DRIFT-1" in out and "GOOD-1" not in out


def seed(orders=60):
    call_command("seed_demo", orders=orders, stdout=io.StringIO())


def live_parcels_per_order():
    """{order pk: number of live parcels holding any of its lines}."""
    rows = (
        ParcelLine.objects.filter(parcel__status__in=Parcel.LIVE)
        .values("line__order_id")
        .annotate(parcels=Count("parcel_id", distinct=True))
        .order_by()
    )
    return {row["line__order_id"]: row["parcels"] for row in rows}


def test_seed_demo_passes_verify_stock(ledger_is_consistent, capsys):
    seed()

    ledger_is_consistent()
    call_command("verify_stock")
    assert "库存与流水一致" in capsys.readouterr().out
    assert InventoryItem.objects.count() == 20
    assert all(item.image for item in InventoryItem.objects.all())
    # Every parcel line took its units through the ledger, once.
    assert StockMovement.objects.filter(reason="ship").count() == ParcelLine.objects.count()


def test_seed_demo_orders_have_one_to_four_lines_a_third_of_them_several():
    seed()

    lines = Counter(Order.objects.annotate(n=Count("lines")).values_list("n", flat=True))
    assert set(lines) <= {1, 2, 3, 4} and lines[1] > 0
    multi = sum(count for n, count in lines.items() if n > 1) / sum(lines.values())
    assert 0.25 <= multi <= 0.5


def test_seed_demo_has_every_status_and_cancelled_orders_hold_no_live_parcel():
    seed()

    statuses = Counter(Order.objects.values_list("status", flat=True))
    assert set(statuses) == {"pending", "partial", "shipped", "cancelled"}
    cancelled = Order.objects.filter(status="cancelled").values_list("pk", flat=True)
    assert not set(cancelled) & set(live_parcels_per_order())


def test_seed_demo_merges_orders_of_one_receiver_into_one_parcel():
    seed()

    merged = [parcel for parcel in Parcel.objects.prefetch_related("lines__line__order") if parcel.is_live]
    merged = [{pl.line.order for pl in parcel.lines.all()} for parcel in merged]
    merged = [orders for orders in merged if len(orders) > 1]
    assert merged
    for orders in merged:
        assert len({receiver_key(order) for order in orders}) == 1
        assert {order.status for order in orders} == {"shipped"}


def test_seed_demo_splits_orders_partly_and_fully_shipped():
    seed()

    parcels = live_parcels_per_order()
    partial = Order.objects.filter(status="partial")
    assert partial and all(parcels[order.pk] == 1 for order in partial)
    assert all(selectors.remaining_lines([order])[order.pk] for order in partial)
    shipped_in_two = Order.objects.filter(status="shipped", pk__in=[pk for pk, n in parcels.items() if n >= 2])
    assert shipped_in_two.exists()


def test_seed_demo_voids_a_parcel_and_puts_its_units_back():
    seed()

    voided = Parcel.objects.filter(status="voided")
    assert voided.exists()
    for parcel in voided:
        taken = StockMovement.objects.filter(parcel=parcel, reason="ship").aggregate(units=Sum("delta"))["units"]
        returned = StockMovement.objects.filter(parcel=parcel, reason="restock").aggregate(units=Sum("delta"))
        assert taken < 0 and returned["units"] == -taken
    # Some voided orders went out again with a new number, some wait to be shipped again.
    orders = Order.objects.filter(lines__parcel_lines__parcel__in=voided).distinct()
    assert {"pending", "shipped"} <= set(orders.values_list("status", flat=True))


def test_seed_demo_has_pending_orders_that_could_be_merged():
    seed()

    receivers = Counter(receiver_key(order) for order in Order.objects.filter(status="pending"))
    assert max(receivers.values()) >= 2


def test_seed_demo_parcels_shipped_after_their_orders_in_the_past():
    seed()

    now = timezone.now()
    shipped_at = set()
    for parcel in Parcel.objects.prefetch_related("lines__line__order"):
        placed = max(pl.line.order.created_at for pl in parcel.lines.all())
        assert placed < parcel.shipped_at <= now
        assert parcel.voided_at is None or parcel.shipped_at <= parcel.voided_at <= now
        shipped_at.add(timezone.localdate(parcel.shipped_at))
    assert len(shipped_at) >= 7  # spread over the two weeks, not all today


def test_seed_demo_small_shop_still_has_every_shape():
    seed(orders=20)

    call_command("verify_stock")
    assert set(Order.objects.values_list("status", flat=True)) == {"pending", "partial", "shipped", "cancelled"}
    assert Parcel.objects.filter(status="voided").exists()


def test_seed_demo_refuses_a_database_with_orders():
    seed(orders=10)

    with pytest.raises(CommandError):
        seed(orders=10)
    call_command("seed_demo", orders=10, if_empty=True, stdout=io.StringIO())

    assert Order.objects.count() == 10


def test_seed_demo_with_force_adds_a_second_shop_beside_the_first():
    seed(orders=20)
    call_command("seed_demo", orders=20, force=True, stdout=io.StringIO())

    assert Order.objects.count() == 40
    assert InventoryItem.objects.count() == 40
    call_command("verify_stock")


@pytest.mark.parametrize("orders", [60, 200])
def test_seed_demo_queue_starts_with_orders_that_ship_and_shows_a_few_short_ones_later(orders, clerk):
    from orders import selectors
    from orders.desk import scan
    from tests.factories import sf_number

    seed(orders)
    queue = list(Order.objects.filter(status__in=selectors.OPEN).order_by("created_at", "id"))
    short = selectors.shortages_by_order(order.pk for order in queue)
    positions = [index for index, order in enumerate(queue) if order.pk in short]
    assert len(positions) == 3, positions
    first_ones = 10 if orders == 200 else 5
    assert min(positions) >= first_ones  # the first orders a new clerk meets all ship
    # One of them shows 发有货的商品: a short line and a line in stock.
    assert any(selectors.lines_in_stock(queue[index]) for index in positions)
    # The desk opens on the oldest open order, and a clerk can ship the first ten one after another.
    for n in range(first_ones):
        order = scan.next_open_order()
        assert order == queue[n]
        assert scan.handle_scan(sf_number(900 + n), current=order, user=clerk).kind == "shipped"
