"""The order list's 缺货 marker and 库存 filter (issue 16.2)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders import services
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db
URL = reverse("admin:orders_order_changelist")


def listed(client, params=None):
    response = client.get(URL, params or {})
    assert response.status_code == 200
    return [order.order_no for order in response.context["cl"].result_list], response.content.decode()


def row_html(html, order):
    match = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*>{order.order_no}</a>(?:(?!</tr>).)*</tr>", html, re.S)
    assert match, order.order_no
    return match.group(0)


def test_a_short_row_says_what_is_short_and_how_the_rule_counts(clerk_client):
    a, b = ItemFactory(sku="SKU-A", initial_stock=1), ItemFactory(sku="SKU-B", initial_stock=0)
    short = OrderFactory(lines=[(a, 3), (b, 1)])
    fine = OrderFactory(item=a, quantity=1)
    _, html = listed(clerk_client)
    assert "缺货：SKU-A 差 2、SKU-B 差 1" in row_html(html, short)
    assert "按当前库存逐单判断" in row_html(html, short)  # the tooltip
    assert "缺货" not in row_html(html, fine)


def test_a_shipped_order_of_an_item_now_out_of_stock_is_not_marked(clerk_client, clerk):
    order = OrderFactory(item=ItemFactory(sku="SKU-A", initial_stock=1))
    services.ship_order(order, carrier("SF"), sf_number(1), user=clerk)
    _, html = listed(clerk_client, {"ship_status": "all"})
    assert "缺货" not in row_html(html, order)


def test_the_stock_filter_shows_short_or_in_stock_orders_in_the_queue(clerk_client):
    low = ItemFactory(initial_stock=1)
    short, fine = OrderFactory(item=low, quantity=2), OrderFactory(item=low, quantity=1)
    assert listed(clerk_client, {"stock": "short"})[0] == [short.order_no]
    assert listed(clerk_client, {"stock": "in_stock"})[0] == [fine.order_no]
    assert sorted(listed(clerk_client)[0]) == sorted([short.order_no, fine.order_no])
    _, html = listed(clerk_client)
    assert 'href="?stock=short"' in html and ">缺货</a>" in html and ">有货</a>" in html


def test_the_stock_filter_keeps_the_status_filter(clerk_client, clerk):
    low = ItemFactory(initial_stock=1)
    partial = OrderFactory(lines=[(ItemFactory(initial_stock=5), 1), (low, 2)])
    services.ship_parcel([(partial.lines.order_by("pk").first(), 1)], carrier("SF"), sf_number(1), user=clerk)
    OrderFactory(item=low, quantity=2)  # pending and short
    assert listed(clerk_client, {"stock": "short", "ship_status": "partial"})[0] == [partial.order_no]


def page_queries(client, params):
    with CaptureQueriesContext(connection) as captured:
        client.get(URL, params)
    return len(captured.captured_queries)


@pytest.mark.parametrize("params", [{}, {"stock": "short"}, {"stock": "in_stock"}, {"ship_status": "all"}])
def test_the_marker_and_the_filter_cost_the_same_queries_for_5_and_40_rows(clerk_client, params):
    def add(count):
        for _ in range(count):
            OrderFactory(lines=[(ItemFactory(initial_stock=0), 1), (ItemFactory(initial_stock=1), 2)])
            OrderFactory()

    add(5)
    few = page_queries(clerk_client, params)
    add(35)
    assert page_queries(clerk_client, params) == few


def test_the_order_page_offers_ship_in_stock_lines_with_the_short_ones_at_zero(clerk_client, ledger_is_consistent):
    a, b = ItemFactory(sku="SKU-A", initial_stock=1), ItemFactory(sku="SKU-B", initial_stock=4)
    order = OrderFactory(lines=[(a, 3), (b, 2)])
    short_line, stocked_line = order.lines.order_by("pk")
    html = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "缺货：SKU-A 差 2" in html
    url = reverse("admin:orders_order_ship_part", args=[order.pk])
    assert f'href="{url}?in_stock=1">发有货的商品</a>' in html

    form = clerk_client.get(url, {"in_stock": "1"}).context["form"]
    assert form[f"line_{short_line.pk}"].value() == 0
    assert form[f"line_{stocked_line.pk}"].value() == 2
    response = clerk_client.post(
        f"{url}?in_stock=1", {f"line_{short_line.pk}": 0, f"line_{stocked_line.pk}": 2, "tracking_number": sf_number(5)}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "partial"
    assert [(pl.line_id, pl.quantity) for pl in order.lines.get(pk=stocked_line.pk).parcel_lines.all()] == [
        (stocked_line.pk, 2)
    ]
    ledger_is_consistent()


def test_an_order_with_nothing_in_stock_offers_no_partial_shipment(clerk_client):
    order = OrderFactory(item=ItemFactory(sku="SKU-A", initial_stock=0))
    html = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "缺货：SKU-A 差 1" in html and "发有货的商品" not in html
