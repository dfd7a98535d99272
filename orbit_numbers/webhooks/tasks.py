from celery import shared_task

from . import services
from .models import WebhookDelivery


def _retry_later(delivery: WebhookDelivery | None) -> None:
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING or not delivery.next_attempt_at:
        return
    countdown = max(int((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()), 1)
    # Eager mode (no broker) must not recurse through every retry inline; the beat sweep
    # picks the delivery up when it is due.
    if not deliver_webhook_delivery.app.conf.task_always_eager:
        deliver_webhook_delivery.apply_async((delivery.pk,), countdown=countdown)


@shared_task(name="orbit_numbers.webhooks.deliver_webhook_event")
def deliver_webhook_event(event_id: str) -> list[str]:
    """Queued when an event commits: one attempt per endpoint it was fanned out to."""
    deliveries = services.webhook_event_deliver(event_id=event_id)
    for delivery in deliveries:
        _retry_later(delivery)
    return [delivery.status for delivery in deliveries]


@shared_task(name="orbit_numbers.webhooks.deliver_webhook_delivery")
def deliver_webhook_delivery(delivery_id: str) -> str | None:
    """One attempt of one delivery (a retry, a replay, a test event)."""
    delivery = services.webhook_delivery_deliver(delivery_id=delivery_id)
    _retry_later(delivery)
    return delivery.status if delivery is not None else None


@shared_task(name="orbit_numbers.webhooks.deliver_due_webhook_events")
def deliver_due_webhook_events() -> int:
    """Beat: disable endpoints failing for too long, then attempt every due delivery."""
    return services.webhooks_deliver_due()["attempted"]
