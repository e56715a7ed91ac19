"""电子面单下单 end to end against the local Kuaidi100 fake: waybill → shipped → subscribed → push →
timeline → 已签收, and every way it can fail leaving the order untouched."""

import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from inventory.models import StockMovement
from logistics import services
from logistics.models import TraceEvent, Tracking, TrackingState, Waybill
from orders.models import Order
from tests.factories import ItemFactory, OrderFactory, carrier

CHANGELIST = "admin:orders_order_changelist"


def run_action(client, orders, follow=True):
    return client.post(
        reverse(CHANGELIST) + "?ship_status=all",
        {"action": "issue_waybills", "_selected_action": [o.pk for o in orders]},
        follow=follow,
    )


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def item():
    return ItemFactory(initial_stock=10)


def test_whole_flow_action_to_signed_timeline(courier, sender, clerk_client, item, ledger_is_consistent):
    order = OrderFactory(item=item, quantity=2)
    response = run_action(clerk_client, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert order.carrier == carrier("SF")  # the sender's default carrier
    assert order.tracking_number.startswith("SF")
    assert f"订单 {order.order_no} 已发货，快递单号 {order.tracking_number}。" in texts(response)
    item.refresh_from_db()
    assert item.stock == 8
    assert StockMovement.objects.get(order=order).delta == -2
    waybill = Waybill.objects.get(order=order)
    assert waybill.state == Waybill.State.USED and waybill.task_id and waybill.attempts == 1
    # Subscribed with our webhook and salt.
    subscription = courier.subscriptions[order.tracking_number]
    assert subscription["parameters"]["callbackurl"] == "http://testserver/logistics/kuaidi100/push/"
    assert Tracking.objects.get(order=order).subscribed_at is not None

    number = order.tracking_number
    courier.add_event(number, "2026-11-20 09:15:00", "【杭州市】顺丰速运 已收取快件", state="1", status="揽收")
    courier.add_event(number, "2026-11-21 08:30:00", "【上海市】快件交给李师傅，正在派送途中", state="5", status="派件")
    reply = courier.push(number, client=clerk_client)
    assert reply.status_code == 200
    assert reply.json() == {"result": True, "returnCode": "200", "message": "成功"}
    assert Tracking.objects.get(order=order).state == TrackingState.DELIVERING

    courier.add_event(
        number, "2026-11-21 15:42:00", "【上海市】已签收，签收人：本人", state="3", status="签收", ischeck="1"
    )
    courier.push(number, client=clerk_client)
    tracking = Tracking.objects.get(order=order)
    assert tracking.state == TrackingState.SIGNED
    assert TraceEvent.objects.filter(order=order).count() == 3

    page = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "物流轨迹" in page
    assert "2026-11-21 15:42" in page and "已签收，签收人：本人" in page
    assert page.index("2026-11-21 15:42") < page.index("2026-11-20 09:15")  # newest first
    listing = clerk_client.get(reverse(CHANGELIST), {"ship_status": "all", "tracking_state": "signed"}).content.decode()
    assert order.order_no in listing and '<span class="badge trace-signed">已签收</span>' in listing
    ledger_is_consistent()


def test_provider_down_leaves_order_and_stock_untouched(courier, sender, clerk_client, item):
    order = OrderFactory(item=item)
    courier.fail_next("http500", path="/label/order")
    response = run_action(clerk_client, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and order.tracking_number == "" and order.carrier is None
    item.refresh_from_db()
    assert item.stock == 10
    assert not StockMovement.objects.filter(order=order).exists()
    assert any("未发货" in m and "快递100电子面单下单暂时不可用（HTTP 500）" in m for m in texts(response))


@pytest.mark.parametrize(("mode", "reason"), [("error", "服务繁忙"), ("malformed", "无法识别")])
def test_provider_error_answers_are_shown_in_chinese(courier, sender, clerk_client, item, mode, reason):
    order = OrderFactory(item=item)
    courier.fail_next(mode, path="/label/order")
    response = run_action(clerk_client, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    assert any(reason in m for m in texts(response))


def test_retry_after_timeout_buys_no_second_waybill(courier, sender, clerk_client, settings, item):
    settings.KUAIDI100 = {**settings.KUAIDI100, "TIMEOUT": 0.3}
    order = OrderFactory(item=item)
    courier.fail_next("timeout", path="/label/order")
    response = run_action(clerk_client, [order])
    assert any("超时" in m for m in texts(response))
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING
    waybill = Waybill.objects.get(order=order)
    assert waybill.state == Waybill.State.REQUESTED and "超时" in waybill.last_error
    assert courier.purchases == 1  # the provider did buy one

    run_action(clerk_client, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert courier.purchases == 1
    assert order.tracking_number == courier.waybills[waybill.idempotency_key]["kuaidinum"]
    attempts = [json.loads(form["param"])["orderId"] for path, form in courier.requests if path == "/label/order"]
    assert len(attempts) == 2 and len(set(attempts)) == 1  # two attempts, one idempotency key
    assert Waybill.objects.get(order=order).attempts == 2


def test_not_enough_stock_buys_nothing(courier, sender, clerk_client):
    order = OrderFactory(item=ItemFactory(sku="SKU-LOW", initial_stock=1), quantity=3)
    response = run_action(clerk_client, [order])
    assert any("库存不足：商品 SKU-LOW 仅剩 1 件" in m for m in texts(response))
    assert courier.purchases == 0
    assert not Waybill.objects.exists()


def test_ship_refused_after_waybill_keeps_the_waybill_for_the_retry(courier, sender, clerk_client, item):
    sf = carrier("SF")
    sf.tracking_number_pattern = r"SF\d{12}"  # a pattern the issued number does not match
    sf.save()
    order = OrderFactory(item=item)
    response = run_action(clerk_client, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING and order.tracking_number == ""
    waybill = Waybill.objects.get(order=order)
    assert waybill.state == Waybill.State.ISSUED
    assert any(f"已取得快递单号 {waybill.tracking_number}，但未能发货" in m for m in texts(response))
    assert item.__class__.objects.get(pk=item.pk).stock == 10

    sf.tracking_number_pattern = r"SF\d{13}"
    sf.save()
    run_action(clerk_client, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED and order.tracking_number == waybill.tracking_number
    assert courier.purchases == 1
    assert [p for p, _ in courier.requests].count("/label/order") == 1


def test_order_carrier_wins_over_default_and_needs_a_code(courier, sender, clerk_client, item):
    zto = OrderFactory(item=item, carrier=carrier("ZTO"))
    run_action(clerk_client, [zto])
    zto.refresh_from_db()
    assert zto.status == Order.Status.SHIPPED and zto.carrier.code == "ZTO" and zto.tracking_number.startswith("7")

    yd = carrier("YD")
    yd.kuaidi100_code = ""
    yd.save()
    no_code = OrderFactory(item=item, carrier=yd)
    response = run_action(clerk_client, [no_code])
    assert any("韵达快递没有设置快递100编码" in m for m in texts(response))


def test_missing_sender_is_explained(courier, clerk_client, item):
    order = OrderFactory(item=item)
    response = run_action(clerk_client, [order])
    assert any("请先在“寄件人”中填写" in m for m in texts(response))
    assert courier.purchases == 0


def test_non_pending_orders_are_skipped(courier, sender, clerk_client, item):
    cancelled = OrderFactory(item=item, status=Order.Status.CANCELLED)
    response = run_action(clerk_client, [cancelled])
    assert "跳过 1 个不是待发货的订单。" in texts(response)
    assert courier.purchases == 0


def test_service_refuses_an_order_that_shipped_meanwhile(courier, sender, item):
    order = OrderFactory(item=item)
    Order.objects.filter(pk=order.pk)  # the clerk's copy is stale: someone else ships it by hand
    other = Order.objects.get(pk=order.pk)
    from orders.services import ship_order

    ship_order(other, carrier("SF"), "SF0000000000099")
    with pytest.raises(services.WaybillError, match="当前为“已发货”"):
        services.ship_with_waybill(order)
    assert courier.purchases == 0


def test_subscription_failure_does_not_unship(courier, sender, clerk_client, item):
    order = OrderFactory(item=item)
    courier.fail_next("error", path="/poll", times=3)
    run_action(clerk_client, [order])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    tracking = Tracking.objects.get(order=order)
    assert tracking.subscribed_at is None and "订阅失败" in tracking.last_error


def test_feature_hidden_without_credentials(settings, clerk_client, item):
    settings.KUAIDI100 = {"KEY": "", "SECRET": "", "CUSTOMER": ""}
    OrderFactory(item=item)
    page = clerk_client.get(reverse(CHANGELIST)).content.decode()
    assert "电子面单下单" not in page
    assert "物流状态" not in page
    order = Order.objects.get()
    change = clerk_client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "物流轨迹" not in change
    response = run_action(clerk_client, [order])
    assert order.__class__.objects.get(pk=order.pk).status == Order.Status.PENDING
    assert response.status_code == 200


def test_list_shows_column_filter_and_action_when_configured(courier, clerk_client, item):
    OrderFactory(item=item)
    pending = clerk_client.get(reverse(CHANGELIST)).content.decode()
    assert "电子面单下单" in pending
    assert "column-tracking_state" not in pending  # the pending queue has no parcels: no column
    for label in ["物流状态", "在途", "派件中", "已签收", "疑难", "退回", "异常件"]:
        assert label in pending  # the filter
    everything = clerk_client.get(reverse(CHANGELIST), {"ship_status": "all"}).content.decode()
    assert "column-tracking_state" in everything
