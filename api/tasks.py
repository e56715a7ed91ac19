"""The webhooks' Celery task: one attempt per run, the next scheduled by countdown (api.webhooks.deliver)."""

from celery import shared_task

from api import webhooks


@shared_task(name=webhooks.DELIVER_TASK)
def deliver_webhook_task(event_id):
    delay = webhooks.deliver(event_id)
    if delay is not None:
        deliver_webhook_task.apply_async((event_id,), countdown=delay)
