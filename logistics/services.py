"""Courier workflows: buy an e-waybill and ship, subscribe, store traces, run batches.

Shipping always goes through orders.services.ship_order, so the same rules as a manual save
apply (the one door, DESIGN.md rule 3). The waybill row is committed before the provider is
called and its result is committed before the order ships: a retry after any failure reuses
the stored waybill (or the same idempotency key) and never buys a second one. Each waybill ends
in one parcel; an order that ships in two parcels (拆单) has two waybills. Tracking is per parcel.
"""

import hashlib
import logging
import time
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from inventory.services import stock_shortages
from logistics.conf import callback_url, get_provider
from logistics.models import PushReceipt, Sender, TraceEvent, Tracking, Waybill, WaybillBatch
from logistics.providers.base import Party, ProviderError, WaybillRequest
from orders import services as order_services
from orders.models import Order, Parcel

logger = logging.getLogger(__name__)

# A selection larger than this runs on the task queue instead of in the request.
INLINE_LIMIT = 5
CARGO_MAX = 50  # Kuaidi100's cargo field


class WaybillError(Exception):
    """An order could not be shipped with an e-waybill; the message (Chinese) says why. Nothing changed."""


def current_sender():
    return Sender.objects.select_related("default_carrier").order_by("pk").first()


# -- e-waybill -------------------------------------------------------------------------------


def cargo_text(lines):
    """面单上的物品名称 for [(order line, units), ...]: "纯棉T恤 ×2", or "纯棉T恤 ×2 等3件" for several lines."""
    (first, units), pieces = lines[0], sum(units for _line, units in lines)
    suffix = f" ×{units}" + (f" 等{pieces}件" if len(lines) > 1 else "")
    return first.item.name[: CARGO_MAX - len(suffix)] + suffix


def _reserve_waybill(order, sender):
    """Lock the order, check it can ship, and return (order, its remaining lines, its unused waybill).

    The waybill is created (and committed) if the order has none waiting; under the order's row
    lock, so two clerks at once get the same one.
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if not locked.is_open:
            raise WaybillError(f"订单当前为“{locked.get_status_display()}”，不能下电子面单。")
        lines = order_services.remaining_lines([locked])[locked.pk]
        if not lines:
            raise WaybillError("订单没有未发货的商品。")
        waybill = (
            Waybill.objects.select_related("carrier")
            .filter(order=locked, state__in=Waybill.UNUSED)
            .order_by("pk")
            .first()
        )
        if waybill is None:
            carrier = sender.default_carrier
            if carrier is None:
                raise WaybillError("未设置默认快递公司：请在“寄件人”中设置默认快递公司。")
            if not carrier.kuaidi100_code:
                raise WaybillError(f"{carrier.name}没有设置快递100编码，不能下电子面单。")
        if waybill is None or waybill.state == Waybill.State.REQUESTED:
            # Don't buy a waybill for an order that cannot ship anyway; ship_order stays the real guard.
            needed = {}
            for line, units in lines:
                needed[line.item] = needed.get(line.item, 0) + units
            shortages = stock_shortages(needed)
            if shortages:
                raise WaybillError("".join(shortages))
        if waybill is None:
            waybill = Waybill.objects.create(
                order=locked, carrier=carrier, idempotency_key=f"OMS{locked.pk}-{uuid.uuid4().hex[:16]}"
            )
    return locked, lines, waybill


def _request_waybill(waybill, order, lines, sender, provider):
    """Ask the provider for the waybill; the answer is committed before anything else happens."""
    Waybill.objects.filter(pk=waybill.pk).update(attempts=waybill.attempts + 1, updated_at=timezone.now())
    request = WaybillRequest(
        idempotency_key=waybill.idempotency_key,
        company=waybill.carrier.kuaidi100_code,
        sender=Party(sender.name, sender.phone, sender.address),
        receiver=Party(order.receiver_name, order.receiver_phone, order.address),
        cargo=cargo_text(lines),
        count=sum(units for _line, units in lines),
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
    """Ship the order's remaining lines with the waybill's number; the waybill records its parcel."""
    try:
        with transaction.atomic():
            parcel = order_services.ship_order(order, waybill.carrier, waybill.tracking_number, user=user)
            Waybill.objects.filter(pk=waybill.pk).update(state=Waybill.State.USED, parcel=parcel, last_error="")
    except (ValidationError, order_services.InsufficientStock) as exc:
        reason = "；".join(order_services.error_messages(exc))
        Waybill.objects.filter(pk=waybill.pk, state__in=Waybill.UNUSED).update(last_error=reason[:300])
        raise WaybillError(
            f"已取得快递单号 {waybill.tracking_number}，但未能发货：{reason}（处理后重试会沿用这个单号）"
        ) from exc
    return parcel


def ship_with_waybill(order, *, user=None, provider=None, sender=None):
    """Buy (or reuse) an e-waybill for the order's remaining lines, ship them with it, subscribe its tracking.

    Returns the parcel. Raises WaybillError (Chinese) and leaves the order untouched when the
    provider fails, times out or the order cannot ship. Must run outside a transaction so the
    waybill is stored before the order ships.
    """
    provider = provider or get_provider()
    if provider is None:
        raise WaybillError("未配置快递100账号，不能下电子面单。")
    sender = sender or current_sender()
    if sender is None:
        raise WaybillError("请先在“寄件人”中填写寄件人姓名、电话和地址。")
    order, lines, waybill = _reserve_waybill(order, sender)
    if waybill.state == Waybill.State.REQUESTED:
        waybill = _request_waybill(waybill, order, lines, sender, provider)
    parcel = _ship(order, waybill, user)
    subscribe_tracking(parcel, phone=order.receiver_phone, provider=provider)
    return parcel


# -- tracking --------------------------------------------------------------------------------


def ensure_tracking(parcel):
    """The parcel's Tracking row (its carrier and number are the parcel's, fixed once shipped)."""
    tracking, _created = Tracking.objects.get_or_create(parcel=parcel)
    tracking.parcel = parcel
    return tracking


def subscribe_tracking(parcel, *, phone="", provider=None):
    """Ask the provider to push this parcel's trace to our webhook. A failure is recorded, not raised:
    the parcel has shipped, and refresh_tracking can still poll it."""
    tracking = ensure_tracking(parcel)
    url = callback_url()
    provider = provider or get_provider()
    company = parcel.carrier.kuaidi100_code
    if not url or provider is None or not company:
        return tracking
    try:
        provider.subscribe(company, parcel.tracking_number, callback_url=url, phone=phone)
    except ProviderError as exc:
        logger.warning("subscribing %s failed: %s", parcel.tracking_number, exc)
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
    """Store the trace's new events on the parcel and move its tracking state forward.

    Events already stored are skipped; an older trace (a late or replayed push) never moves the
    state back. Returns the number of events added.
    """
    with transaction.atomic():
        tracking = Tracking.objects.select_for_update().select_related("parcel").get(pk=tracking.pk)
        number = tracking.parcel.tracking_number
        candidates = {}
        for event in trace.events:
            candidates.setdefault(_event_digest(number, event), event)
        known = set(
            TraceEvent.objects.filter(parcel_id=tracking.parcel_id, digest__in=list(candidates)).values_list(
                "digest", flat=True
            )
        )
        new_events = [
            TraceEvent(
                parcel_id=tracking.parcel_id,
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

    The push names a company and a number: it goes to the live parcel with them (one parcel, however
    many orders it holds). Returns the number of trace events added (0 for a replay).
    """
    trace = provider.parse_push(form)
    digest = hashlib.sha256(form["param"].encode("utf-8")).hexdigest()
    with transaction.atomic():
        _, created = PushReceipt.objects.get_or_create(digest=digest, defaults={"tracking_number": trace.number[:40]})
        if not created:
            logger.info("ignored a repeated push for %s", trace.number)
            return 0
        parcels = Parcel.objects.filter(
            tracking_number=trace.number, status__in=Parcel.LIVE, carrier__kuaidi100_code=trace.company
        ).order_by("pk")
        added = [record_trace(ensure_tracking(parcel), trace) for parcel in parcels]
        if not added:
            logger.info("push for unknown tracking number %s", trace.number)
        return sum(added)


def refresh_parcel_tracking(parcel, *, provider):
    """Poll the provider for one live parcel's trace and store it. Raises ProviderError.

    `parcel` needs its carrier and a `receiver_phone` (selectors.parcels_to_refresh gives both).
    """
    tracking = ensure_tracking(parcel)
    try:
        trace = provider.query_trace(parcel.carrier.kuaidi100_code, parcel.tracking_number, parcel.receiver_phone)
    except ProviderError as exc:
        # Not marked as polled: the next run tries this parcel again.
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
    orders = Order.objects.in_bulk(batch.order_ids)
    for order_id in batch.order_ids:
        if order_id in processed:
            continue
        order = orders.get(order_id)
        if order is None:
            _record_progress(batch_id, order_id, False, f"订单 #{order_id}：已不存在。")
            continue
        try:
            parcel = ship_with_waybill(order, user=user, provider=provider, sender=sender)
        except WaybillError as exc:
            _record_progress(batch_id, order_id, False, f"订单 {order.order_no}：{exc}")
        else:
            _record_progress(batch_id, order_id, True, f"订单 {order.order_no}：已发货，单号 {parcel.tracking_number}")
    WaybillBatch.objects.filter(pk=batch_id).update(status=WaybillBatch.Status.FINISHED, finished_at=timezone.now())
    return WaybillBatch.objects.get(pk=batch_id)
