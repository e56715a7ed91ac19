"""Background jobs on the Celery queue."""

from celery import shared_task

from logistics.services import batches


@shared_task(name="logistics.run_waybill_batch", acks_late=True, reject_on_worker_lost=True)
def run_waybill_batch_task(batch_id):
    """Ship a batch of orders with e-waybills; progress is written to the batch row as it goes.

    Acknowledged after the run, and requeued if its worker dies: a second run carries on safely.
    """
    batches.run_waybill_batch(batch_id)
