"""扫码发货 and stock (issue 16.2): the next order skips orders that cannot ship, 跳过, 发有货的商品."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from inventory.models import InventoryItem
from orders.desk import scan
from orders.desk.scan import handle_scan, next_open_order, waiting_for_stock_count
from orders.models import Order, Parcel
from tests.factories import ItemFactory, OrderFactory, sf_number

pytestmark = pytest.mark.django_db
URL = reverse("admin:orders_order_scan")


def aged(minutes, **kwargs):
    return OrderFactory(created_at=timezone.now() - datetime.timedelta(minutes=minutes), **kwargs)


def shown(response):
    return response.context["current"]


def test_the_next_order_is_the_oldest_that_stock_covers():
    empty = ItemFactory(initial_stock=0)
    aged(90, item=empty)
    aged(80, lines=[(ItemFactory(initial_stock=5), 1), (empty, 1)])
    ready = aged(70)
    aged(60)
    assert next_open_order() == ready
    assert waiting_for_stock_count() == 2


@pytest.mark.parametrize("chunks", [3, 1])  # found while walking the queue; found by the 缺货 set after it
def test_the_next_order_is_found_past_chunks_of_orders_waiting_for_stock(monkeypatch, chunks):
    monkeypatch.setattr(scan, "NEXT_ORDER_CHUNK", 2)
    monkeypatch.setattr(scan, "NEXT_ORDER_CHUNKS", chunks)
    empty = ItemFactory(initial_stock=0)
    same_time = timezone.now() - datetime.timedelta(minutes=50)
    for minutes in (90, 80, 70):
        aged(minutes, item=empty)
    OrderFactory(created_at=same_time, item=empty)  # two orders at one instant: ordered by id
    ready = OrderFactory(created_at=same_time)
    aged(40)
    assert next_open_order() == ready
    assert next_open_order(skipped=[ready.pk]) != ready


def test_the_waiting_count_is_a_hint_read_at_most_every_30_seconds():
    empty = ItemFactory(initial_stock=0)
    aged(90, item=empty)
    assert waiting_for_stock_count() == 1
    aged(80, item=empty)
    assert waiting_for_stock_count() == 1  # cached
    cache.delete(scan.WAITING_COUNT_KEY)  # what the 30 s timeout does
    assert waiting_for_stock_count() == 2


def test_the_desk_opens_on_a_shippable_order_and_counts_those_waiting_for_stock(clerk_client):
    aged(90, item=ItemFactory(initial_stock=0))
    ready = aged(70)
    response = clerk_client.get(URL)
    assert shown(response) == ready
    html = response.content.decode()
    assert "1 单等待补货" in html
    assert '?stock=short"' in html  # the count links to the 缺货 list


def test_after_a_shipment_the_desk_moves_past_the_orders_waiting_for_stock(clerk_client):
    empty = ItemFactory(initial_stock=0)
    first = aged(90)
    aged(80, item=empty)
    third = aged(70)
    response = clerk_client.post(URL, {"code": sf_number(1), "current": first.pk}, follow=True)
    assert Order.objects.get(pk=first.pk).status == "shipped"
    assert shown(response) == third


def test_skip_moves_on_and_the_skipped_order_stays_out_until_restored(clerk_client):
    first, second, third = aged(90), aged(80), aged(70)
    response = clerk_client.post(URL, {"skip": "1", "current": first.pk}, follow=True)
    assert shown(response) == second
    assert f"已跳过订单 {first.order_no}" in response.content.decode()
    response = clerk_client.post(URL, {"code": "skip", "current": second.pk}, follow=True)  # the scanned SKIP code
    assert shown(response) == third
    assert "已跳过 2 单" in response.content.decode()
    # Shipping the third does not bring the skipped ones back.
    response = clerk_client.post(URL, {"code": sf_number(3), "current": third.pk}, follow=True)
    assert shown(response) is None
    response = clerk_client.post(URL, {"unskip": "1"}, follow=True)
    assert shown(response) == first
    assert Parcel.objects.count() == 1  # skipping shipped nothing


def test_a_skipped_order_can_still_be_called_up_by_its_number(clerk_client):
    first = aged(90)
    aged(80)
    clerk_client.post(URL, {"skip": "1", "current": first.pk})
    response = clerk_client.post(URL, {"code": first.order_no, "current": ""}, follow=True)
    assert shown(response) == first


def test_a_short_order_shows_what_is_short_and_offers_the_lines_in_stock(clerk_client):
    a = ItemFactory(sku="SKU-A", initial_stock=1)
    b = ItemFactory(sku="SKU-B", initial_stock=4)
    order = aged(90, lines=[(a, 3), (b, 2)])
    html = clerk_client.get(URL, {"order": order.order_no}).content.decode()
    assert "缺货：SKU-A 差 2" in html
    assert "发有货的商品：SKU-B × 2" in html
    assert 'name="in_stock_only"' in html


def test_a_short_order_with_nothing_in_stock_offers_no_partial_shipment(clerk_client):
    order = aged(90, item=ItemFactory(sku="SKU-A", initial_stock=0), quantity=2)
    html = clerk_client.get(URL, {"order": order.order_no}).content.decode()
    assert "缺货：SKU-A 差 2" in html
    assert 'name="in_stock_only"' not in html


def test_ship_in_stock_lines_sends_only_those_and_the_order_waits_for_the_rest(clerk_client, ledger_is_consistent):
    a = ItemFactory(sku="SKU-A", initial_stock=1)
    b = ItemFactory(sku="SKU-B", initial_stock=4)
    order = aged(90, lines=[(a, 3), (b, 2)])
    later = aged(10)
    response = clerk_client.post(URL, {"code": sf_number(1), "current": order.pk, "in_stock_only": "1"}, follow=True)
    parcel = Parcel.objects.get()
    assert list(parcel.lines.values_list("line__item__sku", "quantity")) == [("SKU-B", 2)]
    assert Order.objects.get(pk=order.pk).status == "partial"
    assert (InventoryItem.objects.get(pk=a.pk).stock, InventoryItem.objects.get(pk=b.pk).stock) == (1, 2)
    # The rest waits for stock: the desk goes on to the next order that can ship.
    assert shown(response) == later
    assert "1 单等待补货" in response.content.decode()
    ledger_is_consistent()


def test_a_number_scanned_for_a_short_order_ships_nothing_and_says_what_can_go(clerk):
    a = ItemFactory(sku="SKU-A", initial_stock=1)
    b = ItemFactory(sku="SKU-B", initial_stock=4)
    order = aged(90, lines=[(a, 3), (b, 2)])
    result = handle_scan(sf_number(1), current=order, user=clerk)
    assert result.kind == "error"
    assert "库存不足" in result.message
    assert "可勾选“发有货的商品”，先发 SKU-B × 2" in result.message
    assert not Parcel.objects.exists()


def test_ship_in_stock_lines_refuses_when_nothing_is_in_stock(clerk):
    order = aged(90, item=ItemFactory(initial_stock=0))
    result = handle_scan(sf_number(1), current=order, user=clerk, in_stock_only=True)
    assert result.kind == "error"
    assert "没有现在有货的商品" in result.message
    assert not Parcel.objects.exists()


def test_the_carrier_choice_keeps_the_in_stock_choice(clerk_client):
    a = ItemFactory(initial_stock=0)
    b = ItemFactory(sku="SKU-B", initial_stock=4)
    order = aged(90, lines=[(a, 1), (b, 1)])
    ambiguous = "773194917396313"  # 申通 or 韵达 (carrier-numbers.md): the desk asks
    response = clerk_client.post(URL, {"code": ambiguous, "current": order.pk, "in_stock_only": "1"})
    assert response.context["state"] == "choose", response.context["result"].message
    assert 'name="in_stock_only" value="1" id="scan-in-stock" checked' in response.content.decode()
    clerk_client.post(URL, {"code": "1", "number": ambiguous, "current": order.pk, "in_stock_only": "1"})
    assert list(Parcel.objects.get().lines.values_list("line__item__sku", flat=True)) == ["SKU-B"]
