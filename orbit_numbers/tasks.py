from celery import shared_task

from . import services


@shared_task
def purge_idempotency_records() -> int:
    return services.idempotency_records_purge()


# Register the webhook tasks with the worker (autodiscovery only imports <app>.tasks).
from .webhooks.tasks import (deliver_due_webhook_events, deliver_webhook_delivery,  # noqa: E402,F401
                             deliver_webhook_event)


@shared_task(name="orbit_numbers.tasks.send_organization_email", autoretry_for=(OSError,), retry_backoff=30,
             max_retries=5)
def send_organization_email(recipient: str, subject: str, body: str) -> int:
    """One account notification to an organisation's contact (orbit_numbers.notifications)."""
    from django.conf import settings
    from django.core.mail import send_mail

    return send_mail(f"[Orbit Numbers] {subject}", body, settings.DEFAULT_FROM_EMAIL, [recipient])
