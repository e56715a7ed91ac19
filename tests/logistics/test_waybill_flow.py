"""电子面单下单 end to end against the local Kuaidi100 fake: waybill → parcel shipped → subscribed → push
→ timeline → 已签收, every way it can fail leaving the order untouched, and one waybill per parcel."""

import json

import pytest
from django.test import Client

from inventory.models import InventoryItem, StockMovement
from inventory.services import shortage_message
from logistics.models import Sender, TraceEvent, Tracking, TrackingState, Waybill
from logistics.services import waybills
from orders.models import Order, Parcel
from orders.services import cancel_order, ship_order, ship_parcel, void_parcel
from tests.factories import ItemFactory, OrderFactory, carrier, sf_number
from tests.logistics.conftest import order_admin, run_action


@pytest.fixture
def item():
    return ItemFactory(initial_stock=10)


def label_requests(courier):
    return [json.loads(form["param"]) for path, form in courier.requests if path == "/label/order"]


def stock(item):
    return InventoryItem.objects.get(pk=item.pk).stock


def test_whole_flow_action_to_signed_timeline(courier, sender, clerk, ledger_is_consistent):
    shirt = ItemFactory(name="纯棉T恤", initial_stock=10)
    socks = ItemFactory(initial_stock=10)
    order = OrderFactory(lines=[(shirt, 2), (socks, 1)])
    _response, shown = run_action(clerk, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    parcel = Parcel.objects.get(lines__line__order=order, lines__line__item=shirt)
    assert parcel.carrier == carrier("SF")  # the sender's default carrier
    assert parcel.tracking_number.startswith("SF")
    assert sorted(parcel.lines.values_list("line__item__sku", "quantity")) == sorted([(shirt.sku, 2), (socks.sku, 1)])
    assert shown == [f"订单 {order.order_no} 已发货，快递单号 {parcel.tracking_number}。"]
    assert (stock(shirt), stock(socks)) == (8, 9)
    assert sorted(StockMovement.objects.filter(parcel=parcel).values_list("delta", flat=True)) == [-2, -1]
    waybill = Waybill.objects.get(order=order)
    assert waybill.state == Waybill.State.USED and waybill.parcel == parcel and waybill.attempts == 1
    (request,) = label_requests(courier)
    assert (request["cargo"], request["count"]) == ("纯棉T恤 ×2 等3件", 3)  # cargo from the lines
    # Subscribed with our webhook and salt.
    subscription = courier.subscriptions[parcel.tracking_number]
    assert subscription["parameters"]["callbackurl"] == "http://testserver/logistics/kuaidi100/push/"
    assert Tracking.objects.get(parcel=parcel).subscribed_at is not None

    number = parcel.tracking_number
    courier.add_event(number, "2026-11-20 09:15:00", "【杭州市】顺丰速运 已收取快件", state="1", status="揽收")
    courier.add_event(number, "2026-11-21 08:30:00", "【上海市】快件交给李师傅，正在派送途中", state="5", status="派件")
    reply = courier.push(number, client=Client())
    assert reply.status_code == 200
    assert reply.json() == {"result": True, "returnCode": "200", "message": "成功"}
    assert Tracking.objects.get(parcel=parcel).state == TrackingState.DELIVERING

    courier.add_event(
        number, "2026-11-21 15:42:00", "【上海市】已签收，签收人：本人", state="3", status="签收", ischeck="1"
    )
    courier.push(number, client=Client())
    assert Tracking.objects.get(parcel=parcel).state == TrackingState.SIGNED
    assert TraceEvent.objects.filter(parcel=parcel).count() == 3

    timeline = str(order_admin().trace_timeline(order))
    assert (
        number in timeline and "打印面单" in timeline and '<span class="badge trace-signed">已签收</span>' in timeline
    )
    assert "2026-11-21 15:42" in timeline and "已签收，签收人：本人" in timeline
    assert timeline.index("2026-11-21 15:42") < timeline.index("2026-11-20 09:15")  # newest first, Shanghai time
    ledger_is_consistent()


def test_provider_down_leaves_order_and_stock_untouched(courier, sender, clerk, item):
    order = OrderFactory(item=item)
    courier.fail_next("http500", path="/label/order")
    _response, shown = run_action(clerk, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert not Parcel.objects.exists()
    assert stock(item) == 10
    assert not StockMovement.objects.filter(order=order).exists()
    assert any("未发货" in m and "快递100电子面单下单暂时不可用（HTTP 500）" in m for m in shown)


@pytest.mark.parametrize(("mode", "reason"), [("error", "服务繁忙"), ("malformed", "无法识别")])
def test_provider_error_answers_are_shown_in_chinese(courier, sender, clerk, item, mode, reason):
    order = OrderFactory(item=item)
    courier.fail_next(mode, path="/label/order")
    _response, shown = run_action(clerk, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert any(reason in m for m in shown)


def test_retry_after_timeout_buys_no_second_waybill(courier, sender, clerk, settings, item):
    settings.KUAIDI100 = {**settings.KUAIDI100, "TIMEOUT": 0.3}
    order = OrderFactory(item=item)
    courier.fail_next("timeout", path="/label/order")
    _response, shown = run_action(clerk, [order])
    assert any("超时" in m for m in shown)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    waybill = Waybill.objects.get(order=order)
    assert waybill.state == Waybill.State.REQUESTED and "超时" in waybill.last_error
    assert courier.purchases == 1  # the provider did buy one

    run_action(clerk, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert courier.purchases == 1
    parcel = Waybill.objects.get(order=order).parcel
    assert parcel.tracking_number == courier.waybills[waybill.idempotency_key]["kuaidinum"]
    attempts = [request["orderId"] for request in label_requests(courier)]
    assert len(attempts) == 2 and len(set(attempts)) == 1  # two attempts, one idempotency key
    assert Waybill.objects.get(order=order).attempts == 2


def test_not_enough_stock_buys_nothing(courier, sender, clerk):
    low = ItemFactory(sku="SKU-LOW", initial_stock=1)
    order = OrderFactory(item=low, quantity=3)
    _response, shown = run_action(clerk, [order])
    assert any(shortage_message(low, 3, 1) in m for m in shown)  # the one wording of a shortage
    assert courier.purchases == 0
    assert not Waybill.objects.exists()


def test_ship_refused_after_waybill_keeps_the_waybill_for_the_retry(courier, sender, clerk, item):
    sf = carrier("SF")
    sf.tracking_number_pattern = r"SF\d{12}"  # a pattern the issued number does not match
    sf.save()
    order = OrderFactory(item=item)
    _response, shown = run_action(clerk, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and not Parcel.objects.exists()
    waybill = Waybill.objects.get(order=order)
    assert waybill.state == Waybill.State.ISSUED and waybill.parcel is None
    assert any(f"已取得快递单号 {waybill.tracking_number}，但未能发货" in m and "单号格式" in m for m in shown)
    assert stock(item) == 10

    sf.tracking_number_pattern = r"SF\d{13}"
    sf.save()
    run_action(clerk, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert Waybill.objects.get(order=order).parcel.tracking_number == waybill.tracking_number
    assert courier.purchases == 1
    assert len(label_requests(courier)) == 1


def test_split_order_gets_one_waybill_per_parcel(courier, sender, clerk, ledger_is_consistent):
    shirt, socks = ItemFactory(name="纯棉T恤", initial_stock=10), ItemFactory(name="棉袜", initial_stock=10)
    order = OrderFactory(lines=[(shirt, 2), (socks, 1)])
    shirt_line, socks_line = order.lines.order_by("pk")
    by_hand = ship_parcel([(shirt_line, 1)], carrier("SF"), sf_number(901), user=clerk)  # 拆单: part by hand

    run_action(clerk, [order])  # 部分发货 orders can get a waybill for what is left
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    first = Waybill.objects.get(order=order)
    assert sorted(first.parcel.lines.values_list("line_id", "quantity")) == [(shirt_line.pk, 1), (socks_line.pk, 1)]
    assert first.parcel != by_hand

    void_parcel(first.parcel, user=clerk)  # the second parcel went wrong: void it and buy again
    run_action(clerk, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    first_again, second = Waybill.objects.filter(order=order).order_by("pk")
    assert first_again.parcel == first.parcel and first_again.parcel.status == Parcel.Status.VOIDED
    assert second.parcel.is_live and second.parcel not in {first.parcel, by_hand}
    assert second.idempotency_key != first.idempotency_key and courier.purchases == 2
    assert [(r["cargo"], r["count"]) for r in label_requests(courier)] == [("纯棉T恤 ×1 等2件", 2)] * 2
    assert (stock(shirt), stock(socks)) == (8, 9)
    ledger_is_consistent()


def test_cargo_text_fits_the_label():
    long_name = ItemFactory.build(name="超长商品名" * 20)
    other = ItemFactory.build(name="袜子")

    class Line:
        def __init__(self, item):
            self.item = item

    assert waybills.cargo_text([(Line(other), 3)]) == "袜子 ×3"
    text = waybills.cargo_text([(Line(long_name), 2), (Line(other), 5)])
    assert len(text) == 50 and text.endswith(" ×2 等7件")


def test_default_carrier_needs_a_kuaidi100_code(courier, sender, clerk, item):
    sf = carrier("SF")
    sf.kuaidi100_code = ""
    sf.save()
    _response, shown = run_action(clerk, [OrderFactory(item=item)])
    assert any("顺丰速运没有设置快递100编码" in m for m in shown)
    assert courier.purchases == 0


def test_missing_sender_or_default_carrier_is_explained(courier, clerk, item):
    order = OrderFactory(item=item)
    _response, shown = run_action(clerk, [order])
    assert any("请先在“寄件人”中填写" in m for m in shown)
    Sender.objects.create(name="王店长", phone="13900139000", address="杭州")
    _response, shown = run_action(clerk, [order])
    assert any("请在“寄件人”中设置默认快递公司" in m for m in shown)
    assert courier.purchases == 0


def test_shipped_and_cancelled_orders_are_skipped(courier, sender, clerk, item):
    cancelled = OrderFactory(item=item)
    cancel_order(cancelled, user=clerk)
    shipped = OrderFactory(item=item)
    ship_order(shipped, carrier("SF"), sf_number(5))
    _response, shown = run_action(clerk, [cancelled, shipped])
    assert "跳过 2 个已发货或已取消的订单。" in shown
    assert courier.purchases == 0


def test_service_refuses_an_order_that_shipped_meanwhile(courier, sender, item):
    order = OrderFactory(item=item)
    ship_order(Order.objects.get(pk=order.pk), carrier("SF"), "SF0000000000099")  # someone ships it by hand
    with pytest.raises(waybills.WaybillError, match="当前为“已发货”"):
        waybills.ship_with_waybill(order)
    assert courier.purchases == 0


def test_subscription_failure_does_not_unship(courier, sender, clerk, item):
    order = OrderFactory(item=item)
    courier.fail_next("error", path="/poll", times=3)
    run_action(clerk, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    tracking = Tracking.objects.get(parcel__lines__line__order=order)
    assert tracking.subscribed_at is None and "订阅失败" in tracking.last_error
