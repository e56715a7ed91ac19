"""Webhooks out: signed, sent by a real Celery worker after commit, retried, never sent twice once delivered."""

import hashlib
import hmac
import importlib.util
import json
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from api import webhooks
from api.admin import WebhookDeliveryAdmin
from api.models import WebhookDelivery
from orders import services
from orders.models import Order
from tests.api.conftest import order_body
from tests.factories import carrier, sf_number

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ORDERS = "/api/v1/orders/"


@pytest.fixture
def store(make_client, receiver, items, settings):
    settings.OMS_WEBHOOK_RETRY_DELAYS = [0, 0]
    settings.OMS_WEBHOOK_TIMEOUT = 0.5
    client, api = make_client(webhook_url=receiver.url)
    api.post(ORDERS, order_body(), format="json")
    client.order = Order.objects.get(order_no="WEB-0001")
    return client


def delivery_done(event_id):
    return lambda: WebhookDelivery.objects.filter(event_id=event_id).exclude(status="pending").exists()


def test_a_shipped_parcel_arrives_signed_with_its_tracking_number(store, receiver, webhook_worker):
    with webhook_worker() as until:
        parcel = services.ship_order(store.order, carrier("SF"), sf_number(11))
        receiver.wait_for(1)
        headers, body = receiver.received[0]
        until(delivery_done(headers["X-OMS-Event-Id"]))

    signed = f"{headers['X-OMS-Timestamp']}.".encode() + body
    expected = "v1=" + hmac.new(store.webhook_secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-OMS-Signature"], expected)
    assert abs(int(headers["X-OMS-Timestamp"]) - time.time()) < webhooks.REPLAY_WINDOW
    event = json.loads(body)
    assert (event["event"], event["order_no"], headers["X-OMS-Event"]) == (
        "parcel.shipped",
        "WEB-0001",
        "parcel.shipped",
    )
    assert event["parcel"]["tracking_number"] == sf_number(11)
    assert event["parcel"]["tracking_url"] == parcel.tracking_url
    assert event["parcel"]["lines"] == [{"sku": "TEE-RED-M", "quantity": 2, "sub_order_no": "S1"}]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert str(delivery.event_id) == event["id"] == headers["X-OMS-Event-Id"]


def test_the_readmes_receiver_verifies_it_and_refuses_a_tampered_or_replayed_one(store, receiver, webhook_worker):
    verified = receiver_script().verified
    with webhook_worker():
        services.ship_order(store.order, carrier("SF"), sf_number(12))
        receiver.wait_for(1)
    headers, body = receiver.received[0]
    sent_at = int(headers["X-OMS-Timestamp"])

    assert verified(store.webhook_secret, headers, body)
    assert not verified(store.webhook_secret, headers, body.replace(sf_number(12).encode(), b"SF9999999999999"))
    assert not verified("whsec_someone-else", headers, body)
    assert not verified(store.webhook_secret, headers, body, now=sent_at + webhooks.REPLAY_WINDOW + 1)


def receiver_script():
    """scripts/webhook_receiver.py, the store-side example the README points to."""
    spec = importlib.util.spec_from_file_location(
        "webhook_receiver", Path(settings.BASE_DIR) / "scripts/webhook_receiver.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_rolled_back_ship_sends_nothing(store, receiver, webhook_worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ship_order(store.order, carrier("SF"), sf_number(13))
        raise RuntimeError("the clerk's save failed after the parcel was written")
    assert not WebhookDelivery.objects.exists()

    with webhook_worker():
        services.cancel_order(store.order)  # committed: this one is sent, and it is the only one
        receiver.wait_for(1)
    events = [json.loads(body)["event"] for _headers, body in receiver.received]
    assert events == ["order.cancelled"]


def test_a_500_is_retried_with_the_same_event_and_body_then_not_sent_again(store, receiver, webhook_worker):
    receiver.answers = [500]
    with webhook_worker() as until:
        services.ship_order(store.order, carrier("SF"), sf_number(14))
        receiver.wait_for(2)
        until(delivery_done(receiver.received[0][0]["X-OMS-Event-Id"]))

    (first_headers, first_body), (second_headers, second_body) = receiver.received
    assert first_headers["X-OMS-Event-Id"] == second_headers["X-OMS-Event-Id"] and first_body == second_body
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert [(a.status_code, a.error) for a in delivery.attempt_log.all()] == [(500, "对方返回 HTTP 500"), (200, "")]

    assert webhooks.deliver(str(delivery.event_id)) is None  # a late copy of the task
    assert len(receiver.received) == 2


def test_a_timeout_is_recorded_and_retried(store, receiver, webhook_worker):
    receiver.answers = ["slow"]
    with webhook_worker() as until:
        services.ship_order(store.order, carrier("SF"), sf_number(15))
        receiver.wait_for(2)
        until(delivery_done(receiver.received[0][0]["X-OMS-Event-Id"]))

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert [(a.status_code, a.error) for a in delivery.attempt_log.all()] == [
        (None, "超时：0.5 秒内没有应答"),
        (200, ""),
    ]


def test_after_the_last_retry_it_is_failed_and_the_admin_resends_it(store, receiver, webhook_worker, rf, clerk):
    from django.contrib import admin
    from django.contrib.messages.storage.fallback import FallbackStorage

    receiver.answers = [503, 503, 503]
    with webhook_worker() as until:
        services.ship_order(store.order, carrier("SF"), sf_number(16))
        receiver.wait_for(3)
        until(delivery_done(receiver.received[0][0]["X-OMS-Event-Id"]))
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 503)

        request = rf.post("/admin/api/webhookdelivery/")
        request.user, request.session = clerk, {}
        request._messages = FallbackStorage(request)
        model_admin = WebhookDeliveryAdmin(WebhookDelivery, admin.site)
        model_admin.resend(request, WebhookDelivery.objects.all())
        receiver.wait_for(4)
        until(delivery_done(delivery.event_id))

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_log.count()) == ("delivered", 4)
    assert [str(m) for m in request._messages] == ["已重新排队发送 1 条回调。"]


def test_voided_and_cancelled_are_sent_too(store, receiver, webhook_worker):
    def delivered(count):
        return lambda: WebhookDelivery.objects.filter(status="delivered").count() == count

    with webhook_worker() as until:  # each step once the last was sent (SQLite in memory: one connection)
        parcel = services.ship_order(store.order, carrier("SF"), sf_number(17))
        until(delivered(1))
        services.void_parcel(parcel)
        until(delivered(2))
        services.cancel_order(store.order)
        until(delivered(3))

    events = [json.loads(body) for _headers, body in receiver.received]
    assert [e["event"] for e in events] == ["parcel.shipped", "parcel.voided", "order.cancelled"]
    assert events[1]["parcel"]["status"] == "voided" and events[1]["parcel"]["voided_at"]
    assert events[2]["status"] == "cancelled"


def test_no_webhook_for_a_revoked_client_or_another_shop(store, make_client, receiver):
    from api.services import revoke_clients
    from tests.factories import OrderFactory, ShopFactory

    other_shop_order = OrderFactory(shop=ShopFactory(name="别家店"))
    services.ship_order(other_shop_order, carrier("SF"), sf_number(18))
    revoke_clients([store])
    services.ship_order(store.order, carrier("SF"), sf_number(19))

    assert not WebhookDelivery.objects.exists()
