from celery import shared_task

from . import services


@shared_task
def purge_idempotency_records() -> int:
    return services.idempotency_records_purge()


# Register the webhook tasks with the worker (autodiscovery only imports <app>.tasks).
from .webhooks.tasks import deliver_due_webhook_events, deliver_webhook_event  # noqa: E402,F401
