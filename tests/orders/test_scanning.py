"""扫码发货: the scan service and the page as a plain form (no JavaScript)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Carrier, Order
from orders.scanning import handle_scan, next_unshipped_order, undo_scan
from tests.factories import ItemFactory, OrderFactory, sf_number

pytestmark = pytest.mark.django_db
URL = reverse("admin:orders_order_scan")


def aged(minutes, **kwargs):
    return OrderFactory(created_at=timezone.now() - datetime.timedelta(minutes=minutes), **kwargs)


def test_next_unshipped_is_the_oldest_pending():
    aged(5)
    oldest = aged(50)
    aged(500, status=Order.Status.CANCELLED)
    assert next_unshipped_order() == oldest


def test_scanning_an_order_number_switches_to_it(clerk):
    order = OrderFactory(order_no="DD0042")
    result = handle_scan(" dd0042 ", current=None, user=clerk)
    assert (result.kind, result.order) == ("switched", order)


def test_scanning_a_number_ships_the_current_order_with_the_guessed_carrier(clerk, ledger_is_consistent):
    order = OrderFactory()
    result = handle_scan("ＳＦ０００００００００００４２", current=order, user=clerk)
    assert result.kind == "shipped", result.message
    order.refresh_from_db()
    assert (order.status, order.carrier.code, order.tracking_number, order.shipped_by) == (
        "shipped",
        "SF",
        "SF0000000000042",
        clerk,
    )
    assert order.item.stock == 99
    ledger_is_consistent()


def test_unknown_number_is_an_error_in_chinese(clerk):
    order = OrderFactory()
    Carrier.objects.filter(tracking_number_pattern="").update(is_active=False)
    result = handle_scan("HELLO1234", current=order, user=clerk)
    assert result.kind == "error"
    assert "无法从快递单号“HELLO1234”识别快递公司" in result.message
    assert "不像快递单号" in handle_scan("<script>", current=order, user=clerk).message


def test_a_number_no_pattern_fits_offers_the_carriers_without_a_pattern(clerk):
    result = handle_scan("4312345678", current=OrderFactory(), user=clerk)
    assert result.kind == "choose"
    assert [c.code for c in result.candidates] == ["YD"]


def test_ambiguous_number_asks_with_candidates_best_first(clerk):
    Carrier.objects.create(name="宽松快递", code="LOOSE", tracking_number_pattern=r"[A-Z]{2}\d{13}")
    order = OrderFactory()
    result = handle_scan(sf_number(1), current=order, user=clerk)
    assert result.kind == "choose"
    assert [c.code for c in result.candidates] == ["SF", "LOOSE"]
    order.refresh_from_db()
    assert order.status == "pending"


def test_not_enough_stock_is_an_error_and_nothing_changes(clerk, ledger_is_consistent):
    order = OrderFactory(item=ItemFactory(initial_stock=1), quantity=2)
    result = handle_scan(sf_number(1), current=order, user=clerk)
    assert result.kind == "error"
    assert "库存不足" in result.message
    assert order.status == "pending"  # the instance was refreshed
    assert Order.objects.get().status == "pending"
    ledger_is_consistent()


def test_undo_puts_the_stock_back(clerk, ledger_is_consistent):
    order = OrderFactory()
    handle_scan(sf_number(1), current=order, user=clerk)
    result = undo_scan(order.pk, user=clerk)
    assert result.kind == "undone"
    order.refresh_from_db()
    assert (order.status, order.item.stock) == ("pending", 100)
    ledger_is_consistent()


# ---- the page without JavaScript


def test_page_shows_the_oldest_pending_order_masked(clerk_client):
    aged(5)
    oldest = aged(50, receiver_phone="13812345678")
    html = clerk_client.get(URL).content.decode()
    assert f'data-order-no="{oldest.order_no}"' in html
    assert "138****5678" in html
    assert "13812345678" not in html
    assert 'id="scan-input"' in html
    assert "autofocus" in html


def test_page_flow_ship_next_undo(clerk_client, ledger_is_consistent):
    first, second = aged(50), aged(5)
    response = clerk_client.post(URL, {"code": sf_number(1), "current": first.pk})
    assert response.status_code == 302
    page = clerk_client.get(response["Location"]).content.decode()
    assert f"已发货：订单 {first.order_no}" in page
    assert f'data-order-no="{second.order_no}"' in page
    assert "撤销" in page
    response = clerk_client.post(URL, {"undo": "1"})
    page = clerk_client.get(response["Location"]).content.decode()
    assert f"已撤销订单 {first.order_no} 的发货" in page
    assert f'data-order-no="{first.order_no}"' in page
    first.refresh_from_db()
    assert first.status == "pending"
    ledger_is_consistent()


def test_page_number_key_answers_the_carrier_question(clerk_client):
    order = OrderFactory()
    page = clerk_client.post(URL, {"code": "4312345678", "current": order.pk})
    assert page.status_code == 200
    assert 'name="number" value="4312345678"' in page.content.decode()
    response = clerk_client.post(URL, {"code": "1", "number": "4312345678", "current": order.pk})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.carrier.code) == ("shipped", "YD")


def test_page_error_is_next_to_the_field_and_not_a_500(clerk_client):
    order = OrderFactory()
    response = clerk_client.post(URL, {"code": "<script>", "current": order.pk})
    assert response.status_code == 422
    html = response.content.decode()
    assert "scan-state-error" in html
    assert "&lt;SCRIPT&gt;" in html or "&lt;script&gt;" in html
    response = clerk_client.post(URL, {"code": "", "current": "not-a-number"})
    assert response.status_code in {422, 200}


def test_page_scanning_an_order_number_switches(clerk_client):
    order = OrderFactory(order_no="DD7777")
    response = clerk_client.post(URL, {"code": "DD7777", "current": ""})
    assert response["Location"].endswith("?order=DD7777")
    assert f'data-order-no="{order.order_no}"' in clerk_client.get(response["Location"]).content.decode()
    assert "找不到订单号" in clerk_client.get(URL + "?order=NOPE").content.decode()


def test_consolidated_shipment_is_announced(clerk_client):
    first, second = aged(50), aged(5)
    clerk_client.post(URL, {"code": sf_number(1), "current": first.pk})
    response = clerk_client.post(URL, {"code": sf_number(1), "current": second.pk}, follow=True)
    assert f"合并发货：与订单 {first.order_no} 同一包裹" in response.content.decode()


def test_undo_with_nothing_to_undo(clerk_client):
    response = clerk_client.post(URL, {"code": "UNDO"}, follow=True)
    assert "还没有可以撤销的发货" in response.content.decode()


def test_page_query_count_is_small(clerk_client, django_assert_max_num_queries):
    OrderFactory.create_batch(30)
    with django_assert_max_num_queries(12):
        clerk_client.get(URL)


def test_page_points_out_other_pending_orders_for_the_same_receiver(clerk_client):
    first = aged(50)
    same = aged(40)
    aged(30, receiver_name="李四")
    html = clerk_client.get(URL).content.decode()
    assert f'data-order-no="{first.order_no}"' in html
    assert "同一收货人还有待发货订单" in html and same.order_no in html
