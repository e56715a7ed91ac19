"""The push webhook: signature checked, replays stored once, bad pushes refused with 403 and logged."""

import logging

import pytest
import requests

from logistics import selectors
from logistics.models import PushReceipt, TraceEvent, Tracking, TrackingState
from logistics.order_admin import tracking_state
from logistics.services.tracking import ensure_tracking, subscribe_tracking
from orders.models import Order
from orders.services import ship_order, ship_orders, void_parcel
from tests.factories import ItemFactory, OrderFactory, carrier
from tests.logistics.conftest import PUSH_PATH, TEST_SALT

NUMBER = "SF0000000000123"


@pytest.fixture
def shipped(courier):
    parcel = ship_order(OrderFactory(item=ItemFactory(initial_stock=5)), carrier("SF"), NUMBER)
    ensure_tracking(parcel)
    courier.add_event(NUMBER, "2026-11-20 09:15:00", "【杭州市】已揽收", com="shunfeng", state="1")
    return parcel


def post(client, form):
    return client.post(PUSH_PATH, form)


def test_push_stores_events_and_state(client, courier, shipped):
    response = post(client, courier.push_form(NUMBER, salt=TEST_SALT))
    assert response.status_code == 200
    assert response.json() == {"result": True, "returnCode": "200", "message": "成功"}
    assert TraceEvent.objects.filter(parcel=shipped).count() == 1
    tracking = Tracking.objects.get(parcel=shipped)
    assert tracking.state == TrackingState.IN_TRANSIT and tracking.subscription_status == "polling"


def test_bad_signature_is_403_logged_and_stores_nothing(client, courier, shipped, caplog):
    with caplog.at_level(logging.WARNING, logger="logistics"):
        response = post(client, courier.push_form(NUMBER, salt="forged-salt"))
    assert response.status_code == 403
    assert response.json()["result"] is False
    assert not TraceEvent.objects.exists()
    assert not PushReceipt.objects.exists()
    assert Tracking.objects.get(parcel=shipped).state == ""
    assert any("bad signature" in r.getMessage() for r in caplog.records)


def test_missing_signature_is_403(client, courier, shipped):
    form = courier.push_form(NUMBER, salt=TEST_SALT)
    assert post(client, {"param": form["param"]}).status_code == 403
    assert post(client, {}).status_code == 403
    assert not TraceEvent.objects.exists()


def test_same_push_twice_stores_once(client, courier, shipped):
    form = courier.push_form(NUMBER, salt=TEST_SALT)
    assert post(client, form).status_code == 200
    assert post(client, form).status_code == 200
    assert TraceEvent.objects.filter(parcel=shipped).count() == 1
    assert PushReceipt.objects.count() == 1


def test_later_push_repeating_old_events_adds_only_new_ones(client, courier, shipped):
    post(client, courier.push_form(NUMBER, salt=TEST_SALT))
    courier.add_event(NUMBER, "2026-11-21 08:00:00", "【上海市】派送中", state="5")
    post(client, courier.push_form(NUMBER, salt=TEST_SALT))
    assert TraceEvent.objects.filter(parcel=shipped).count() == 2
    assert Tracking.objects.get(parcel=shipped).state == TrackingState.DELIVERING


def test_late_push_with_older_events_does_not_move_state_back(client, courier, shipped):
    old = courier.push_form(NUMBER, salt=TEST_SALT)
    courier.add_event(NUMBER, "2026-11-21 15:00:00", "已签收", state="3", ischeck="1")
    post(client, courier.push_form(NUMBER, salt=TEST_SALT, status="shutdown"))
    post(client, old)  # delivered late, after the newer one
    tracking = Tracking.objects.get(parcel=shipped)
    assert tracking.state == TrackingState.SIGNED and tracking.subscription_status == "shutdown"
    assert TraceEvent.objects.filter(parcel=shipped).count() == 2


def test_signed_but_malformed_push_is_400(client, courier, shipped, caplog):
    from logistics.providers.kuaidi100 import push_sign

    body = '{"status": "polling", "lastResult": "oops"}'
    with caplog.at_level(logging.WARNING, logger="logistics"):
        response = post(client, {"param": body, "sign": push_sign(body, TEST_SALT)})
    assert response.status_code == 400
    assert not TraceEvent.objects.exists()
    assert any("malformed" in r.getMessage() for r in caplog.records)


def test_push_for_parcel_shipped_by_hand_starts_tracking(client, courier):
    parcel = ship_order(OrderFactory(item=ItemFactory(initial_stock=5)), carrier("SF"), "SF0000000000777")
    courier.add_event("SF0000000000777", "2026-11-20 09:15:00", "已揽收", com="shunfeng", state="1")
    assert post(client, courier.push_form("SF0000000000777", salt=TEST_SALT)).status_code == 200
    assert Tracking.objects.get(parcel=parcel).state == TrackingState.IN_TRANSIT


def test_push_for_a_merged_parcel_updates_the_one_parcel_both_orders_show(client, courier, clerk):
    item = ItemFactory(initial_stock=5)
    first, second = OrderFactory(item=item), OrderFactory(item=item)  # one receiver: 合并发货
    parcel, same = ship_orders([(first, carrier("SF"), "SF0000000000888"), (second, carrier("SF"), "SF0000000000888")])
    assert parcel == same
    courier.add_event("SF0000000000888", "2026-11-21 08:00:00", "【上海市】派送中", com="shunfeng", state="5")
    assert post(client, courier.push_form("SF0000000000888", salt=TEST_SALT)).status_code == 200
    assert list(Tracking.objects.values_list("parcel", "state")) == [(parcel.pk, TrackingState.DELIVERING)]
    assert TraceEvent.objects.filter(parcel=parcel).count() == 1
    orders = selectors.with_live_trackings(Order.objects.order_by("pk"))
    assert [str(tracking_state(order)) for order in orders] == [
        '<span class="badge trace-delivering">派件中</span>'
    ] * 2
    in_state = Order.objects.filter(pk__in=selectors.orders_in_tracking_state(TrackingState.DELIVERING))
    assert set(in_state) == {first, second}


def test_push_for_a_voided_parcel_or_another_company_stores_nothing(client, courier, clerk):
    parcel = ship_order(OrderFactory(item=ItemFactory(initial_stock=5)), carrier("SF"), "SF0000000000999")
    courier.add_event("SF0000000000999", "2026-11-20 09:15:00", "已揽收", com="zhongtong", state="1")
    assert post(client, courier.push_form("SF0000000000999", salt=TEST_SALT)).status_code == 200
    assert not Tracking.objects.exists()  # the number is SF's, the push says 中通
    void_parcel(parcel, user=clerk)
    courier.add_event("SF0000000000999", "2026-11-20 10:15:00", "已揽收", com="shunfeng", state="1")
    assert post(client, courier.push_form("SF0000000000999", salt=TEST_SALT)).status_code == 200
    assert not TraceEvent.objects.exists()


def test_push_for_unknown_number_is_acknowledged(client, courier, db):
    courier.add_event("SF0000000000555", "2026-11-20 09:15:00", "已揽收", com="shunfeng")
    assert post(client, courier.push_form("SF0000000000555", salt=TEST_SALT)).status_code == 200
    assert not TraceEvent.objects.exists()


def test_webhook_is_post_only_and_off_without_credentials(client, settings, db):
    settings.KUAIDI100 = {"KEY": "k", "SECRET": "s", "CUSTOMER": "c", "SALT": TEST_SALT}
    assert client.get(PUSH_PATH).status_code == 405
    settings.KUAIDI100 = {"KEY": "", "SECRET": "", "CUSTOMER": ""}
    assert client.post(PUSH_PATH, {"param": "{}", "sign": "x"}).status_code == 404


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fake_pushes_over_real_http_to_live_server(settings, fake_kuaidi100, live_server):
    settings.KUAIDI100 = {
        "KEY": fake_kuaidi100.key,
        "SECRET": fake_kuaidi100.secret,
        "CUSTOMER": fake_kuaidi100.customer,
        "BASE_URL": fake_kuaidi100.base_url,
        "CALLBACK_URL": f"{live_server.url}{PUSH_PATH}",
        "SALT": TEST_SALT,
    }
    parcel = ship_order(OrderFactory(item=ItemFactory(initial_stock=5)), carrier("SF"), NUMBER)
    subscribe_tracking(parcel)  # the fake now knows our callback URL and salt
    fake_kuaidi100.add_event(NUMBER, "2026-11-21 15:00:00", "已签收", state="3", ischeck="1")
    response = fake_kuaidi100.push(NUMBER)
    assert isinstance(response, requests.Response)
    assert response.status_code == 200 and response.json()["result"] is True
    assert Tracking.objects.get(parcel=parcel).state == TrackingState.SIGNED
