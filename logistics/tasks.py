"""Background jobs on the Celery queue (acknowledged late and requeued if their worker dies: see
the CELERY_ settings; a batch's run is safe to repeat)."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from logistics.services import batches
from oms.db_errors import is_connection_lost

# A database restart drops the worker's connection mid-batch: run the batch again shortly, for
# about a minute, before leaving it to 继续处理 (the page offers it once the batch stalls).
DATABASE_RETRY_DELAY = 5  # seconds
DATABASE_RETRIES = 12


@shared_task(name=batches.RUN_BATCH_TASK, bind=True, max_retries=DATABASE_RETRIES)
def run_waybill_batch_task(self, batch_id):
    """Ship a batch of orders with e-waybills; progress is written to the batch row as it goes."""
    try:
        batches.run_waybill_batch(batch_id)
    except (OperationalError, InterfaceError) as exc:
        if not is_connection_lost(exc):
            raise
        # Nothing is half-written (each step commits on its own) and a rerun buys nothing twice.
        # Celery's Django fixup closes the dead connection before the next task.
        raise self.retry(exc=exc, countdown=DATABASE_RETRY_DELAY) from exc
