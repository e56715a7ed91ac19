"""Webhooks out: parcel shipped / voided and order cancelled, POSTed signed to each client's URL.

The shipping signals arrive inside the services' transaction: a WebhookDelivery row is written
there (so a rolled-back ship leaves none) and sent by Celery once the transaction commits. Each
POST carries

    X-OMS-Event: parcel.shipped            X-OMS-Event-Id: <uuid, the same on every retry>
    X-OMS-Timestamp: <unix seconds>        X-OMS-Signature: v1=<hex HMAC-SHA256>

where the HMAC is over `<timestamp>.<raw body>` with the client's webhook secret. A receiver
recomputes it, compares in constant time, refuses timestamps more than REPLAY_WINDOW from its
clock, and ignores an event id it has already processed. Any 2xx answer is a delivery; anything
else is retried after settings.OMS_WEBHOOK_RETRY_DELAYS (about a day), then marked failed, to be
resent from the admin.
"""

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from api.models import ApiClient, WebhookAttempt, WebhookDelivery
from oms.celery import app as celery_app
from orders.signals import order_cancelled, parcels_shipped, parcels_voided

log = logging.getLogger(__name__)

DELIVER_TASK = "api.deliver_webhook"  # the Celery task's registered name (api.tasks)
REPLAY_WINDOW = 300  # seconds a receiver should accept between X-OMS-Timestamp and its own clock
EVENT = WebhookDelivery.Event
STATUS = WebhookDelivery.Status


# --- Events, written in the shipping transaction -----------------------------------------------


@receiver(parcels_shipped, dispatch_uid="api.webhooks.parcels_shipped")
def parcels_shipped_webhooks(sender, lines, **kwargs):
    queue_parcel_events(EVENT.PARCEL_SHIPPED, lines)


@receiver(parcels_voided, dispatch_uid="api.webhooks.parcels_voided")
def parcels_voided_webhooks(sender, lines, **kwargs):
    queue_parcel_events(EVENT.PARCEL_VOIDED, lines)


@receiver(order_cancelled, dispatch_uid="api.webhooks.order_cancelled")
def order_cancelled_webhook(sender, order, **kwargs):
    queue_events(EVENT.ORDER_CANCELLED, [(order, {"status": order.status})])


def queue_parcel_events(event, parcel_lines):
    """One event per (parcel, order) of `parcel_lines` (ParcelLines with .parcel, .line.item, .line.order)."""
    groups = {}
    for parcel_line in parcel_lines:
        order = parcel_line.line.order
        groups.setdefault((parcel_line.parcel_id, order.pk), (order, parcel_line.parcel, []))[2].append(parcel_line)
    queue_events(event, [(order, {"parcel": parcel_data(parcel, lines)}) for order, parcel, lines in groups.values()])


def parcel_data(parcel, parcel_lines):
    return {
        "carrier": parcel.carrier.name,
        "carrier_code": parcel.carrier.code,
        "tracking_number": parcel.tracking_number,
        "tracking_url": parcel.tracking_url,
        "status": parcel.status,
        "shipped_at": _iso(parcel.shipped_at),
        "voided_at": _iso(getattr(parcel, "voided_at", None)),
        "lines": [
            {"sku": pl.line.item.sku, "quantity": pl.quantity, "sub_order_no": pl.line.sub_order_no}
            for pl in parcel_lines
        ],
    }


def queue_events(event, orders_and_data):
    """A delivery per event for every active client with a webhook URL in the order's shop; sent after commit."""
    shops = {order.shop_id for order, _data in orders_and_data}
    clients = {}
    for client in (
        ApiClient.objects.select_related("shop")
        .filter(shop_id__in=shops, revoked_at__isnull=True)
        .exclude(webhook_url="")
    ):
        clients.setdefault(client.shop_id, []).append(client)
    now = timezone.now()
    deliveries = []
    for order, data in orders_and_data:
        for client in clients.get(order.shop_id, []):
            delivery = WebhookDelivery(client=client, event=event, order_no=order.order_no, created_at=now)
            body = {"id": str(delivery.event_id), "event": event, "occurred_at": _iso(now), "shop": client.shop.name}
            delivery.body = json.dumps({**body, "order_no": order.order_no, **data}, ensure_ascii=False)
            deliveries.append(delivery)
    if deliveries:
        WebhookDelivery.objects.bulk_create(deliveries)
        event_ids = [str(delivery.event_id) for delivery in deliveries]
        transaction.on_commit(lambda: enqueue(event_ids), robust=True)


def enqueue(event_ids):
    """Hand deliveries to Celery (a broker that is down leaves them pending: 重新发送 in the admin).
    By the task's registered name: api.tasks imports this module, not the other way round."""
    for event_id in event_ids:
        celery_app.send_task(DELIVER_TASK, args=[event_id])


def _iso(moment):
    return moment.isoformat() if moment else None


# --- Sending, from the Celery task -------------------------------------------------------------


def signature(secret, timestamp, body):
    """The X-OMS-Signature value: v1=HMAC-SHA256(secret, "<timestamp>.<body>") in hex."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"v1={digest}"


def deliver(event_id):
    """One attempt at the delivery `event_id`. Returns the seconds until the next attempt, or None (done).

    The row is locked while the attempt is counted, so two copies of the task never both send it; a
    delivery already delivered or failed, or not yet due, is left alone.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update().select_related("client").filter(event_id=event_id).first()
        )
        if delivery is None or delivery.status != STATUS.PENDING:
            return None
        if delivery.next_attempt_at and delivery.next_attempt_at > timezone.now() + timedelta(seconds=5):
            return None  # an early copy of a scheduled retry (a redelivered message): its own message comes later
        delivery.attempts += 1
        delivery.next_attempt_at = None
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    status_code, problem, took = post(delivery)
    WebhookAttempt.objects.create(delivery=delivery, status_code=status_code, error=problem, duration_ms=took)
    delivery.last_status_code = status_code
    delays = settings.OMS_WEBHOOK_RETRY_DELAYS
    if status_code is not None and 200 <= status_code < 300:
        delivery.status, delivery.delivered_at, delay = STATUS.DELIVERED, timezone.now(), None
    elif delivery.attempts > len(delays):
        delivery.status, delay = STATUS.FAILED, None
        log.warning("webhook %s to %s failed after %s attempts", event_id, delivery.client, delivery.attempts)
    else:
        delay = delays[delivery.attempts - 1]
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
    delivery.save(update_fields=["status", "delivered_at", "last_status_code", "next_attempt_at"])
    return delay


def post(delivery):
    """(status code or None, problem in Chinese or "", milliseconds) of one signed POST."""
    body = delivery.body.encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "OMS-Webhooks/1",
        "X-OMS-Event": delivery.event,
        "X-OMS-Event-Id": str(delivery.event_id),
        "X-OMS-Timestamp": timestamp,
        "X-OMS-Signature": signature(delivery.client.webhook_secret, timestamp, body),
    }
    timeout = settings.OMS_WEBHOOK_TIMEOUT
    started = time.monotonic()
    try:
        response = requests.post(delivery.client.webhook_url, data=body, headers=headers, timeout=timeout)
    except requests.Timeout:
        return None, f"超时：{timeout:g} 秒内没有应答", _ms(started)
    except requests.RequestException as exc:
        return None, f"无法连接：{type(exc).__name__}", _ms(started)
    problem = "" if 200 <= response.status_code < 300 else f"对方返回 HTTP {response.status_code}"
    return response.status_code, problem, _ms(started)


def _ms(started):
    return int((time.monotonic() - started) * 1000)


def resend_deliveries(deliveries):
    """重新发送: failed deliveries (or pending ones stuck without a task) get a new round of attempts."""
    pending = [d for d in deliveries if d.status != STATUS.DELIVERED]
    WebhookDelivery.objects.filter(pk__in=[d.pk for d in pending]).update(
        status=STATUS.PENDING, attempts=0, next_attempt_at=None
    )
    event_ids = [str(d.event_id) for d in pending]
    transaction.on_commit(lambda: enqueue(event_ids), robust=True)
    return len(pending)
