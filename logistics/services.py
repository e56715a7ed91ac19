"""Courier workflows: buy an e-waybill and ship, subscribe, store traces, run batches.

Shipping always goes through orders.services.ship_order, so the same rules as a manual save
apply (pattern, stock, signal, ledger). The waybill row is committed before the provider is
called and its result is committed before the order ships: a retry after any failure reuses
the stored waybill (or the same idempotency key) and never buys a second one.
"""

import hashlib
import logging
import time
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from logistics.conf import callback_url, get_provider
from logistics.models import PushReceipt, Sender, TraceEvent, Tracking, Waybill, WaybillBatch
from logistics.providers.base import Party, ProviderError, WaybillRequest
from orders import services as order_services
from orders.models import Order

logger = logging.getLogger(__name__)

# A selection larger than this runs on the task queue instead of in the request.
INLINE_LIMIT = 5


class WaybillError(Exception):
    """An order could not be shipped with an e-waybill; the message (Chinese) says why. Nothing changed."""


def current_sender():
    return Sender.objects.select_related("default_carrier").order_by("pk").first()


def _error_text(exc):
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


# -- e-waybill -------------------------------------------------------------------------------


def _reserve_waybill(order, sender):
    """Lock the order, check it can ship, and return its waybill row (created and committed if new)."""
    with transaction.atomic():
        locked = Order.objects.select_for_update().select_related("item", "carrier").get(pk=order.pk)
        if locked.status != Order.Status.PENDING:
            raise WaybillError(f"订单当前为“{locked.get_status_display()}”，不能下电子面单。")
        waybill = Waybill.objects.select_related("carrier").filter(order=locked).first()
        if waybill is None:
            carrier = locked.carrier or sender.default_carrier
            if carrier is None:
                raise WaybillError("未选择快递公司：请在订单上选择，或在“寄件人”中设置默认快递公司。")
            if not carrier.kuaidi100_code:
                raise WaybillError(f"{carrier.name}没有设置快递100编码，不能下电子面单。")
        # Don't buy a waybill for an order that cannot ship anyway.
        needs_request = waybill is None or waybill.state == Waybill.State.REQUESTED
        if needs_request and locked.item.stock < locked.quantity:
            raise WaybillError(
                f"库存不足：商品 {locked.item.sku} 仅剩 {locked.item.stock} 件，订单需要 {locked.quantity} 件。"
            )
        if waybill is None:
            waybill = Waybill.objects.create(
                order=locked, carrier=carrier, idempotency_key=f"OMS{locked.pk}-{uuid.uuid4().hex[:16]}"
            )
    return locked, waybill


def _request_waybill(waybill, order, sender, provider):
    """Ask the provider for the waybill; the answer is committed before anything else happens."""
    Waybill.objects.filter(pk=waybill.pk).update(attempts=waybill.attempts + 1, updated_at=timezone.now())
    request = WaybillRequest(
        idempotency_key=waybill.idempotency_key,
        company=waybill.carrier.kuaidi100_code,
        sender=Party(sender.name, sender.phone, sender.address),
        receiver=Party(order.receiver_name, order.receiver_phone, order.address),
        cargo=sender.cargo or order.item.name[:50],
        count=order.quantity,
        remark=order.order_no,
        partner_id=sender.partner_id,
        partner_key=sender.partner_key,
        template_id=sender.template_id,
    )
    try:
        result = provider.create_waybill(request)
    except ProviderError as exc:
        Waybill.objects.filter(pk=waybill.pk).update(last_error=str(exc)[:300])
        raise WaybillError(str(exc)) from exc
    # Conditional: a concurrent attempt for the same order may already have stored (and used) it.
    Waybill.objects.filter(pk=waybill.pk, state=Waybill.State.REQUESTED).update(
        task_id=result.task_id,
        tracking_number=result.tracking_number,
        label_url=result.label_url[:500],
        state=Waybill.State.ISSUED,
        last_error="",
        updated_at=timezone.now(),
    )
    return Waybill.objects.select_related("carrier").get(pk=waybill.pk)


def _ship(order, waybill, user):
    try:
        with transaction.atomic():
            # Lock first, so a second attempt for the same order waits and then sees it shipped.
            Order.objects.select_for_update().filter(pk=order.pk).values_list("pk").first()
            fresh = Order.objects.select_related("item", "carrier").get(pk=order.pk)
            order_services.ship_order(fresh, waybill.carrier, waybill.tracking_number, user=user)
            Waybill.objects.filter(pk=waybill.pk).update(state=Waybill.State.USED, last_error="")
    except (ValidationError, order_services.InsufficientStock) as exc:
        reason = _error_text(exc)
        Waybill.objects.filter(pk=waybill.pk).update(last_error=reason[:300])
        raise WaybillError(
            f"已取得快递单号 {waybill.tracking_number}，但未能发货：{reason}（处理后重试会沿用这个单号）"
        ) from exc
    return fresh


def ship_with_waybill(order, *, user=None, provider=None, sender=None):
    """Buy (or reuse) the order's e-waybill, ship the order with it, then subscribe its tracking.

    Returns the shipped order. Raises WaybillError (Chinese) and leaves the order untouched when
    the provider fails, times out or the order cannot ship. Must run outside a transaction so
    the waybill is stored before the order ships.
    """
    provider = provider or get_provider()
    if provider is None:
        raise WaybillError("未配置快递100账号，不能下电子面单。")
    sender = sender or current_sender()
    if sender is None:
        raise WaybillError("请先在“寄件人”中填写寄件人姓名、电话和地址。")
    order, waybill = _reserve_waybill(order, sender)
    if waybill.state == Waybill.State.REQUESTED:
        waybill = _request_waybill(waybill, order, sender, provider)
    shipped = _ship(order, waybill, user)
    subscribe_tracking(shipped, provider=provider)
    return shipped


# -- tracking --------------------------------------------------------------------------------


def ensure_tracking(order):
    """The order's Tracking row for its current carrier and number (reset if either changed)."""
    company = order.carrier.kuaidi100_code if order.carrier_id else ""
    tracking, created = Tracking.objects.get_or_create(
        order=order, defaults={"company": company, "tracking_number": order.tracking_number}
    )
    if not created and (tracking.company, tracking.tracking_number) != (company, order.tracking_number):
        tracking.company = company
        tracking.tracking_number = order.tracking_number
        tracking.state = ""
        tracking.raw_state = ""
        tracking.last_event_at = None
        tracking.subscribed_at = None
        tracking.subscription_status = ""
        tracking.save()
    return tracking


def subscribe_tracking(order, *, provider=None):
    """Ask the provider to push this parcel's trace to our webhook. A failure is recorded, not raised:
    the order has shipped, and refresh_tracking can still poll it."""
    tracking = ensure_tracking(order)
    url = callback_url()
    provider = provider or get_provider()
    if not url or provider is None or not tracking.company:
        return tracking
    try:
        provider.subscribe(tracking.company, tracking.tracking_number, callback_url=url, phone=order.receiver_phone)
    except ProviderError as exc:
        logger.warning("subscribing %s failed: %s", tracking.tracking_number, exc)
        tracking.last_error = str(exc)[:300]
        tracking.save(update_fields=["last_error", "updated_at"])
        return tracking
    tracking.subscribed_at = timezone.now()
    tracking.subscription_status = "polling"
    tracking.last_error = ""
    tracking.save(update_fields=["subscribed_at", "subscription_status", "last_error", "updated_at"])
    return tracking


def _event_digest(number, event):
    text = f"{number}|{event.time.isoformat()}|{event.context}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_trace(tracking, trace):
    """Store the trace's new events on the order and move the tracking state forward.

    Events already stored are skipped; an older trace (a late or replayed push) never moves the
    state back. Returns the number of events added.
    """
    with transaction.atomic():
        tracking = Tracking.objects.select_for_update().get(pk=tracking.pk)
        number = tracking.tracking_number
        candidates = {}
        for event in trace.events:
            candidates.setdefault(_event_digest(number, event), event)
        known = set(
            TraceEvent.objects.filter(order_id=tracking.order_id, digest__in=list(candidates)).values_list(
                "digest", flat=True
            )
        )
        new_events = [
            TraceEvent(
                order_id=tracking.order_id,
                tracking_number=number,
                time=event.time,
                context=event.context[:500],
                status=event.status[:20],
                area=event.area[:100],
                digest=digest,
            )
            for digest, event in candidates.items()
            if digest not in known
        ]
        TraceEvent.objects.bulk_create(new_events)
        newest = max((event.time for event in trace.events), default=None)
        if tracking.last_event_at is None or (newest is not None and newest >= tracking.last_event_at):
            tracking.state = trace.state
            tracking.raw_state = trace.raw_state[:8]
            tracking.last_event_at = newest or tracking.last_event_at
            if trace.subscription_status:
                tracking.subscription_status = trace.subscription_status[:20]
        tracking.last_error = ""
        tracking.save()
    return len(new_events)


def receive_push(form, *, provider):
    """Handle one push: check its signature (InvalidSignature / MalformedPush propagate), store it once.

    Returns the number of trace events added (0 for a replay).
    """
    trace = provider.parse_push(form)
    digest = hashlib.sha256(form["param"].encode("utf-8")).hexdigest()
    with transaction.atomic():
        _, created = PushReceipt.objects.get_or_create(digest=digest, defaults={"tracking_number": trace.number[:40]})
        if not created:
            logger.info("ignored a repeated push for %s", trace.number)
            return 0
        trackings = list(Tracking.objects.filter(tracking_number=trace.number))
        if not trackings:
            # Shipped by hand and never polled: start tracking it now.
            orders = Order.objects.select_related("carrier").filter(
                status=Order.Status.SHIPPED, tracking_number=trace.number, carrier__kuaidi100_code=trace.company
            )
            trackings = [ensure_tracking(order) for order in orders]
        if not trackings:
            logger.info("push for unknown tracking number %s", trace.number)
        return sum(record_trace(tracking, trace) for tracking in trackings)


def refresh_order_tracking(order, *, provider):
    """Poll the provider for one shipped order's trace and store it. Raises ProviderError."""
    tracking = ensure_tracking(order)
    try:
        trace = provider.query_trace(tracking.company, tracking.tracking_number, order.receiver_phone)
    except ProviderError as exc:
        # Not marked as polled: the next run tries this order again.
        Tracking.objects.filter(pk=tracking.pk).update(last_error=str(exc)[:300])
        raise
    added = record_trace(tracking, trace)
    Tracking.objects.filter(pk=tracking.pk).update(last_polled_at=timezone.now())
    return added


class RateLimiter:
    """Spaces calls at least 1/per_second apart (per_second <= 0: no limit)."""

    def __init__(self, per_second, *, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock = clock
        self.sleep = sleep
        self._next = None

    def wait(self):
        now = self.clock()
        if self._next is not None and now < self._next:
            self.sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


# -- batches ---------------------------------------------------------------------------------


def start_waybill_batch(order_ids, *, user=None):
    """Create a batch for `order_ids` and hand it to the task queue once the row is committed."""
    batch = WaybillBatch.objects.create(created_by=user, order_ids=list(order_ids), total=len(order_ids))
    transaction.on_commit(lambda: enqueue_waybill_batch(batch.pk))
    return batch


def enqueue_waybill_batch(batch_id):
    from logistics.tasks import run_waybill_batch_task

    try:
        run_waybill_batch_task.apply_async(
            args=[batch_id], retry=True, retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5}
        )
    except Exception as exc:  # kombu raises several kinds when the broker is down
        logger.error("could not queue waybill batch %s: %s", batch_id, exc)
        WaybillBatch.objects.filter(pk=batch_id).update(
            status=WaybillBatch.Status.FAILED,
            finished_at=timezone.now(),
            messages=["后台任务队列不可用（Redis 或 worker 未启动），没有订单被处理。请联系管理员后重试。"],
        )


def _record_progress(batch_id, order_id, ok, message):
    with transaction.atomic():
        batch = WaybillBatch.objects.select_for_update().get(pk=batch_id)
        if order_id in batch.processed_ids:
            return
        batch.processed_ids = [*batch.processed_ids, order_id]
        batch.messages = [*batch.messages, message]
        if ok:
            batch.done += 1
        else:
            batch.failed += 1
        batch.save(update_fields=["processed_ids", "messages", "done", "failed"])


def run_waybill_batch(batch_id, *, provider=None):
    """Work through a batch (the task queue calls this). Resumable: processed orders are skipped."""
    batch = WaybillBatch.objects.get(pk=batch_id)
    if batch.status in {WaybillBatch.Status.FINISHED, WaybillBatch.Status.FAILED}:
        return batch
    WaybillBatch.objects.filter(pk=batch_id).update(status=WaybillBatch.Status.RUNNING)
    provider = provider or get_provider()
    sender = current_sender()
    user = batch.created_by
    processed = set(batch.processed_ids)
    orders = Order.objects.select_related("item", "carrier").in_bulk(batch.order_ids)
    for order_id in batch.order_ids:
        if order_id in processed:
            continue
        order = orders.get(order_id)
        if order is None:
            _record_progress(batch_id, order_id, False, f"订单 #{order_id}：已不存在。")
            continue
        try:
            shipped = ship_with_waybill(order, user=user, provider=provider, sender=sender)
        except WaybillError as exc:
            _record_progress(batch_id, order_id, False, f"订单 {order.order_no}：{exc}")
        else:
            _record_progress(batch_id, order_id, True, f"订单 {order.order_no}：已发货，单号 {shipped.tracking_number}")
    WaybillBatch.objects.filter(pk=batch_id).update(status=WaybillBatch.Status.FINISHED, finished_at=timezone.now())
    return WaybillBatch.objects.get(pk=batch_id)
