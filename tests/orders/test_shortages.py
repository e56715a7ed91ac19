"""缺货: which open orders current stock cannot cover (orders.selectors.short_lines and its users)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import StockMovement
from inventory.services import adjust_stock
from orders import selectors, services
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db


def aged(minutes, **kwargs):
    return OrderFactory(created_at=timezone.now() - datetime.timedelta(minutes=minutes), **kwargs)


def shortages_of(order):
    return [str(s) for s in selectors.shortages_by_order([order.pk]).get(order.pk, [])]


def open_orders():
    return Order.objects.filter(status__in=selectors.OPEN)


def test_a_line_wanting_more_than_the_stock_is_short_by_the_difference():
    a, b = ItemFactory(sku="SKU-A", initial_stock=1), ItemFactory(sku="SKU-B", initial_stock=5)
    order = OrderFactory(lines=[(a, 3), (b, 5)])
    assert shortages_of(order) == ["SKU-A 差 2"]
    (shortage,) = selectors.shortages_by_order([order.pk])[order.pk]
    assert (shortage.needed, shortage.available, shortage.missing) == (3, 1, 2)


def test_an_item_with_no_stock_at_all_is_short_by_the_whole_line():
    order = OrderFactory(item=ItemFactory(sku="SKU-Z"), quantity=2)
    assert shortages_of(order) == ["SKU-Z 差 2"]


def test_only_the_units_not_yet_shipped_count(clerk):
    item = ItemFactory(sku="SKU-A", initial_stock=5)
    order = OrderFactory(item=item, quantity=4)
    services.ship_parcel([(order.lines.get(), 3)], carrier("SF"), sf_number(1), user=clerk)
    assert item.__class__.objects.get(pk=item.pk).stock == 2
    assert shortages_of(order) == []  # 1 left to ship, 2 on the shelf
    adjust_stock(item, -2, StockMovement.Reason.ADJUST, note="损坏")
    assert shortages_of(order) == ["SKU-A 差 1"]


def test_a_voided_parcel_puts_its_units_back_to_ship(clerk):
    item = ItemFactory(sku="SKU-A", initial_stock=2)
    order = OrderFactory(item=item, quantity=2)
    parcel = services.ship_order(order, carrier("SF"), sf_number(1), user=clerk)
    assert shortages_of(order) == []  # shipped, 0 on the shelf: nothing left to ship
    services.void_parcel(parcel, user=clerk)  # 2 back on the shelf and 2 to ship again
    assert shortages_of(order) == []
    adjust_stock(item, -1, StockMovement.Reason.ADJUST, note="损坏")
    assert shortages_of(order) == ["SKU-A 差 1"]


def test_shipped_and_cancelled_orders_are_never_short(clerk):
    item = ItemFactory(initial_stock=1)
    shipped = OrderFactory(item=item)
    services.ship_order(shipped, carrier("SF"), sf_number(1), user=clerk)
    cancelled = OrderFactory(item=item)
    services.cancel_order(cancelled, user=clerk)
    assert selectors.shortages_by_order([shipped.pk, cancelled.pk]) == {}
    assert list(selectors.short_of_stock(Order.objects.all())) == []


def test_each_order_is_judged_alone_against_current_stock_nothing_is_reserved():
    item = ItemFactory(initial_stock=3)
    first, second = aged(20, item=item, quantity=2), aged(10, item=item, quantity=2)
    # Together they want 4 of 3; each alone is covered, so neither is marked (the tooltip says so).
    assert selectors.shortages_by_order([first.pk, second.pk]) == {}
    assert "不给其他订单预留" in selectors.SHORTAGE_RULE


def test_the_filters_split_the_open_orders_into_short_and_in_stock():
    low = ItemFactory(initial_stock=1)
    short = [OrderFactory(item=low, quantity=2), OrderFactory(lines=[(ItemFactory(initial_stock=9), 1), (low, 3)])]
    covered = [OrderFactory(item=low, quantity=1), OrderFactory()]
    assert set(selectors.short_of_stock(open_orders())) == set(short)
    assert set(selectors.in_stock(open_orders())) == set(covered)


def test_the_filters_agree_when_there_are_more_short_orders_than_are_listed(monkeypatch):
    low = ItemFactory(initial_stock=0)
    short = {OrderFactory(item=low) for _ in range(4)}
    covered = {OrderFactory() for _ in range(2)}
    monkeypatch.setattr(selectors, "SHORT_ORDERS_LISTED", 2)  # the subquery form
    assert not isinstance(selectors.short_order_pks(), list)
    assert set(selectors.short_of_stock(open_orders())) == short
    assert set(selectors.in_stock(open_orders())) == covered


def test_the_shortages_of_a_page_are_one_query_whatever_its_rows():
    low = ItemFactory(initial_stock=0)
    orders = [OrderFactory(lines=[(low, 1), (ItemFactory(initial_stock=0), 2)]) for _ in range(12)]
    with CaptureQueriesContext(connection) as captured:
        found = selectors.shortages_by_order(order.pk for order in orders)
    assert len(captured.captured_queries) == 1
    assert all(len(found[order.pk]) == 2 for order in orders)


def test_the_lines_in_stock_are_the_whole_lines_stock_covers():
    a, b, c = ItemFactory(initial_stock=1), ItemFactory(initial_stock=5), ItemFactory(initial_stock=2)
    order = OrderFactory(lines=[(a, 3), (b, 5), (c, 2)])
    assert [(line.item, left) for line, left in selectors.lines_in_stock(order)] == [(b, 5), (c, 2)]
