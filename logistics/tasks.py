"""Background jobs on the Celery queue (acknowledged late and requeued if their worker dies: see
the CELERY_ settings; a batch's run is safe to repeat)."""

from celery import shared_task

from logistics.services import batches


@shared_task(name="logistics.run_waybill_batch")
def run_waybill_batch_task(batch_id):
    """Ship a batch of orders with e-waybills; progress is written to the batch row as it goes."""
    batches.run_waybill_batch(batch_id)
