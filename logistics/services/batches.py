"""Background runs of 电子面单下单 over many orders on the task queue, with their progress."""

import logging

from django.db import transaction
from django.utils import timezone

from logistics.conf import get_provider
from logistics.models import WaybillBatch
from logistics.services.waybills import WaybillError, current_sender, ship_with_waybill
from orders.models import Order

logger = logging.getLogger(__name__)

# A selection larger than this runs on the task queue instead of in the request.
INLINE_LIMIT = 5


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
