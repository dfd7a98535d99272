from celery import shared_task

from . import services
from .models import WebhookEvent


@shared_task(name="orbit_numbers.webhooks.deliver_webhook_event")
def deliver_webhook_event(event_id: str) -> str | None:
    event = services.webhook_event_deliver(event_id=event_id)
    if event is not None and event.status == WebhookEvent.Status.PENDING and event.next_attempt_at:
        countdown = max(int((event.next_attempt_at - event.last_attempt_at).total_seconds()), 1)
        # Eager mode (no broker) must not recurse through every retry inline; the beat sweep
        # picks the event up when it is due.
        if not deliver_webhook_event.app.conf.task_always_eager:
            deliver_webhook_event.apply_async((event_id,), countdown=countdown)
    return event.status if event is not None else None


@shared_task(name="orbit_numbers.webhooks.deliver_due_webhook_events")
def deliver_due_webhook_events() -> int:
    due = services.webhook_events_due()
    for event_id in due:
        services.webhook_event_deliver(event_id=event_id)
    return len(due)
