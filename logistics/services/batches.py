"""Background runs of 电子面单下单 over many orders on the task queue, with their progress.

A batch survives its queue and its worker: progress is committed order by order, a run skips
what is processed, and a waybill is stored before the courier is asked (waybills.py), so running
a batch again (Celery's redelivery, or 继续处理) finishes it without buying anything twice.
"""

import logging
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from logistics.conf import get_provider
from logistics.models import Waybill, WaybillBatch
from logistics.services.waybills import WaybillError, current_sender, parcel_outcome, ship_with_waybill
from oms.celery import app as celery_app
from orders.models import Order

logger = logging.getLogger(__name__)

# A selection larger than this runs on the task queue instead of in the request.
INLINE_LIMIT = 5

# An active batch with no progress for this long has lost its run (the queue dropped it, or the
# worker died): it may be resumed. Well above one order's worst case (the courier's timeouts).
STALL_AFTER = timedelta(minutes=3)

QUEUE_DOWN = "后台任务队列不可用（无法连接 Redis），没有订单被处理。队列恢复后请点“继续处理”。"


RUN_BATCH_TASK = "logistics.run_waybill_batch"


class BatchNotResumable(Exception):
    """继续处理 was refused; the message (Chinese) says why."""


def start_waybill_batch(order_ids, *, user=None):
    """Create a batch for `order_ids` and hand it to the task queue once the row is committed."""
    batch = WaybillBatch.objects.create(created_by=user, order_ids=list(order_ids), total=len(order_ids))
    transaction.on_commit(lambda: _enqueue_or_fail(batch.pk))
    return batch


def _enqueue_or_fail(batch_id):
    if not enqueue_waybill_batch(batch_id):
        _enqueue_failed(batch_id)


def _enqueue_failed(batch_id):
    # Not started: no run, no progress, nothing finished; 继续处理 starts it once the queue is back.
    WaybillBatch.objects.filter(pk=batch_id).update(
        status=WaybillBatch.Status.FAILED, finished_at=None, heartbeat_at=None, messages=[QUEUE_DOWN]
    )


def enqueue_waybill_batch(batch_id):
    """Put a run of the batch on the task queue; False (logged) when the queue cannot be reached."""
    try:
        # By the task's registered name: the task module imports this one, not the other way round.
        celery_app.send_task(
            RUN_BATCH_TASK,
            args=[batch_id],
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5},
        )
    except Exception as exc:  # kombu raises several kinds when the broker is down
        logger.error("could not queue waybill batch %s: %s", batch_id, exc)
        return False
    return True


def queue_is_reachable():
    """True if the task queue's broker (Redis) answers now; asks once, without waiting to retry."""
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as exc:  # kombu's OperationalError, a socket error, a timeout
        logger.warning("task queue unreachable: %s", exc)
        return False
    return True


def is_stalled(batch, *, now=None):
    """True if the batch is waiting for a run that is not coming: it never started, or lost its run."""
    if batch.status == WaybillBatch.Status.FAILED:
        return True
    return batch.is_active and (now or timezone.now()) - batch.last_progress_at >= STALL_AFTER


def resume_waybill_batch(batch):
    """继续处理: queue a new run of a stalled batch; it ships only the orders not processed yet.

    Raises BatchNotResumable (Chinese) when the batch is finished, still moving, or the queue is down.
    """
    batch.refresh_from_db()
    if batch.status == WaybillBatch.Status.FINISHED:
        raise BatchNotResumable("批次已完成，无需继续处理。")
    if not is_stalled(batch):
        raise BatchNotResumable("批次仍在处理中，请稍候；长时间没有进展时再点“继续处理”。")
    never_started = batch.status == WaybillBatch.Status.FAILED
    # Claimable, and the stall clock restarted, before the new run can reach a worker.
    waiting = WaybillBatch.objects.filter(pk=batch.pk)
    if never_started:  # its only message was the queue's
        waiting.update(status=WaybillBatch.Status.QUEUED, finished_at=None, messages=[], heartbeat_at=timezone.now())
    else:
        waiting.update(heartbeat_at=timezone.now())
    if not enqueue_waybill_batch(batch.pk):
        if never_started:
            _enqueue_failed(batch.pk)
        else:
            waiting.update(heartbeat_at=batch.heartbeat_at)
        raise BatchNotResumable("后台任务队列仍不可用（无法连接 Redis），请联系管理员恢复后再试。")


def _claim(batch_id):
    """Make this run the batch's owner (the newest claim wins); None if the batch is not active."""
    runner = uuid.uuid4().hex
    claimed = WaybillBatch.objects.filter(
        pk=batch_id, status__in=[WaybillBatch.Status.QUEUED, WaybillBatch.Status.RUNNING]
    ).update(status=WaybillBatch.Status.RUNNING, runner=runner, heartbeat_at=timezone.now())
    return runner if claimed else None


def _still_owner(batch_id, runner):
    """Record that the run is alive; False once a newer run has taken the batch over."""
    return bool(WaybillBatch.objects.filter(pk=batch_id, runner=runner).update(heartbeat_at=timezone.now()))


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
        batch.heartbeat_at = timezone.now()
        batch.save(update_fields=["processed_ids", "messages", "done", "failed", "heartbeat_at"])


def _shipped_since(order, moment):
    """The live parcel an e-waybill bought since `moment` made for the order (shipped, or 已取号), or None.

    A run that died after making an order's parcel but before recording it finds the parcel: that
    is its own success, not a refusal.
    """
    waybill = (
        Waybill.objects.select_related("parcel")
        .filter(order=order, state=Waybill.State.USED, created_at__gte=moment, parcel__live_number__isnull=False)
        .order_by("-pk")
        .first()
    )
    return waybill.parcel if waybill else None


def run_waybill_batch(batch_id, *, provider=None):
    """Work through a batch (the task queue calls this). Resumable: processed orders are skipped.

    Each run claims the batch; a run that is superseded (a redelivery or 继续处理 took over) stops
    before its next order. Two runs on one order at once buy one waybill (the same idempotency key).
    """
    runner = _claim(batch_id)
    if runner is None:  # finished, or never started (FAILED until 继续处理)
        return WaybillBatch.objects.get(pk=batch_id)
    batch = WaybillBatch.objects.get(pk=batch_id)
    provider = provider or get_provider()
    sender = current_sender()
    user = batch.created_by
    processed = set(batch.processed_ids)
    orders = Order.objects.in_bulk(batch.order_ids)
    for order_id in batch.order_ids:
        if order_id in processed:
            continue
        if not _still_owner(batch_id, runner):
            return WaybillBatch.objects.get(pk=batch_id)
        order = orders.get(order_id)
        if order is None:
            _record_progress(batch_id, order_id, False, f"订单 #{order_id}：已不存在。")
            continue
        try:
            parcel = ship_with_waybill(order, user=user, provider=provider, sender=sender)
        except WaybillError as exc:
            order.refresh_from_db(fields=["status"])
            parcel = _shipped_since(order, batch.created_at)
            if parcel is None:
                _record_progress(batch_id, order_id, False, f"订单 {order.order_no}：{exc}")
                continue
        _record_progress(batch_id, order_id, True, f"订单 {order.order_no}：{parcel_outcome(parcel)}")
    WaybillBatch.objects.filter(pk=batch_id, runner=runner).update(
        status=WaybillBatch.Status.FINISHED, finished_at=timezone.now()
    )
    return WaybillBatch.objects.get(pk=batch_id)
