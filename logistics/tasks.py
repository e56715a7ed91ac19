"""Background jobs on the Celery queue."""

from celery import shared_task

from logistics.services import batches


@shared_task(name="logistics.run_waybill_batch", acks_late=True)
def run_waybill_batch_task(batch_id):
    """Ship a batch of orders with e-waybills; progress is written to the batch row as it goes."""
    batches.run_waybill_batch(batch_id)
