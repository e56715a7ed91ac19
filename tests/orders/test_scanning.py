"""扫码发货: the scan service, its undo, and the page as a plain form (no JavaScript)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import InventoryItem
from orders import services
from orders.desk.scan import handle_scan, next_open_order, undo_entry, undo_scan
from orders.models import Carrier, Order, Parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number

pytestmark = pytest.mark.django_db
URL = reverse("admin:orders_order_scan")


def aged(minutes, **kwargs):
    return OrderFactory(created_at=timezone.now() - datetime.timedelta(minutes=minutes), **kwargs)


def stock_of(item):
    return InventoryItem.objects.get(pk=item.pk).stock


def status_of(order):
    return Order.objects.get(pk=order.pk).status


def test_next_order_is_the_oldest_open_one_partial_included(clerk):
    aged(5)
    cancelled = aged(500)
    services.cancel_order(cancelled, user=clerk)
    partial = aged(50, quantity=2)
    (line,) = partial.lines.all()
    services.ship_parcel([(line, 1)], carrier("SF"), sf_number(1), user=clerk)
    assert next_open_order() == partial
    aged(60)
    assert next_open_order() != partial


def test_scanning_an_order_number_switches_to_it(clerk):
    order = OrderFactory(order_no="DD0042")
    result = handle_scan(" dd0042 ", current=None, user=clerk)
    assert (result.kind, result.order) == ("switched", order)


def test_a_number_ships_every_remaining_line_in_one_parcel(clerk, ledger_is_consistent):
    a, b = ItemFactory(initial_stock=10), ItemFactory(initial_stock=10)
    order = OrderFactory(lines=[(a, 1), (b, 3)])
    result = handle_scan("ＳＦ０００００００００００４２", current=order, user=clerk)
    assert result.kind == "shipped", result.message
    assert result.message == f"已发货：订单 {order.order_no} · 顺丰速运 SF0000000000042"
    parcel = Parcel.objects.get()
    assert (parcel.carrier.code, parcel.tracking_number, parcel.shipped_by) == ("SF", "SF0000000000042", clerk)
    assert sorted(parcel.lines.values_list("line__item__sku", "quantity")) == sorted([(a.sku, 1), (b.sku, 3)])
    assert (status_of(order), stock_of(a), stock_of(b)) == ("shipped", 9, 7)
    ledger_is_consistent()


def test_a_partly_shipped_order_ships_only_what_is_left(clerk):
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(item=item, quantity=5)
    services.ship_parcel([(order.lines.get(), 2)], carrier("SF"), sf_number(1), user=clerk)
    result = handle_scan(sf_number(2), current=order, user=clerk)
    assert result.kind == "shipped", result.message
    assert list(result.parcel.lines.values_list("quantity", flat=True)) == [3]
    assert (status_of(order), stock_of(item)) == ("shipped", 5)


def test_the_number_of_a_live_parcel_of_the_same_receiver_joins_it(clerk, ledger_is_consistent):
    first, second = aged(50), aged(5)
    handle_scan(sf_number(1), current=first, user=clerk)
    result = handle_scan(sf_number(1), current=second, user=clerk)
    assert result.kind == "shipped", result.message
    assert f"已与订单 {first.order_no} 合并为一个包裹" in result.message
    assert Parcel.objects.count() == 1
    assert Parcel.objects.get().lines.count() == 2
    ledger_is_consistent()


def test_the_number_of_another_receivers_parcel_is_refused_with_the_services_message(clerk):
    first, other = aged(50), aged(5, receiver_name="李四")
    handle_scan(sf_number(1), current=first, user=clerk)
    result = handle_scan(sf_number(1), current=other, user=clerk)
    assert result.kind == "error"
    assert result.message == "未发货：" + services.number_in_use_message(sf_number(1), [first.order_no])
    assert status_of(other) == "pending"


def test_unknown_number_is_an_error_in_chinese(clerk):
    order = OrderFactory()
    Carrier.objects.filter(tracking_number_pattern="").update(is_active=False)
    result = handle_scan("HELLO1234", current=order, user=clerk)
    assert result.kind == "error"
    assert "无法从快递单号“HELLO1234”识别快递公司" in result.message
    assert "不像快递单号" in handle_scan("<script>", current=order, user=clerk).message


def test_a_number_no_pattern_fits_is_no_candidate_of_a_carrier_without_a_pattern(clerk):
    Carrier.objects.create(name="同城快递", code="TC", tracking_number_pattern="")
    result = handle_scan("4312345", current=OrderFactory(), user=clerk)
    assert result.kind == "error" and not result.candidates
    assert "无法从快递单号“4312345”识别快递公司" in result.message


def test_a_number_of_several_carriers_asks_naming_them(clerk):
    result = handle_scan("773194917396313", current=OrderFactory(), user=clerk)
    assert result.kind == "choose"
    assert [c.code for c in result.candidates] == ["STO", "YD"]
    assert not Parcel.objects.exists()


def test_ambiguous_number_asks_with_candidates_best_first(clerk):
    Carrier.objects.create(name="宽松快递", code="LOOSE", tracking_number_pattern=r"[A-Z]{2}\d{13}")
    order = OrderFactory()
    result = handle_scan(sf_number(1), current=order, user=clerk)
    assert result.kind == "choose"
    assert [c.code for c in result.candidates] == ["SF", "LOOSE"]
    assert status_of(order) == "pending"


def test_not_enough_stock_is_an_error_and_nothing_changes(clerk, ledger_is_consistent):
    order = OrderFactory(item=ItemFactory(initial_stock=1), quantity=2)
    result = handle_scan(sf_number(1), current=order, user=clerk)
    assert result.kind == "error"
    assert "库存不足" in result.message
    assert (status_of(order), Parcel.objects.count()) == ("pending", 0)
    ledger_is_consistent()


# ---- undo names its parcel (issue 15.4)


def test_undo_voids_the_parcel_and_puts_the_stock_back(clerk, ledger_is_consistent):
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(item=item, quantity=2)
    shipped = handle_scan(sf_number(1), current=order, user=clerk)
    result = undo_scan(undo_entry(shipped), user=clerk)
    assert result.kind == "undone", result.message
    assert result.message == f"已撤销包裹 顺丰速运 {sf_number(1)}（订单 {order.order_no}），库存已退回。"
    assert Parcel.objects.get().status == Parcel.Status.VOIDED
    assert (status_of(order), stock_of(item)) == ("pending", 10)
    ledger_is_consistent()


def test_undo_never_touches_a_later_parcel_made_by_another_clerk(clerk, django_user_model, ledger_is_consistent):
    other_clerk = django_user_model.objects.create_user("other", password="pw")
    item = ItemFactory(initial_stock=10)
    order = OrderFactory(item=item)
    entry = undo_entry(handle_scan(sf_number(1), current=order, user=clerk))
    # Another clerk voids that parcel and ships the order again with another number.
    services.void_parcel(Parcel.objects.get(), user=other_clerk)
    later = services.ship_order(Order.objects.get(pk=order.pk), carrier("ZTO"), "70000000000001", user=other_clerk)

    result = undo_scan(entry, user=clerk)

    assert result.kind == "error"
    assert result.message.startswith(f"未撤销：包裹已撤销：快递单号 {sf_number(1)} 此前已撤销")
    later.refresh_from_db()
    assert later.is_live
    assert (status_of(order), stock_of(item)) == ("shipped", 9)
    ledger_is_consistent()


def test_undo_is_refused_when_lines_joined_the_parcel_since(clerk, ledger_is_consistent):
    first, second = aged(50), aged(5)
    entry = undo_entry(handle_scan(sf_number(1), current=first, user=clerk))
    services.ship_order(second, carrier("SF"), sf_number(1))  # another clerk merges into it

    result = undo_scan(entry, user=clerk)

    assert result.kind == "error"
    assert "在本页发货后又加入了订单商品" in result.message and second.order_no in result.message
    assert Parcel.objects.get().is_live
    assert {status_of(first), status_of(second)} == {"shipped"}
    ledger_is_consistent()


# ---- the page without JavaScript


def test_page_shows_every_line_of_the_order_masked(clerk_client, clerk):
    aged(5)
    a = ItemFactory(sku="CUP-1", name="<b>杯子</b>", initial_stock=10)
    b = ItemFactory(sku="LID-2", initial_stock=10)
    oldest = aged(50, receiver_phone="13812345678", lines=[(a, 3), (b, 2)])
    services.ship_parcel([(oldest.lines.get(item=b), 1)], carrier("SF"), sf_number(1), user=clerk)
    html = clerk_client.get(URL).content.decode()
    assert f'data-order-no="{oldest.order_no}"' in html
    assert "138****5678" in html and "13812345678" not in html
    assert "CUP-1" in html and "LID-2" in html
    assert "&lt;b&gt;杯子&lt;/b&gt;" in html
    assert "× 3" in html and "× 1" in html  # what this parcel takes: all of a, the rest of b
    assert 'id="scan-input"' in html and "autofocus" in html


def test_page_flow_ship_next_undo(clerk_client, ledger_is_consistent):
    first, second = aged(50), aged(5, receiver_name="李四")
    response = clerk_client.post(URL, {"code": sf_number(1), "current": first.pk})
    assert response.status_code == 302
    page = clerk_client.get(response["Location"]).content.decode()
    assert f"已发货：订单 {first.order_no}" in page
    assert f'data-order-no="{second.order_no}"' in page
    parcel = Parcel.objects.get()
    assert f'name="parcel" value="{parcel.pk}"' in page
    assert f"上一个包裹：顺丰速运 {sf_number(1)} · 订单 {first.order_no}" in page
    response = clerk_client.post(URL, {"undo": "1", "parcel": parcel.pk})
    page = clerk_client.get(response["Location"]).content.decode()
    assert f"已撤销包裹 顺丰速运 {sf_number(1)}" in page
    assert f'data-order-no="{first.order_no}"' in page
    assert status_of(first) == "pending"
    assert "上一个包裹：" not in page
    ledger_is_consistent()


def test_page_undo_of_a_merged_parcel_voids_it_once(clerk_client, ledger_is_consistent):
    first, second = aged(50), aged(5)
    clerk_client.post(URL, {"code": sf_number(1), "current": first.pk})
    response = clerk_client.post(URL, {"code": sf_number(1), "current": second.pk}, follow=True)
    assert f"已与订单 {first.order_no} 合并为一个包裹" in response.content.decode()
    response = clerk_client.post(URL, {"code": "UNDO"}, follow=True)
    assert f"（订单 {first.order_no}、{second.order_no}），库存已退回" in response.content.decode()
    response = clerk_client.post(URL, {"code": "UNDO"}, follow=True)
    assert "还没有可以撤销的发货" in response.content.decode()
    assert {status_of(first), status_of(second)} == {"pending"}
    ledger_is_consistent()


def test_page_number_key_answers_the_carrier_question(clerk_client):
    order = OrderFactory()
    page = clerk_client.post(URL, {"code": "5012345678901", "current": order.pk})  # 韵达 or 邮政
    assert page.status_code == 200
    assert 'name="number" value="5012345678901"' in page.content.decode()
    response = clerk_client.post(URL, {"code": "1", "number": "5012345678901", "current": order.pk})
    assert response.status_code == 302
    assert Parcel.objects.get().carrier.code == "YD"
    assert status_of(order) == "shipped"


def test_page_error_is_next_to_the_field_and_not_a_500(clerk_client):
    order = OrderFactory()
    response = clerk_client.post(URL, {"code": "<script>", "current": order.pk})
    assert response.status_code == 422
    html = response.content.decode()
    assert "scan-state-error" in html
    assert "&lt;SCRIPT&gt;" in html or "&lt;script&gt;" in html
    response = clerk_client.post(URL, {"code": "", "current": "not-a-number"})
    assert response.status_code == 422


def test_page_scanning_an_order_number_switches(clerk_client):
    order = OrderFactory(order_no="DD7777")
    response = clerk_client.post(URL, {"code": "DD7777", "current": ""})
    assert response["Location"].endswith(f"?shop={order.shop_id}&order=DD7777")  # the number is unique per shop
    assert f'data-order-no="{order.order_no}"' in clerk_client.get(response["Location"]).content.decode()
    assert "找不到订单号" in clerk_client.get(URL + "?order=NOPE").content.decode()


def test_undo_with_nothing_to_undo(clerk_client):
    response = clerk_client.post(URL, {"code": "UNDO"}, follow=True)
    assert "还没有可以撤销的发货" in response.content.decode()


def test_page_queries_do_not_grow_with_lines_or_same_receiver_orders(clerk_client, clerk):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(lines, others):
        items = [ItemFactory(initial_stock=100) for _ in range(lines)]
        order = aged(500 + lines, lines=[(item, 1) for item in items])
        for _ in range(others):
            aged(5)
        clerk_client.post(URL, {"code": sf_number(lines), "current": aged(600 + lines, receiver_name="王五").pk})
        cache.clear()  # both measured with the 等待补货 count read afresh
        with CaptureQueriesContext(connection) as captured:
            html = clerk_client.get(f"{URL}?order={order.order_no}").content.decode()
        assert html.count('class="scan-sku"') == lines
        return len(captured.captured_queries)

    assert queries_for(1, 1) == queries_for(6, 8)


def test_page_points_out_other_open_orders_for_the_same_receiver(clerk_client):
    first = aged(50)
    same = aged(40, quantity=3)
    aged(30, receiver_name="李四")
    aged(20, address="北京市朝阳区")
    html = clerk_client.get(URL).content.decode()
    assert f'data-order-no="{first.order_no}"' in html
    assert f"同一收货人还有未发货订单：{same.order_no}（3 件）。" in html


def test_page_undo_button_undoes_the_parcel_it_showed_not_a_later_one(clerk_client):
    first, second = aged(50), aged(5, receiver_name="李四")
    clerk_client.post(URL, {"code": sf_number(1), "current": first.pk})
    shown_parcel = Parcel.objects.get()
    clerk_client.post(URL, {"code": sf_number(2), "current": second.pk})  # from another tab, same session

    clerk_client.post(URL, {"undo": "1", "parcel": shown_parcel.pk})

    assert Parcel.objects.get(pk=shown_parcel.pk).status == Parcel.Status.VOIDED
    assert Parcel.objects.get(tracking_number=sf_number(2)).is_live
    assert (status_of(first), status_of(second)) == ("pending", "shipped")
