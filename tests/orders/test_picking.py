"""拣货单: units per SKU across the selected orders' unshipped lines, and the printable page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services
from orders.desk.pick_list import pick_rows, picked_orders
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db


def rows_for(orders):
    return [(r.item.sku, r.quantity, r.order_count, r.short) for r in pick_rows(picked_orders(orders))]


def test_units_are_summed_per_sku_across_lines_sorted_by_sku(clerk):
    a = ItemFactory(sku="A-1", initial_stock=10)
    b = ItemFactory(sku="B-2", initial_stock=10)
    c = ItemFactory(sku="C-3", initial_stock=10)
    OrderFactory(lines=[(b, 2), (a, 1), (c, 4)])  # a three-line order adds to three rows
    OrderFactory(item=b, quantity=3)
    shipped = OrderFactory(item=a, quantity=7)
    services.ship_order(shipped, carrier("SF"), sf_number(1), user=clerk)
    services.cancel_order(OrderFactory(item=c, quantity=5), user=clerk)
    assert rows_for(Order.objects.all()) == [("A-1", 1, 1, 0), ("B-2", 5, 2, 0), ("C-3", 4, 1, 0)]


def test_a_partly_shipped_order_adds_only_what_is_left(clerk):
    a, b = ItemFactory(sku="A-1", initial_stock=10), ItemFactory(sku="B-2", initial_stock=10)
    order = OrderFactory(lines=[(a, 3), (b, 2)])
    line_a = order.lines.get(item=a)
    services.ship_parcel([(line_a, 2), (order.lines.get(item=b), 2)], carrier("SF"), sf_number(1), user=clerk)
    assert rows_for(Order.objects.all()) == [("A-1", 1, 1, 0)]
    (picked,) = picked_orders(Order.objects.all())
    assert picked.lines == [(line_a, 1)]


def test_shortage_is_shown():
    a = ItemFactory(sku="A-1", initial_stock=2)
    OrderFactory(item=a, quantity=3)
    assert rows_for(Order.objects.all()) == [("A-1", 3, 1, 1)]


def test_queries_do_not_grow_with_orders_or_lines():
    def queries_for(count):
        Order.objects.all().delete()
        for _ in range(count):
            OrderFactory(lines=[(ItemFactory(initial_stock=5), 1), (ItemFactory(initial_stock=5), 2)])
        with CaptureQueriesContext(connection) as captured:
            rows = pick_rows(picked_orders(Order.objects.all()))
        assert len(rows) == 2 * count
        return len(captured.captured_queries)

    assert queries_for(2) == queries_for(20)


def test_pick_list_page_lists_the_orders_with_their_lines(clerk_client):
    cup = ItemFactory(sku="A-1", name="<b>杯子</b>", initial_stock=5)
    lid = ItemFactory(sku="B-2", name="杯盖", initial_stock=5)
    OrderFactory(lines=[(cup, 2), (lid, 1)], order_no="PK1")
    OrderFactory(item=cup, quantity=1, order_no="PK2")

    def page_queries():
        with CaptureQueriesContext(connection) as captured:
            html = clerk_client.get(reverse("admin:orders_order_pick_list")).content.decode()
        return html, len(captured.captured_queries)

    html, few = page_queries()
    assert "拣货单" in html and "全部未发货订单" in html
    assert "2 单 · 2 种商品 · 共 4 件" in html
    assert "&lt;b&gt;杯子&lt;/b&gt;" in html and "<b>杯子</b>" not in html
    assert 'rowspan="2">PK1</td>' in html and "PK2" in html
    OrderFactory.create_batch(10)
    _html, many = page_queries()
    assert many == few
